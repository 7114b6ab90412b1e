// Causal attention for training (forward and backward with log-sum-exp statistics), attention over the KV cache for
// decoding, and row gather/scatter.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common.h"

namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

// The shape rules of the C# AttentionShape.Validate.
void check_heads(int32_t B, int32_t T, int32_t C, int32_t NH) {
    frt::require(B >= 1 && T >= 1 && C >= 1 && NH >= 1, "B, T, C and NH must be positive (got B=" + std::to_string(B) +
                 ", T=" + std::to_string(T) + ", C=" + std::to_string(C) + ", NH=" + std::to_string(NH) + ").");
    frt::require(C % NH == 0, "C=" + std::to_string(C) + " is not divisible by NH=" + std::to_string(NH) + ".");
}

float softmax_scale(int32_t C, int32_t NH) { return 1.0f / std::sqrt(static_cast<float>(C / NH)); }

// q, k, v of qkv (B, T, 3C) as (B, NH, T, HS) strided views: llm.c's layout, heads side by side in each third.
struct Heads {
    at::Tensor q, k, v;
};

Heads split_heads(const at::Tensor& qkv, int32_t B, int32_t T, int32_t C, int32_t NH) {
    auto x = qkv.view({B, T, 3, NH, C / NH});
    return {x.select(2, 0).permute({0, 2, 1, 3}), x.select(2, 1).permute({0, 2, 1, 3}),
            x.select(2, 2).permute({0, 2, 1, 3})};
}

// Scaled scores (B, NH, T, T) with the future masked to −∞.
at::Tensor causal_scores(const Heads& h, int32_t T, float scale) {
    auto scores = at::matmul(h.q, h.k.transpose(-2, -1)).mul_(scale);
    auto future = at::ones({T, T}, scores.options().dtype(at::kBool)).triu_(1);
    return scores.masked_fill_(future, kMinusInfinity);
}

// Slot lengths (S) as int64 after checking 0 <= length <= maxT.
void check_cache(int32_t maxT, int32_t C) {
    frt::require(maxT >= 1 && C >= 1, "maxT and C must be positive (got maxT=" + std::to_string(maxT) + ", C=" + std::to_string(C) + ").");
}

// The rows of a cache write or attend: (slot, position) pairs checked against an (S, maxT) cache, as int64 indices.
std::pair<at::Tensor, at::Tensor> cache_rows(const int32_t* slots, const int32_t* positions, int64_t n_rows, int64_t n_cache,
                                             int32_t maxT, int32_t C, int32_t device) {
    check_cache(maxT, C);
    auto per_slot = static_cast<int64_t>(maxT) * C;
    frt::require(n_cache % per_slot == 0, "The cache must hold S·maxT·C floats (maxT=" + std::to_string(maxT) + ", C=" +
                 std::to_string(C) + ").");
    auto s = frt::ints(slots, n_rows, {n_rows}, "slots", device);
    auto p = frt::ints(positions, n_rows, {n_rows}, "positions", device);
    frt::check_range(s, 0, n_cache / per_slot, "slots");
    frt::check_range(p, 0, maxT, "positions");
    return {frt::as_index(s), frt::as_index(p)};
}

// The row indices of a gather/scatter, checked against the indexed side's whole rows (the C# RowCopy rules).
at::Tensor row_indices(const int32_t* rows, int64_t n_rows, int64_t packed, int64_t indexed, int32_t width,
                       const char* packed_name, const char* indexed_name, int32_t device) {
    frt::require(width >= 1, "width must be at least 1.");
    frt::require(packed == n_rows * width, std::string(packed_name) + " must hold " + std::to_string(n_rows) + " rows × " +
                 std::to_string(width) + " = " + std::to_string(n_rows * width) + " elements, not " + std::to_string(packed) + ".");
    auto r = frt::ints(rows, n_rows, {n_rows}, "rows", device);
    auto host = r.is_cpu() ? r : r.to(at::kCPU);
    auto indexed_rows = indexed / width;
    for (int64_t i = 0; i < n_rows; i++) {
        auto row = host.data_ptr<int32_t>()[i];
        frt::require(row >= 0 && row < indexed_rows, "Row " + std::to_string(row) + " lies outside " + indexed_name + "'s " +
                     std::to_string(indexed_rows) + " rows.");
    }
    return frt::as_index(r);
}

}  // namespace

using frt::guarded;

extern "C" {

int frt_attention_forward(float* out, int64_t n_out, float* stats, int64_t n_stats, const float* qkv, int64_t n_qkv,
                          int32_t B, int32_t T, int32_t C, int32_t NH, int32_t device) {
    return guarded([&] {
        check_heads(B, T, C, NH);
        auto o = frt::floats(out, n_out, {B, T, NH, C / NH}, "output", device);
        auto lse = frt::floats(stats, n_stats, {B, NH, T}, "stats", device);
        auto x = frt::floats(qkv, n_qkv, {B, T, 3 * C}, "qkv", device);
        auto h = split_heads(x, B, T, C, NH);
        auto scores = causal_scores(h, T, softmax_scale(C, NH));
        lse.copy_(at::logsumexp(scores, {-1}));
        auto probabilities = scores.sub_(lse.unsqueeze(-1)).exp_();
        o.copy_(at::matmul(probabilities, h.v).permute({0, 2, 1, 3}));
    });
}

int frt_attention_backward(float* dqkv, int64_t n_dqkv, const float* dout, int64_t n_dout, const float* qkv,
                           int64_t n_qkv, const float* out, int64_t n_out, const float* stats, int64_t n_stats,
                           int32_t B, int32_t T, int32_t C, int32_t NH, int32_t device) {
    return guarded([&] {
        check_heads(B, T, C, NH);
        auto HS = C / NH;
        auto dx = frt::floats(dqkv, n_dqkv, {B, T, 3, NH, HS}, "dqkv", device);
        auto dy = frt::floats(dout, n_dout, {B, T, NH, HS}, "dout", device).permute({0, 2, 1, 3});
        auto x = frt::floats(qkv, n_qkv, {B, T, 3 * C}, "qkv", device);
        auto y = frt::floats(out, n_out, {B, T, NH, HS}, "output", device).permute({0, 2, 1, 3});
        auto lse = frt::floats(stats, n_stats, {B, NH, T}, "stats", device);
        auto h = split_heads(x, B, T, C, NH);
        auto scale = softmax_scale(C, NH);
        // Recompute P = exp(S − lse) as the C# kernel does (FlashAttention-2's backward, Dao 2023, Algorithm 2).
        auto p = causal_scores(h, T, scale).sub_(lse.unsqueeze(-1)).exp_();
        auto dv = at::matmul(p.transpose(-2, -1), dy);
        // dS = P ⊙ (dP − D) with D = rowsum(dO ⊙ O); the masked entries have P = 0.
        auto rowsum = (dy * y).sum(-1, true);
        auto ds = p.mul_(at::matmul(dy, h.v.transpose(-2, -1)).sub_(rowsum)).mul_(scale);
        dx.select(2, 0).add_(at::matmul(ds, h.k).permute({0, 2, 1, 3}));
        dx.select(2, 1).add_(at::matmul(ds.transpose(-2, -1), h.q).permute({0, 2, 1, 3}));
        dx.select(2, 2).add_(dv.permute({0, 2, 1, 3}));
    });
}

int frt_cache_write(float* kcache, int64_t n_kcache, float* vcache, int64_t n_vcache, const float* qkv, int64_t n_qkv,
                    const int32_t* slots, const int32_t* positions, int64_t n_rows, int32_t maxT, int32_t C, int32_t device) {
    return guarded([&] {
        frt::require(n_kcache == n_vcache, "kCache and vCache must be the same size.");
        auto [s, p] = cache_rows(slots, positions, n_rows, n_kcache, maxT, C, device);
        auto k = frt::floats(kcache, n_kcache, {n_kcache / C, C}, "kCache", device);
        auto v = frt::floats(vcache, n_vcache, {n_vcache / C, C}, "vCache", device);
        auto x = frt::floats(qkv, n_qkv, {n_rows, 3 * C}, "qkv", device);
        if (n_rows == 0) return;
        auto row = s.mul(maxT).add_(p);
        k.index_copy_(0, row, x.narrow(1, C, C));
        v.index_copy_(0, row, x.narrow(1, 2 * C, C));
    });
}

int frt_cache_attend(float* out, int64_t n_out, const float* qkv, int64_t n_qkv, const float* kcache, int64_t n_kcache,
                     const float* vcache, int64_t n_vcache, const int32_t* slots, const int32_t* positions, int64_t n_rows,
                     int32_t maxT, int32_t C, int32_t NH, int32_t device) {
    return guarded([&] {
        frt::require(NH >= 1 && C % NH == 0, "C=" + std::to_string(C) + " must be a positive multiple of NH=" + std::to_string(NH) + ".");
        frt::require(n_kcache == n_vcache, "kCache and vCache must be the same size.");
        auto [s, p] = cache_rows(slots, positions, n_rows, n_kcache, maxT, C, device);
        auto HS = C / NH;
        auto S = n_kcache / (static_cast<int64_t>(maxT) * C);
        auto k = frt::floats(kcache, n_kcache, {S, maxT, NH, HS}, "kCache", device);
        auto v = frt::floats(vcache, n_vcache, {S, maxT, NH, HS}, "vCache", device);
        auto x = frt::floats(qkv, n_qkv, {n_rows, 3 * C}, "qkv", device);
        auto o = frt::floats(out, n_out, {n_rows, NH, 1, HS}, "output", device);
        if (n_rows == 0) return;
        // Each row reads its own slot's cache (a copy per row: a prefill of one slot repeats it, which the matmuls
        // below then batch), masked past its own position. Only positions up to the furthest row's are read, so as not
        // to copy the whole context at every decode step; but that is further than a row's own position when the rows
        // are ragged, and a slot's rows past its own position may still hold a former occupant's values, which a zero
        // weight does not cancel if they are Inf or NaN (0 · Inf is NaN; the CPU kernel never reads them): the values
        // past each row's position are zeroed as its scores are masked. Rows go in chunks so that the copies stay near kGatherFloats floats each, whatever
        // the context and the number of rows.
        constexpr int64_t kGatherFloats = int64_t{1} << 26;
        auto span = p.max().item<int64_t>() + 1;
        auto chunk = std::max<int64_t>(1, kGatherFloats / (span * C));
        for (int64_t first = 0; first < n_rows; first += chunk) {
            auto rows = std::min(chunk, n_rows - first);
            auto cs = s.narrow(0, first, rows);
            auto cp = p.narrow(0, first, rows);
            auto rk = k.narrow(1, 0, span).index_select(0, cs).permute({0, 2, 1, 3});  // (rows, NH, span, HS)
            auto rv = v.narrow(1, 0, span).index_select(0, cs).permute({0, 2, 1, 3});
            auto q = x.narrow(0, first, rows).narrow(1, 0, C).reshape({rows, NH, 1, HS});
            auto scores = at::matmul(q, rk.transpose(-2, -1)).mul_(softmax_scale(C, NH));  // (rows, NH, 1, span)
            auto later = at::arange(span, cp.options()).unsqueeze(0).gt(cp.unsqueeze(1));  // (rows, span)
            scores.masked_fill_(later.view({rows, 1, 1, span}), kMinusInfinity);
            rv.masked_fill_(later.view({rows, 1, span, 1}), 0.0f);
            o.narrow(0, first, rows).copy_(at::matmul(at::softmax(scores, -1), rv));
        }
    });
}

int frt_gather_rows(float* dst, int64_t n_dst, const float* src, int64_t n_src, const int32_t* rows, int64_t n_rows,
                    int32_t width, int32_t device) {
    return guarded([&] {
        auto index = row_indices(rows, n_rows, n_dst, n_src, width, "destination", "source", device);
        auto d = frt::floats(dst, n_dst, {n_rows, width}, "destination", device);
        auto s = frt::floats(src, n_src, {n_src}, "source", device).narrow(0, 0, n_src / width * width).view({-1, width});
        if (n_rows > 0) at::index_select_out(d, s, 0, index);
    });
}

int frt_scatter_rows(float* dst, int64_t n_dst, const float* src, int64_t n_src, const int32_t* rows, int64_t n_rows,
                     int32_t width, int32_t device) {
    return guarded([&] {
        auto index = row_indices(rows, n_rows, n_src, n_dst, width, "source", "destination", device);
        auto d = frt::floats(dst, n_dst, {n_dst}, "destination", device).narrow(0, 0, n_dst / width * width).view({-1, width});
        auto s = frt::floats(src, n_src, {n_rows, width}, "source", device);
        if (n_rows > 0) d.index_copy_(0, index, s);
    });
}

}  // extern "C"
