#pragma once
#include <string>

#include "core/bytes.hpp"

namespace iotaudit {
std::string sha256_hex(ByteView data);
std::string sha1_hex(ByteView data);  // for matching against vendor and malware databases only
std::string md5_hex(ByteView data);   // likewise
// Standard base64 (RFC 4648, padded): Content-Security-Policy hashes.
std::string base64(ByteView data);
// The raw SHA-256 digest.
std::string sha256_raw(ByteView data);
std::string hex_u64(std::uint64_t v);  // "0x1c0000"
}  // namespace iotaudit
