// Errors, devices, threads and memory: everything that is not a kernel.
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <cstdio>
#include <cstring>
#include <numeric>
#include <sstream>

#include "common.h"

namespace frt {
namespace {

thread_local std::string last_error;

int64_t product(std::initializer_list<int64_t> sizes) {
    return std::accumulate(sizes.begin(), sizes.end(), int64_t{1}, std::multiplies<>());
}

template <class T>
at::Tensor wrap(const T* data, int64_t count, std::initializer_list<int64_t> sizes, const char* name, int32_t device,
                at::ScalarType type) {
    for (auto size : sizes) require(size >= 0, std::string(name) + " has a negative dimension.");
    require(count, product(sizes), name);
    auto options = at::TensorOptions().dtype(type).device(device_of(device));
    if (count == 0) return at::empty(sizes, options);
    require(data != nullptr, std::string(name) + " is a null pointer.");
    return at::from_blob(const_cast<T*>(data), sizes, options);
}

// A byte view of `bytes` bytes at `data` on the device (host memory when device < 0).
at::Tensor bytes_at(const void* data, int64_t bytes, int32_t device) {
    return at::from_blob(const_cast<void*>(data), {bytes}, at::TensorOptions().dtype(at::kByte).device(device_of(device)));
}

void check_copy(const void* dst, const void* src, int64_t bytes) {
    require(bytes >= 0, "a copy cannot have a negative length.");
    require(bytes == 0 || (dst != nullptr && src != nullptr), "a copy needs two non-null pointers.");
}

}  // namespace

void set_error(const std::string& message) { last_error = message; }

at::Device device_of(int32_t device) {
    return device < 0 ? at::Device(at::kCPU) : at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device));
}

void require(int64_t actual, int64_t expected, const char* name) {
    if (actual != expected) {
        std::ostringstream message;
        message << name << " has " << actual << " elements; the shape needs " << expected << ".";
        throw ArgumentError(message.str());
    }
}

void require(bool ok, const std::string& message) {
    if (!ok) throw ArgumentError(message);
}

at::Tensor floats(const float* data, int64_t count, std::initializer_list<int64_t> sizes, const char* name,
                  int32_t device) {
    return wrap(data, count, sizes, name, device, at::kFloat);
}

at::Tensor ints(const int32_t* data, int64_t count, std::initializer_list<int64_t> sizes, const char* name,
                int32_t device) {
    return wrap(data, count, sizes, name, device, at::kInt);
}

void check_range(const at::Tensor& values, int64_t lo, int64_t hi, const char* name, int64_t allowed) {
    auto host = values.is_cpu() ? values.contiguous() : values.to(at::kCPU);
    auto data = host.data_ptr<int32_t>();
    for (int64_t i = 0; i < host.numel(); i++) {
        if (data[i] != allowed && (data[i] < lo || data[i] >= hi)) {
            std::ostringstream message;
            message << name << "[" << i << "] = " << data[i] << " lies outside [" << lo << ", " << hi << ")";
            if (allowed != INT64_MIN) message << " and is not " << allowed;
            message << ".";
            throw ArgumentError(message.str());
        }
    }
}

}  // namespace frt

using frt::guarded;

extern "C" {

const char* frt_last_error(void) { return frt::last_error.c_str(); }

int frt_version(char* buf, int32_t capacity) {
    return guarded([&] {
        frt::require(buf != nullptr && capacity > 0, "frt_version needs a buffer.");
        std::snprintf(buf, static_cast<size_t>(capacity), "torch %d.%d.%d, %d CUDA device(s)", TORCH_VERSION_MAJOR,
                      TORCH_VERSION_MINOR, TORCH_VERSION_PATCH, frt_cuda_available());
    });
}

int32_t frt_cuda_available(void) {
    try {
        const auto& hooks = at::detail::getCUDAHooks();
        return hooks.hasCUDA() ? hooks.getNumGPUs() : 0;
    } catch (...) {
        return 0;
    }
}

int frt_set_threads(int32_t threads, int32_t* in_effect) {
    return guarded([&] {
        if (threads >= 1) at::set_num_threads(threads);
        if (in_effect != nullptr) *in_effect = at::get_num_threads();
    });
}

int frt_synchronize(int32_t device) {
    return guarded([&] {
        if (device >= 0) at::detail::getCUDAHooks().deviceSynchronize(device);
    });
}

int frt_alloc(int64_t bytes, int32_t device, void** handle, void** data) {
    return guarded([&] {
        frt::require(bytes >= 0, "an allocation cannot have a negative size.");
        frt::require(handle != nullptr && data != nullptr, "frt_alloc needs two out pointers.");
        // The tensor owns the storage; on CUDA its memory comes from (and returns to) the caching allocator.
        auto owner = new at::Tensor(at::zeros({bytes}, at::TensorOptions().dtype(at::kByte).device(frt::device_of(device))));
        *handle = owner;
        *data = owner->data_ptr();
    });
}

int frt_free(void* handle) {
    return guarded([&] { delete static_cast<at::Tensor*>(handle); });
}

int frt_copy_h2d(void* dst, const void* src, int64_t bytes, int32_t device) {
    return guarded([&] {
        frt::check_copy(dst, src, bytes);
        if (bytes == 0) return;
        if (device < 0) {
            std::memcpy(dst, src, static_cast<size_t>(bytes));
            return;
        }
        frt::bytes_at(dst, bytes, device).copy_(frt::bytes_at(src, bytes, -1));
    });
}

int frt_copy_d2h(void* dst, const void* src, int64_t bytes, int32_t device) {
    return guarded([&] {
        frt::check_copy(dst, src, bytes);
        if (bytes == 0) return;
        if (device < 0) {
            std::memcpy(dst, src, static_cast<size_t>(bytes));
            return;
        }
        // A blocking copy: it waits for the kernels queued before it on the stream.
        frt::bytes_at(dst, bytes, -1).copy_(frt::bytes_at(src, bytes, device));
    });
}

int frt_copy_d2d(void* dst, const void* src, int64_t bytes, int32_t device) {
    return guarded([&] {
        frt::check_copy(dst, src, bytes);
        if (bytes == 0) return;
        if (device < 0) {
            std::memmove(dst, src, static_cast<size_t>(bytes));
            return;
        }
        frt::bytes_at(dst, bytes, device).copy_(frt::bytes_at(src, bytes, device));
    });
}

int frt_memset0(void* dst, int64_t bytes, int32_t device) {
    return guarded([&] {
        frt::check_copy(dst, dst, bytes);
        if (bytes > 0) frt::bytes_at(dst, bytes, device).zero_();
    });
}

}  // extern "C"
