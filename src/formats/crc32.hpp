#pragma once
// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum of U-Boot image headers and
// environments and of Broadcom TRX headers. Self-contained so that the pure format parsers do not
// link zlib; crc32_update(crc32_update(0, a), b) == crc32 of a followed by b, as with zlib.
#include <array>
#include <cstdint>

#include "core/bytes.hpp"

namespace iotaudit::formats {

namespace detail {
constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
inline constexpr std::array<std::uint32_t, 256> kCrc32Table = make_crc32_table();
}  // namespace detail

inline std::uint32_t crc32_update(std::uint32_t crc, ByteView data) {
  crc = ~crc;
  const std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < data.size(); ++i) crc = detail::kCrc32Table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}
inline std::uint32_t crc32(ByteView data) { return crc32_update(0, data); }

}  // namespace iotaudit::formats
