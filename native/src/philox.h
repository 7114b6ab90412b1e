// Philox4x32-10 (Salmon et al., SC11) with the layout of the C# FhirRisk.Model.Cpu.CounterRng: key = the 64-bit
// seed (low word first), counter words 0-1 = block index (offset / 4), words 2-3 = stream; output word `offset` is
// word offset % 4 of block offset / 4. Plain C++, no ATen: the dropout mask must be bit-identical to the C# one.
#pragma once

#include <array>
#include <cstdint>

namespace frt::philox {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers (SC11, Table 2)
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments

inline std::array<uint32_t, 4> block(uint64_t seed, uint64_t stream, uint64_t index) {
    uint32_t c0 = static_cast<uint32_t>(index), c1 = static_cast<uint32_t>(index >> 32);
    uint32_t c2 = static_cast<uint32_t>(stream), c3 = static_cast<uint32_t>(stream >> 32);
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += kW0;
            k1 += kW1;
        }
        uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
        uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
        uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
        c1 = static_cast<uint32_t>(p1);
        c3 = static_cast<uint32_t>(p0);
        c0 = n0;
        c2 = n2;
    }
    return {c0, c1, c2, c3};
}

// The C# CounterRng.ToUniform: the top 24 bits on a grid of 2^-24, exact in float.
inline float uniform(uint32_t word) { return static_cast<float>(word >> 8) * (1.0f / 16777216.0f); }

}  // namespace frt::philox
