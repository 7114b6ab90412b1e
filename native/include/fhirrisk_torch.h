/*
 * fhirrisk_torch: the C ABI of the Torch compute backend (DESIGN §5, issue 4).
 *
 * Each kernel is the ATen twin of the C# CPU kernel of the same name (src/FhirRisk.Model/Cpu, docs/compute-engine.md):
 * float32, row-major, channels last, N = B·T rows; backward kernels accumulate (+=) into gradients, except
 * frt_cross_entropy_backward, which writes dlogits (and may write it over the logits).
 *
 * Memory is plain pointers into buffers from frt_alloc (or, on the CPU device, any host memory): every buffer argument
 * is a pointer plus its element count, the kernel checks the counts against the shape before it touches memory, and
 * wraps the pointers with from_blob (no copies). Device codes: -1 is the CPU, n >= 0 is cuda:n.
 *
 * Errors: every function returns FRT_OK, FRT_EINVAL (a bad argument: shape, length, index) or FRT_EATEN (ATen threw);
 * frt_last_error() then holds the message, per thread. No function lets a C++ exception escape.
 */
#ifndef FHIRRISK_TORCH_H
#define FHIRRISK_TORCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FRT_API __attribute__((visibility("default")))

#define FRT_OK 0
#define FRT_EATEN (-1)
#define FRT_EINVAL (-2)

/* ---- runtime ---------------------------------------------------------------------------------------------------- */

/* The message of this thread's last failed call ("" when none); valid until this thread's next failing call. */
FRT_API const char* frt_last_error(void);
/* Writes "torch <major>.<minor>.<patch>" and the CUDA device count into buf (NUL-terminated); returns FRT_OK. */
FRT_API int frt_version(char* buf, int32_t capacity);
/* CUDA devices this libtorch can use: 0 for a CPU-only build or a machine without a GPU. */
FRT_API int32_t frt_cuda_available(void);
/* ATen's intra-op thread count (at::set_num_threads); threads < 1 leaves it unchanged. Writes the count in effect. */
FRT_API int frt_set_threads(int32_t threads, int32_t* in_effect);
/* Waits for every kernel queued on the device (a no-op on the CPU). */
FRT_API int frt_synchronize(int32_t device);

/* ---- memory ----------------------------------------------------------------------------------------------------- */

/* Allocates `bytes` zeroed bytes on the device (CUDA: through the caching allocator). *handle owns the memory until
 * frt_free; *data is its first byte. */
FRT_API int frt_alloc(int64_t bytes, int32_t device, void** handle, void** data);
FRT_API int frt_free(void* handle);
FRT_API int frt_copy_h2d(void* dst, const void* src, int64_t bytes, int32_t device);
FRT_API int frt_copy_d2h(void* dst, const void* src, int64_t bytes, int32_t device);
FRT_API int frt_copy_d2d(void* dst, const void* src, int64_t bytes, int32_t device);
FRT_API int frt_memset0(void* dst, int64_t bytes, int32_t device);

/* ---- layers ----------------------------------------------------------------------------------------------------- */

/* out[N,OC] = inp[N,C] · w[OC,C]ᵀ */
FRT_API int frt_matmul_forward(float* out, int64_t n_out, const float* inp, int64_t n_inp, const float* w, int64_t n_w,
    int32_t N, int32_t C, int32_t OC, int32_t device);
/* dinp += dout · w; dw += doutᵀ · inp */
FRT_API int frt_matmul_backward(float* dinp, int64_t n_dinp, float* dw, int64_t n_dw, const float* dout, int64_t n_dout,
    const float* inp, int64_t n_inp, const float* w, int64_t n_w, int32_t N, int32_t C, int32_t OC, int32_t device);
/* out = (x − mean)·rstd·w + b over C, eps 1e-5; saves mean[N], rstd[N] */
FRT_API int frt_layernorm_forward(float* out, int64_t n_out, float* mean, int64_t n_mean, float* rstd, int64_t n_rstd,
    const float* inp, int64_t n_inp, const float* w, int64_t n_w, const float* b, int64_t n_b, int32_t N, int32_t C,
    int32_t device);
/* dinp, dw, db += the LayerNorm gradients */
FRT_API int frt_layernorm_backward(float* dinp, int64_t n_dinp, float* dw, int64_t n_dw, float* db, int64_t n_db,
    const float* dout, int64_t n_dout, const float* inp, int64_t n_inp, const float* w, int64_t n_w,
    const float* mean, int64_t n_mean, const float* rstd, int64_t n_rstd, int32_t N, int32_t C, int32_t device);
/* out = gelu_tanh(inp); out may be inp */
FRT_API int frt_gelu_forward(float* out, int64_t n_out, const float* inp, int64_t n_inp, int32_t device);
/* dinp += gelu_tanh'(inp) · dout */
FRT_API int frt_gelu_backward(float* dinp, int64_t n_dinp, const float* inp, int64_t n_inp, const float* dout,
    int64_t n_dout, int32_t device);
/* out = a + b; out may be a or b */
FRT_API int frt_residual_forward(float* out, int64_t n_out, const float* a, int64_t n_a, const float* b, int64_t n_b,
    int32_t device);
/* out[b,t] = wte[tokens[b,t]] + wpe[t] */
FRT_API int frt_embedding_forward(float* out, int64_t n_out, const int32_t* tokens, int64_t n_tokens, const float* wte,
    int64_t n_wte, const float* wpe, int64_t n_wpe, int32_t B, int32_t T, int32_t C, int32_t device);
/* out[i] = wte[tokens[i]] + wpe[positions[i]] */
FRT_API int frt_embedding_forward_at(float* out, int64_t n_out, const int32_t* tokens, int64_t n_tokens,
    const int32_t* positions, int64_t n_positions, const float* wte, int64_t n_wte, const float* wpe, int64_t n_wpe,
    int32_t C, int32_t device);
/* dwte[tokens[n]] += dout[n]; dwpe[n mod T] += dout[n] */
FRT_API int frt_embedding_backward(float* dwte, int64_t n_dwte, float* dwpe, int64_t n_dwpe, const float* dout,
    int64_t n_dout, const int32_t* tokens, int64_t n_tokens, int32_t B, int32_t T, int32_t C, int32_t device);
/* losses[n] = −log softmax(logits[n, 0..V))[targets[n]] (0 where the target is −100); *mean = their mean over the
 * counted rows (0 when none) */
FRT_API int frt_cross_entropy_forward(float* losses, int64_t n_losses, const float* logits, int64_t n_logits,
    const int32_t* targets, int64_t n_targets, int32_t N, int32_t V, int32_t Vp, float* mean, int32_t device);
/* dlogits = (softmax − onehot)/count, 0 for ignored rows and padded columns; dlogits may be logits */
FRT_API int frt_cross_entropy_backward(float* dlogits, int64_t n_dlogits, const float* logits, int64_t n_logits,
    const int32_t* targets, int64_t n_targets, int32_t N, int32_t V, int32_t Vp, int32_t device);

/* ---- attention -------------------------------------------------------------------------------------------------- */

/* causal attention qkv[B,T,3C] → out[B,T,C]; stats[B,NH,T] = log-sum-exp of each row's scaled scores */
FRT_API int frt_attention_forward(float* out, int64_t n_out, float* stats, int64_t n_stats, const float* qkv,
    int64_t n_qkv, int32_t B, int32_t T, int32_t C, int32_t NH, int32_t device);
/* dqkv += the attention gradient, recomputing the probabilities from qkv and stats */
FRT_API int frt_attention_backward(float* dqkv, int64_t n_dqkv, const float* dout, int64_t n_dout, const float* qkv,
    int64_t n_qkv, const float* out, int64_t n_out, const float* stats, int64_t n_stats, int32_t B, int32_t T,
    int32_t C, int32_t NH, int32_t device);
/* kcache[slots[i], positions[i]] = k part of qkv row i (likewise v), for n_rows rows (a prefill writes many per slot) */
FRT_API int frt_cache_write(float* kcache, int64_t n_kcache, float* vcache, int64_t n_vcache, const float* qkv,
    int64_t n_qkv, const int32_t* slots, const int32_t* positions, int64_t n_rows, int32_t maxT, int32_t C, int32_t device);
/* out[i] = softmax(q[i]·Kᵀ/√HS)·V over positions 0..positions[i] of slot slots[i], per head */
FRT_API int frt_cache_attend(float* out, int64_t n_out, const float* qkv, int64_t n_qkv, const float* kcache,
    int64_t n_kcache, const float* vcache, int64_t n_vcache, const int32_t* slots, const int32_t* positions, int64_t n_rows,
    int32_t maxT, int32_t C, int32_t NH, int32_t device);
/* dst[i] = src[rows[i]] for rows of `width` floats */
FRT_API int frt_gather_rows(float* dst, int64_t n_dst, const float* src, int64_t n_src, const int32_t* rows,
    int64_t n_rows, int32_t width, int32_t device);
/* dst[rows[i]] = src[i] for rows of `width` floats */
FRT_API int frt_scatter_rows(float* dst, int64_t n_dst, const float* src, int64_t n_src, const int32_t* rows,
    int64_t n_rows, int32_t width, int32_t device);

/* ---- regularisation and optimizer ------------------------------------------------------------------------------- */

/* out = keep ⊙ inp / (1 − p), keep[i] = uniform(Philox4x32-10(seed, call, i)) ≥ p; out may be inp */
FRT_API int frt_dropout_forward(float* out, int64_t n_out, const float* inp, int64_t n_inp, float p, uint64_t seed,
    uint64_t call, int32_t device);
/* dinp += keep ⊙ dout / (1 − p), with the forward call's mask */
FRT_API int frt_dropout_backward(float* dinp, int64_t n_dinp, const float* dout, int64_t n_dout, float p, uint64_t seed,
    uint64_t call, int32_t device);
/* words[i] = Philox4x32-10 word (offset + i) of stream `stream` under `seed` (host memory), computed by the host loop
 * (use_aten = 0) or by the ATen integer ops the CUDA path uses, run on the CPU (use_aten = 1); for tests. */
FRT_API int frt_philox_fill(uint32_t* words, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, int32_t use_aten);
/* One AdamW step in PyTorch 2.x's single-tensor arithmetic; weight decay applies to every element when n_ranges is
 * −1, else only inside the `n_ranges` (offset, length) pairs of `decay_ranges` (none when n_ranges is 0). */
FRT_API int frt_adamw(float* params, const float* grads, float* m, float* v, int64_t n, int32_t step, double lr,
    double beta1, double beta2, double eps, double weight_decay, const int64_t* decay_ranges, int32_t n_ranges,
    int32_t device);
/* *norm = ‖grads‖₂ (summed in double); when max_norm/(norm + 1e-6) < 1 the gradients are scaled by it */
FRT_API int frt_clip_grad_norm(float* grads, int64_t n, float max_norm, float* norm, int32_t device);

#ifdef __cplusplus
}
#endif

#endif
