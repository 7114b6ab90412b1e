// Dropout with the C# backend's Philox mask, AdamW in PyTorch 2.x's arithmetic, and gradient-norm clipping.
#include <ATen/Parallel.h>

#include <cmath>

#include "common.h"
#include "philox.h"

namespace {

constexpr int64_t kLow32 = 0xFFFFFFFFLL;

// Philox words of blocks [first, first + blocks) as int64 values in [0, 2^32), word 4b + w at index 4b + w, computed
// with ATen integer ops so that the CUDA path builds its mask on the device. The 32×32-bit products are formed in
// int64, where they may wrap to negative values: the low word is unaffected, and the arithmetic right shift followed
// by a 32-bit mask still yields the high word.
at::Tensor philox_words(int64_t first, int64_t blocks, uint64_t seed, uint64_t stream, at::Device device) {
    using namespace frt::philox;
    auto options = at::TensorOptions().dtype(at::kLong).device(device);
    auto index = at::arange(first, first + blocks, options);
    auto c0 = index.bitwise_and(kLow32);
    auto c1 = at::bitwise_right_shift(index, 32);
    auto c2 = at::full({blocks}, static_cast<int64_t>(static_cast<uint32_t>(stream)), options);
    auto c3 = at::full({blocks}, static_cast<int64_t>(stream >> 32), options);
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += kW0;
            k1 += kW1;
        }
        auto p0 = c0.mul(static_cast<int64_t>(kM0));
        auto p1 = c2.mul(static_cast<int64_t>(kM1));
        auto n0 = at::bitwise_right_shift(p1, 32).bitwise_and_(kLow32).bitwise_xor_(c1).bitwise_xor_(static_cast<int64_t>(k0));
        auto n2 = at::bitwise_right_shift(p0, 32).bitwise_and_(kLow32).bitwise_xor_(c3).bitwise_xor_(static_cast<int64_t>(k1));
        c1 = p1.bitwise_and_(kLow32);
        c3 = p0.bitwise_and_(kLow32);
        c0 = n0;
        c2 = n2;
    }
    return at::stack({c0, c1, c2, c3}, 1).view({-1});
}

// keep[i] = uniform(word i of stream `call`) >= p, the C# Dropout rule. On the CPU a plain loop (parallel over
// blocks); on CUDA the ATen integer ops above, so the mask is made where it is used.
at::Tensor keep_mask(int64_t n, float p, uint64_t seed, uint64_t call, at::Device device) {
    auto blocks = (n + 3) / 4;
    if (device.is_cpu()) {
        auto keep = at::empty({n}, at::TensorOptions().dtype(at::kBool));
        auto k = keep.data_ptr<bool>();
        at::parallel_for(0, blocks, 4096, [&](int64_t begin, int64_t end) {
            for (int64_t b = begin; b < end; b++) {
                auto words = frt::philox::block(seed, call, static_cast<uint64_t>(b));
                for (int64_t j = 0; j < 4 && 4 * b + j < n; j++) k[4 * b + j] = frt::philox::uniform(words[j]) >= p;
            }
        });
        return keep;
    }
    auto words = philox_words(0, blocks, seed, call, device).narrow(0, 0, n);
    return at::bitwise_right_shift(words, 8).to(at::kFloat).mul_(1.0f / 16777216.0f).ge(p);
}

void check_probability(float p) {
    frt::require(p >= 0.0f && p <= 1.0f, "Dropout probability must be in [0, 1].");
}

// The survivor scale as the C# kernel and PyTorch compute it: the float reciprocal of the float 1 − p (0 when p = 1).
float survivor_scale(float p) { return p >= 1.0f ? 0.0f : 1.0f / static_cast<float>(1.0 - static_cast<double>(p)); }

}  // namespace

using frt::guarded;

extern "C" {

int frt_dropout_forward(float* out, int64_t n_out, const float* inp, int64_t n_inp, float p, uint64_t seed,
                        uint64_t call, int32_t device) {
    return guarded([&] {
        check_probability(p);
        auto x = frt::floats(inp, n_inp, {n_inp}, "input", device);
        auto o = frt::floats(out, n_out, {n_inp}, "output", device);
        if (p == 0.0f) {
            if (out != inp) o.copy_(x);
            return;
        }
        auto keep = keep_mask(n_inp, p, seed, call, frt::device_of(device));
        o.copy_(x.mul(survivor_scale(p)).masked_fill_(keep.logical_not(), 0.0));
    });
}

int frt_dropout_backward(float* dinp, int64_t n_dinp, const float* dout, int64_t n_dout, float p, uint64_t seed,
                         uint64_t call, int32_t device) {
    return guarded([&] {
        check_probability(p);
        auto dy = frt::floats(dout, n_dout, {n_dout}, "doutput", device);
        auto dx = frt::floats(dinp, n_dinp, {n_dout}, "dinput", device);
        if (p == 0.0f) {
            dx.add_(dy);
            return;
        }
        auto keep = keep_mask(n_dout, p, seed, call, frt::device_of(device));
        dx.add_(dy.mul(survivor_scale(p)).masked_fill_(keep.logical_not(), 0.0));
    });
}

int frt_philox_fill(uint32_t* words, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, int32_t use_aten) {
    return guarded([&] {
        frt::require(n >= 0 && (n == 0 || words != nullptr), "frt_philox_fill needs n >= 0 words of memory.");
        if (n == 0) return;
        if (use_aten == 0) {
            for (int64_t i = 0; i < n; i++) {
                auto at = offset + static_cast<uint64_t>(i);
                words[i] = frt::philox::block(seed, stream, at / 4)[at % 4];
            }
            return;
        }
        auto first = static_cast<int64_t>(offset / 4);
        auto last = static_cast<int64_t>((offset + static_cast<uint64_t>(n) - 1) / 4);
        auto all = philox_words(first, last - first + 1, seed, stream, at::Device(at::kCPU));
        auto host = at::from_blob(words, {n}, at::TensorOptions().dtype(at::kInt));
        host.copy_(all.narrow(0, static_cast<int64_t>(offset % 4), n).to(at::kInt));
    });
}

int frt_adamw(float* params, const float* grads, float* m, float* v, int64_t n, int32_t step, double lr, double beta1,
              double beta2, double eps, double weight_decay, const int64_t* decay_ranges, int32_t n_ranges,
              int32_t device) {
    return guarded([&] {
        frt::require(step >= 1, "step must be at least 1.");
        frt::require(n_ranges >= -1 && (n_ranges <= 0 || decay_ranges != nullptr), "decay ranges need memory.");
        auto p = frt::floats(params, n, {n}, "parameters", device);
        auto g = frt::floats(grads, n, {n}, "grads", device);
        auto m1 = frt::floats(m, n, {n}, "m", device);
        auto m2 = frt::floats(v, n, {n}, "v", device);
        for (int32_t r = 0; r < n_ranges; r++) {
            auto offset = decay_ranges[2 * r], length = decay_ranges[2 * r + 1];
            frt::require(offset >= 0 && length >= 0 && offset + length <= n, "Decay range [" + std::to_string(offset) + ", " +
                         std::to_string(offset + length) + ") lies outside the " + std::to_string(n) + " parameters.");
        }
        if (n == 0) return;
        // torch.optim.AdamW's single-tensor step, op for op; the scalars are Python floats (double), rounded to float
        // by each op, as in the C# AdamW.Coefficients.
        auto decay = static_cast<float>(1.0 - lr * weight_decay);
        if (n_ranges < 0) {
            p.mul_(decay);
        } else {
            for (int32_t r = 0; r < n_ranges; r++) p.narrow(0, decay_ranges[2 * r], decay_ranges[2 * r + 1]).mul_(decay);
        }
        m1.lerp_(g, static_cast<float>(1.0 - beta1));
        m2.mul_(static_cast<float>(beta2)).addcmul_(g, g, static_cast<float>(1.0 - beta2));
        auto correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, step)));
        auto denominator = m2.sqrt().div_(correction2).add_(static_cast<float>(eps));
        p.addcdiv_(m1, denominator, static_cast<float>(-lr / (1.0 - std::pow(beta1, step))));
    });
}

int frt_clip_grad_norm(float* grads, int64_t n, float max_norm, float* norm, int32_t device) {
    return guarded([&] {
        frt::require(norm != nullptr, "frt_clip_grad_norm needs a norm out pointer.");
        auto g = frt::floats(grads, n, {n}, "grads", device);
        // Squares summed in double, as the C# GradientNorm (the order differs; the float result rarely does).
        auto total = n == 0 ? 0.0f : static_cast<float>(at::linalg_vector_norm(g, 2, c10::nullopt, false, at::kDouble).item<double>());
        *norm = total;
        auto coefficient = max_norm / (total + 1e-6f);
        // A NaN coefficient (non-finite norm) scales the gradients to NaN, as clip_grad_norm_ does.
        if (!(coefficient >= 1.0f)) g.mul_(coefficient);
    });
}

}  // extern "C"
