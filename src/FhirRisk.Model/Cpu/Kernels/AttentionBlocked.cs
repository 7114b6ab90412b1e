namespace FhirRisk.Model.Cpu;

/// <summary>Tile geometry shared by the blocked attention kernels.</summary>
internal static class AttentionBlocked
{
    /// <summary>
    /// Query and key tile edge. Tiles are aligned (query tile i meets key tiles 0..i), so only the diagonal tile
    /// needs a mask and every key tile right of it is skipped. 64 keeps a K tile, a V tile and the 64×64 score tile
    /// within L2 at HS = 64, and wastes at most half a tile of masked work per row.
    /// </summary>
    public const int Tile = 64;

    /// <summary>Floats of scratch one forward worker needs: the packed Kᵀ tile, the score tile, and per-row max and sum.</summary>
    public static int ForwardScratch(int hs) => hs * Tile + Tile * Tile + 2 * Tile;

    /// <summary>Floats of scratch one backward worker needs: packed Kᵀ and Vᵀ, the P and dP tiles, the dK and dV
    /// accumulators, and D for every row of the sequence.</summary>
    public static int BackwardScratch(int hs, int t) => 4 * hs * Tile + 2 * Tile * Tile + t;
}

/// <summary>
/// Causal attention of one head over tiles, after FlashAttention-2 (Dao 2023, algorithms 1 and 2): the forward pass
/// keeps a running max and sum per query row instead of the T×T probability matrix and saves only the row's
/// log-sum-exp; the backward pass recomputes each probability tile from it.
/// </summary>
internal static unsafe class AttentionBlocked<TVec, TSimd>
    where TVec : struct
    where TSimd : struct, IAttentionSimd<TVec>
{
    private const int Tile = AttentionBlocked.Tile;

    /// <summary>
    /// Output rows and log-sum-exp of query tile <paramref name="queryTile"/> of head <paramref name="h"/> in sequence
    /// <paramref name="b"/>. Writes <c>output</c> rows i0..i1 of the head's channels and <c>stats[b, h, i0..i1]</c>.
    /// </summary>
    public static void ForwardTile(in AttentionShape shape, float* output, float* stats, float* qkv, int b, int h, int queryTile, float* scratch)
    {
        int hs = shape.HS, c3 = shape.C3;
        var i0 = queryTile * Tile;
        var rows = Math.Min(Tile, shape.T - i0);
        var q = qkv + ((long)b * shape.T + i0) * c3 + h * hs;
        var o = output + ((long)b * shape.T + i0) * shape.C + h * hs;
        var kT = scratch;
        var s = kT + hs * Tile;
        var rowMax = s + Tile * Tile;
        var rowSum = rowMax + Tile;
        for (var r = 0; r < rows; r++)
        {
            new Span<float>(o + (long)r * shape.C, hs).Clear();
            rowMax[r] = float.NegativeInfinity;
            rowSum[r] = 0f;
        }

        for (var keyTile = 0; keyTile <= queryTile; keyTile++)
        {
            var j0 = keyTile * Tile;
            var keys = Math.Min(Tile, shape.T - j0);
            var k = qkv + ((long)b * shape.T + j0) * c3 + shape.C + h * hs;
            AttentionTiles<TVec, TSimd>.PackTransposed(k, c3, keys, hs, kT, Tile);
            AttentionTiles<TVec, TSimd>.MultiplyAdd(q, c3, 1, kT, Tile, s, Tile, rows, keys, hs, accumulate: false);
            for (var r = 0; r < rows; r++)
            {
                // On the diagonal tile (j0 == i0) row r sees keys 0..r; elsewhere the whole tile is in the past.
                var visible = keyTile == queryTile ? r + 1 : keys;
                var p = s + r * Tile;
                var max = MathF.Max(rowMax[r], shape.Scale * AttentionTiles<TVec, TSimd>.Max(p, visible));
                var rescale = FastExp.Exp(rowMax[r] - max);
                rowSum[r] = rowSum[r] * rescale + AttentionTiles<TVec, TSimd>.ExpInPlace(p, visible, shape.Scale, max);
                rowMax[r] = max;
                new Span<float>(p + visible, keys - visible).Clear();
                if (rescale != 1f)
                    AttentionTiles<TVec, TSimd>.Scale(o + (long)r * shape.C, hs, rescale);
            }

            var v = k + shape.C;
            AttentionTiles<TVec, TSimd>.MultiplyAdd(s, Tile, 1, v, c3, o, shape.C, rows, hs, keys, accumulate: true);
        }

        var lse = stats + ((long)b * shape.NH + h) * shape.T + i0;
        for (var r = 0; r < rows; r++)
        {
            AttentionTiles<TVec, TSimd>.Scale(o + (long)r * shape.C, hs, 1f / rowSum[r]);
            lse[r] = rowMax[r] + MathF.Log(rowSum[r]);
        }
    }

    /// <summary>
    /// Accumulates the gradient of head <paramref name="h"/> of sequence <paramref name="b"/> into <c>dqkv</c>. Loops over
    /// key tiles outside (dK and dV of the tile stay in scratch) and the query tiles at or below the diagonal inside.
    /// </summary>
    public static void BackwardHead(in AttentionShape shape, float* dqkv, float* dout, float* qkv, float* output, float* stats, int b, int h, float* scratch)
    {
        int hs = shape.HS, c3 = shape.C3, t = shape.T;
        var kT = scratch;
        var vT = kT + hs * Tile;
        var dK = vT + hs * Tile;
        var dV = dK + hs * Tile;
        var p = dV + hs * Tile;
        var dP = p + Tile * Tile;
        var rowDot = dP + Tile * Tile;
        var lse = stats + ((long)b * shape.NH + h) * t;
        var headQkv = qkv + (long)b * t * c3 + h * hs;
        var headDqkv = dqkv + (long)b * t * c3 + h * hs;
        var headOut = output + (long)b * t * shape.C + h * hs;
        var headDout = dout + (long)b * t * shape.C + h * hs;

        // D_i = dO_i·O_i = Σ_j P_ij·dP_ij, the softmax Jacobian's shared term (FlashAttention-2, algorithm 2).
        for (var i = 0; i < t; i++)
            rowDot[i] = AttentionTiles<TVec, TSimd>.Dot(headDout + (long)i * shape.C, headOut + (long)i * shape.C, hs);

        for (var keyTile = 0; keyTile < shape.Tiles; keyTile++)
        {
            var j0 = keyTile * Tile;
            var keys = Math.Min(Tile, t - j0);
            var k = headQkv + (long)j0 * c3 + shape.C;
            AttentionTiles<TVec, TSimd>.PackTransposed(k, c3, keys, hs, kT, Tile);
            AttentionTiles<TVec, TSimd>.PackTransposed(k + shape.C, c3, keys, hs, vT, Tile);
            new Span<float>(dK, 2 * hs * Tile).Clear();
            for (var queryTile = keyTile; queryTile < shape.Tiles; queryTile++)
                BackwardTile(shape, headQkv, headDqkv, headDout, lse, rowDot, keyTile, queryTile, kT, vT, dK, dV, p, dP);

            for (var r = 0; r < keys; r++)
            {
                var row = headDqkv + (long)(j0 + r) * c3;
                AttentionTiles<TVec, TSimd>.AddTo(row + shape.C, dK + r * hs, hs);
                AttentionTiles<TVec, TSimd>.AddTo(row + 2 * shape.C, dV + r * hs, hs);
            }
        }
    }

    private static void BackwardTile(
        in AttentionShape shape, float* headQkv, float* headDqkv, float* headDout, float* lse, float* rowDot,
        int keyTile, int queryTile, float* kT, float* vT, float* dK, float* dV, float* p, float* dP)
    {
        int hs = shape.HS, c3 = shape.C3;
        var i0 = queryTile * Tile;
        var rows = Math.Min(Tile, shape.T - i0);
        var keys = Math.Min(Tile, shape.T - keyTile * Tile);
        var q = headQkv + (long)i0 * c3;
        var k = headQkv + (long)keyTile * Tile * c3 + shape.C;
        var dO = headDout + (long)i0 * shape.C;

        // P = exp(scale·Q·Kᵀ − lse), recomputed; masked (future) entries are exactly zero.
        AttentionTiles<TVec, TSimd>.MultiplyAdd(q, c3, 1, kT, Tile, p, Tile, rows, keys, hs, accumulate: false);
        for (var r = 0; r < rows; r++)
        {
            var visible = keyTile == queryTile ? r + 1 : keys;
            AttentionTiles<TVec, TSimd>.ExpInPlace(p + r * Tile, visible, shape.Scale, lse[i0 + r]);
            new Span<float>(p + r * Tile + visible, keys - visible).Clear();
        }

        // dV += Pᵀ·dO; dP = dO·Vᵀ; dS = scale·P∘(dP − D); dQ += dS·K; dK += dSᵀ·Q.
        AttentionTiles<TVec, TSimd>.MultiplyAdd(p, 1, Tile, dO, shape.C, dV, hs, keys, hs, rows, accumulate: true);
        AttentionTiles<TVec, TSimd>.MultiplyAdd(dO, shape.C, 1, vT, Tile, dP, Tile, rows, keys, hs, accumulate: false);
        for (var r = 0; r < rows; r++)
            AttentionTiles<TVec, TSimd>.SoftmaxGradient(dP + r * Tile, p + r * Tile, keys, shape.Scale, rowDot[i0 + r]);
        AttentionTiles<TVec, TSimd>.MultiplyAdd(dP, Tile, 1, k, c3, headDqkv + (long)i0 * c3, c3, rows, hs, keys, accumulate: true);
        AttentionTiles<TVec, TSimd>.MultiplyAdd(dP, 1, Tile, q, c3, dK, hs, keys, hs, rows, accumulate: true);
    }
}
