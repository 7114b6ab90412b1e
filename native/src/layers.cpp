// The position-wise kernels: matmul, LayerNorm, GELU, residual, embedding, softmax + cross-entropy.
#include <limits>

#include "common.h"

namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr int32_t kIgnoreIndex = -100;

void require_positive(std::initializer_list<int64_t> dims, const char* names) {
    for (auto d : dims) frt::require(d >= 1, std::string(names) + " must be positive.");
}

// logits[N, Vp] restricted to the real columns [0, V), and the targets with their counted-row mask.
struct CrossEntropyInputs {
    at::Tensor logits;   // (N, V), a strided view
    at::Tensor counted;  // (N) bool: target != −100
    at::Tensor targets;  // (N) int64, ignored rows mapped to 0 so they can be gathered
};

CrossEntropyInputs cross_entropy_inputs(const float* logits, int64_t n_logits, const int32_t* targets,
                                        int64_t n_targets, int32_t N, int32_t V, int32_t Vp, int32_t device) {
    frt::require(N >= 0 && V >= 1 && Vp >= V, "cross-entropy needs N >= 0 and 1 <= V <= Vp.");
    auto x = frt::floats(logits, n_logits, {N, Vp}, "logits", device).narrow(1, 0, V);
    auto t = frt::ints(targets, n_targets, {N}, "targets", device);
    frt::check_range(t, 0, V, "targets", kIgnoreIndex);
    auto index = frt::as_index(t);
    auto counted = index.ne(kIgnoreIndex);
    return {x, counted, index.masked_fill(counted.logical_not(), 0)};
}

}  // namespace

using frt::guarded;

extern "C" {

int frt_matmul_forward(float* out, int64_t n_out, const float* inp, int64_t n_inp, const float* w, int64_t n_w,
                       int32_t N, int32_t C, int32_t OC, int32_t device) {
    return guarded([&] {
        frt::require(N >= 0, "N must not be negative.");
        require_positive({C, OC}, "C and OC");
        auto o = frt::floats(out, n_out, {N, OC}, "output", device);
        auto x = frt::floats(inp, n_inp, {N, C}, "input", device);
        auto weight = frt::floats(w, n_w, {OC, C}, "weight", device);
        at::mm_out(o, x, weight.t());
    });
}

int frt_matmul_backward(float* dinp, int64_t n_dinp, float* dw, int64_t n_dw, const float* dout, int64_t n_dout,
                        const float* inp, int64_t n_inp, const float* w, int64_t n_w, int32_t N, int32_t C, int32_t OC,
                        int32_t device) {
    return guarded([&] {
        frt::require(N >= 0, "N must not be negative.");
        require_positive({C, OC}, "C and OC");
        auto dx = frt::floats(dinp, n_dinp, {N, C}, "dinput", device);
        auto dweight = frt::floats(dw, n_dw, {OC, C}, "dweight", device);
        auto dy = frt::floats(dout, n_dout, {N, OC}, "doutput", device);
        auto x = frt::floats(inp, n_inp, {N, C}, "input", device);
        auto weight = frt::floats(w, n_w, {OC, C}, "weight", device);
        if (N == 0) return;
        dx.addmm_(dy, weight);
        dweight.addmm_(dy.t(), x);
    });
}

int frt_layernorm_forward(float* out, int64_t n_out, float* mean, int64_t n_mean, float* rstd, int64_t n_rstd,
                          const float* inp, int64_t n_inp, const float* w, int64_t n_w, const float* b, int64_t n_b,
                          int32_t N, int32_t C, int32_t device) {
    return guarded([&] {
        frt::require(N >= 0, "N must not be negative.");
        require_positive({C}, "C");
        auto o = frt::floats(out, n_out, {N, C}, "output", device);
        auto mu = frt::floats(mean, n_mean, {N}, "mean", device);
        auto rs = frt::floats(rstd, n_rstd, {N}, "rstd", device);
        auto x = frt::floats(inp, n_inp, {N, C}, "input", device);
        auto weight = frt::floats(w, n_w, {C}, "weight", device);
        auto bias = frt::floats(b, n_b, {C}, "bias", device);
        if (N == 0) return;
        auto result = at::native_layer_norm(x, {C}, weight, bias, kLayerNormEps);
        o.copy_(std::get<0>(result));
        mu.copy_(std::get<1>(result).view({N}));
        rs.copy_(std::get<2>(result).view({N}));
    });
}

int frt_layernorm_backward(float* dinp, int64_t n_dinp, float* dw, int64_t n_dw, float* db, int64_t n_db,
                           const float* dout, int64_t n_dout, const float* inp, int64_t n_inp, const float* w,
                           int64_t n_w, const float* mean, int64_t n_mean, const float* rstd, int64_t n_rstd,
                           int32_t N, int32_t C, int32_t device) {
    return guarded([&] {
        frt::require(N >= 0, "N must not be negative.");
        require_positive({C}, "C");
        auto dx = frt::floats(dinp, n_dinp, {N, C}, "dinput", device);
        auto dweight = frt::floats(dw, n_dw, {C}, "dweight", device);
        auto dbias = frt::floats(db, n_db, {C}, "dbias", device);
        auto dy = frt::floats(dout, n_dout, {N, C}, "doutput", device);
        auto x = frt::floats(inp, n_inp, {N, C}, "input", device);
        auto weight = frt::floats(w, n_w, {C}, "weight", device);
        auto mu = frt::floats(mean, n_mean, {N, 1}, "mean", device);
        auto rs = frt::floats(rstd, n_rstd, {N, 1}, "rstd", device);
        if (N == 0) return;
        // The bias only tells ATen the shape of dbias (the gradient does not depend on it); the weight has that shape.
        auto grads = at::native_layer_norm_backward(dy, x, {C}, mu, rs, weight, weight, {true, true, true});
        dx.add_(std::get<0>(grads));
        dweight.add_(std::get<1>(grads));
        dbias.add_(std::get<2>(grads));
    });
}

int frt_gelu_forward(float* out, int64_t n_out, const float* inp, int64_t n_inp, int32_t device) {
    return guarded([&] {
        auto x = frt::floats(inp, n_inp, {n_inp}, "input", device);
        auto o = frt::floats(out, n_out, {n_inp}, "output", device);
        at::gelu_out(o, x, "tanh");
    });
}

int frt_gelu_backward(float* dinp, int64_t n_dinp, const float* inp, int64_t n_inp, const float* dout, int64_t n_dout,
                      int32_t device) {
    return guarded([&] {
        auto x = frt::floats(inp, n_inp, {n_inp}, "input", device);
        auto dx = frt::floats(dinp, n_dinp, {n_inp}, "dinput", device);
        auto dy = frt::floats(dout, n_dout, {n_inp}, "doutput", device);
        dx.add_(at::gelu_backward(dy, x, "tanh"));
    });
}

int frt_residual_forward(float* out, int64_t n_out, const float* a, int64_t n_a, const float* b, int64_t n_b,
                         int32_t device) {
    return guarded([&] {
        auto o = frt::floats(out, n_out, {n_out}, "output", device);
        auto x = frt::floats(a, n_a, {n_out}, "a", device);
        auto y = frt::floats(b, n_b, {n_out}, "b", device);
        at::add_out(o, x, y);
    });
}

int frt_embedding_forward(float* out, int64_t n_out, const int32_t* tokens, int64_t n_tokens, const float* wte,
                          int64_t n_wte, const float* wpe, int64_t n_wpe, int32_t B, int32_t T, int32_t C,
                          int32_t device) {
    return guarded([&] {
        frt::require(B >= 0 && T >= 0, "B and T must not be negative.");
        require_positive({C}, "C");
        frt::require(n_wte % C == 0 && n_wpe % C == 0, "wte and wpe must hold whole rows of C = " + std::to_string(C) + ".");
        frt::require(static_cast<int64_t>(T) <= n_wpe / C, "wpe has " + std::to_string(n_wpe / C) + " positions, fewer than T = " + std::to_string(T) + ".");
        auto o = frt::floats(out, n_out, {B, T, C}, "output", device);
        auto ids = frt::ints(tokens, n_tokens, {static_cast<int64_t>(B) * T}, "tokens", device);
        auto table = frt::floats(wte, n_wte, {n_wte / C, C}, "wte", device);
        auto positions = frt::floats(wpe, n_wpe, {n_wpe / C, C}, "wpe", device);
        frt::check_range(ids, 0, n_wte / C, "tokens");
        if (B * T == 0) return;
        at::add_out(o, table.index_select(0, frt::as_index(ids)).view({B, T, C}), positions.narrow(0, 0, T).unsqueeze(0));
    });
}

int frt_embedding_forward_at(float* out, int64_t n_out, const int32_t* tokens, int64_t n_tokens,
                             const int32_t* positions, int64_t n_positions, const float* wte, int64_t n_wte,
                             const float* wpe, int64_t n_wpe, int32_t C, int32_t device) {
    return guarded([&] {
        require_positive({C}, "C");
        frt::require(n_wte % C == 0 && n_wpe % C == 0, "wte and wpe must hold whole rows of C = " + std::to_string(C) + ".");
        frt::require(n_positions == n_tokens, "tokens and positions must have the same length.");
        auto o = frt::floats(out, n_out, {n_tokens, C}, "output", device);
        auto ids = frt::ints(tokens, n_tokens, {n_tokens}, "tokens", device);
        auto at_positions = frt::ints(positions, n_positions, {n_positions}, "positions", device);
        auto table = frt::floats(wte, n_wte, {n_wte / C, C}, "wte", device);
        auto position_table = frt::floats(wpe, n_wpe, {n_wpe / C, C}, "wpe", device);
        frt::check_range(ids, 0, n_wte / C, "tokens");
        frt::check_range(at_positions, 0, n_wpe / C, "positions");
        if (n_tokens == 0) return;
        at::add_out(o, table.index_select(0, frt::as_index(ids)), position_table.index_select(0, frt::as_index(at_positions)));
    });
}

int frt_embedding_backward(float* dwte, int64_t n_dwte, float* dwpe, int64_t n_dwpe, const float* dout, int64_t n_dout,
                           const int32_t* tokens, int64_t n_tokens, int32_t B, int32_t T, int32_t C, int32_t device) {
    return guarded([&] {
        frt::require(B >= 0 && T >= 0, "B and T must not be negative.");
        require_positive({C}, "C");
        frt::require(n_dwte % C == 0 && n_dwpe % C == 0, "dwte and dwpe must hold whole rows of C = " + std::to_string(C) + ".");
        frt::require(static_cast<int64_t>(T) <= n_dwpe / C, "dwpe has " + std::to_string(n_dwpe / C) + " positions, fewer than T = " + std::to_string(T) + ".");
        auto table = frt::floats(dwte, n_dwte, {n_dwte / C, C}, "dwte", device);
        auto positions = frt::floats(dwpe, n_dwpe, {n_dwpe / C, C}, "dwpe", device);
        auto dy = frt::floats(dout, n_dout, {B, T, C}, "doutput", device);
        auto ids = frt::ints(tokens, n_tokens, {static_cast<int64_t>(B) * T}, "tokens", device);
        frt::check_range(ids, 0, n_dwte / C, "tokens");
        if (B * T == 0) return;
        // index_add_ on the CPU adds the rows in row order, as the C# kernel does, so repeated tokens sum alike.
        table.index_add_(0, frt::as_index(ids), dy.view({static_cast<int64_t>(B) * T, C}));
        positions.narrow(0, 0, T).add_(dy.sum(0));
    });
}

int frt_cross_entropy_forward(float* losses, int64_t n_losses, const float* logits, int64_t n_logits,
                              const int32_t* targets, int64_t n_targets, int32_t N, int32_t V, int32_t Vp, float* mean,
                              int32_t device) {
    return guarded([&] {
        frt::require(mean != nullptr, "frt_cross_entropy_forward needs a mean out pointer.");
        auto in = cross_entropy_inputs(logits, n_logits, targets, n_targets, N, V, Vp, device);
        auto l = frt::floats(losses, n_losses, {N}, "losses", device);
        *mean = 0.0f;
        if (N == 0) return;
        auto picked = in.logits.gather(1, in.targets.unsqueeze(1)).squeeze(1);
        l.copy_((at::logsumexp(in.logits, {1}) - picked).masked_fill_(in.counted.logical_not(), 0.0));
        // The C# kernel sums the row losses in double; so does this (in its own order).
        auto count = in.counted.sum().item<int64_t>();
        if (count > 0) *mean = static_cast<float>(l.to(at::kDouble).sum().item<double>() / static_cast<double>(count));
    });
}

int frt_cross_entropy_backward(float* dlogits, int64_t n_dlogits, const float* logits, int64_t n_logits,
                               const int32_t* targets, int64_t n_targets, int32_t N, int32_t V, int32_t Vp,
                               int32_t device) {
    return guarded([&] {
        auto in = cross_entropy_inputs(logits, n_logits, targets, n_targets, N, V, Vp, device);
        auto d = frt::floats(dlogits, n_dlogits, {N, Vp}, "dlogits", device);
        if (N == 0) return;
        // The count stays on the device (no synchronisation); with no counted row every row is masked to 0 anyway.
        auto scale = in.counted.sum().clamp_min(1).to(at::kFloat).reciprocal();
        auto grad = at::softmax(in.logits, 1).mul_(scale);
        grad.scatter_add_(1, in.targets.unsqueeze(1), scale.neg().expand({N, 1}).contiguous());
        grad.masked_fill_(in.counted.logical_not().unsqueeze(1), 0.0);
        // grad is a fresh tensor, so writing it over the logits (d aliasing logits) is safe.
        d.narrow(1, 0, V).copy_(grad);
        d.narrow(1, V, Vp - V).zero_();
    });
}

}  // extern "C"
