// Helpers every translation unit of the shim shares: the exception barrier, wrapping pointers as tensors after
// checking their element counts, and index validation.
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "fhirrisk_torch.h"

namespace frt {

// A caller mistake (shape, length, index): mapped to FRT_EINVAL, which C# raises as an ArgumentException.
struct ArgumentError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

void set_error(const std::string& message);

// Runs `body`, turning every exception into a status code and this thread's error message: no C++ exception may
// cross the C ABI (it would terminate the .NET process).
template <class Body>
int guarded(Body&& body) noexcept {
    try {
        body();
        return FRT_OK;
    } catch (const ArgumentError& e) {
        set_error(e.what());
        return FRT_EINVAL;
    } catch (const c10::Error& e) {
        set_error(e.what_without_backtrace());
    } catch (const std::exception& e) {
        set_error(e.what());
    } catch (...) {
        set_error("unknown C++ exception");
    }
    return FRT_EATEN;
}

at::Device device_of(int32_t device);

// Throws ArgumentError("<name> has <actual> elements; the shape needs <expected>.") unless they agree.
void require(int64_t actual, int64_t expected, const char* name);

// Throws ArgumentError(message) unless `ok`.
void require(bool ok, const std::string& message);

// A tensor of the given sizes over `data` (no copy), after checking that `count` elements are exactly what the sizes
// need. An empty shape gives a fresh empty tensor, so a null pointer is never wrapped.
at::Tensor floats(const float* data, int64_t count, std::initializer_list<int64_t> sizes, const char* name,
                  int32_t device);
at::Tensor ints(const int32_t* data, int64_t count, std::initializer_list<int64_t> sizes, const char* name,
                int32_t device);

// Throws ArgumentError unless every value lies in [lo, hi) or equals `allowed`. Reads host memory directly on the
// CPU; on CUDA it costs one small device-to-host copy (a synchronisation).
void check_range(const at::Tensor& values, int64_t lo, int64_t hi, const char* name,
                 int64_t allowed = INT64_MIN);

// int32 ids as the int64 indices every ATen indexing op accepts on both 1.13 and 2.x.
inline at::Tensor as_index(const at::Tensor& ids) { return ids.to(at::kLong); }

}  // namespace frt
