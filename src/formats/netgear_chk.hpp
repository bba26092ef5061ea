#pragma once
// Netgear CHK firmware header (big-endian): magic 0x2a23245e, header length, 8 reserved bytes
// (region and version in later images), kernel and root filesystem checksums and lengths, image
// and header checksums, then the board id up to the header's end. The kernel follows the header
// and the root filesystem follows the kernel.
#include <cstdint>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

struct ChkHeader {
  std::uint32_t header_len = 0;
  std::uint32_t kernel_chksum = 0, rootfs_chksum = 0, image_chksum = 0, header_chksum = 0;
  std::uint32_t kernel_len = 0, rootfs_len = 0;
  std::string board_id;
  std::uint8_t region = 0;
  std::string version;  // "1.0.0.22_1.0.17" when the reserved bytes hold one
  std::uint32_t computed_header_chksum = 0;  // over the header with its checksum field zeroed
};

Result<ChkHeader> parse_netgear_chk(ByteView data);

// The checksum of Netgear's mkchkimg (two running sums folded to 16 bits each). The kernel and
// rootfs checksums cover their part, the image checksum both parts, the header checksum the
// header_len bytes of header with header_chksum zeroed.
struct NetgearChecksum {
  std::uint32_t c0 = 0, c1 = 0;
  void add(ByteView data);
  std::uint32_t finish() const;
};
std::uint32_t netgear_checksum(ByteView data);

}  // namespace iotaudit::formats
