#pragma once
#include <initializer_list>
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
// Raw digests of the concatenation of `parts`.
std::string sha256_raw(std::initializer_list<ByteView> parts);
std::string sha1_raw(std::initializer_list<ByteView> parts);
std::string md5_raw(std::initializer_list<ByteView> parts);
std::string hex_u64(std::uint64_t v);  // "0x1c0000"
}  // namespace iotaudit
