#pragma once
#include <string>

#include "core/bytes.hpp"

namespace iotaudit {
std::string sha256_hex(ByteView data);
std::string hex_u64(std::uint64_t v);  // "0x1c0000"
}  // namespace iotaudit
