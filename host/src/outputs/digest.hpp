// Digests for outputs: SHA-256 (FIPS 180-4), used for salted redaction pseudonyms and
// for stable finding ids. A reader may rely on: sha256() is the standard function (a
// test checks the FIPS 180-4 examples), and hex() writes lower-case digits.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hellotrace::host {

std::array<uint8_t, 32> sha256(std::string_view data);
// The first `bytes` bytes of a digest as lower-case hex.
std::string hex(const std::array<uint8_t, 32>& digest, size_t bytes = 32);

}  // namespace hellotrace::host
