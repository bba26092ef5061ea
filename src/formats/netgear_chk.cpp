#include "formats/netgear_chk.hpp"

#include <fmt/format.h>

namespace iotaudit::formats {

namespace {
constexpr std::uint32_t kMagic = 0x2a23245e;
constexpr std::uint32_t kFixed = 40;
constexpr std::uint32_t kMaxHeader = 1024;
}  // namespace

Result<ChkHeader> parse_netgear_chk(ByteView data) {
  Reader r(data, Endian::big);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kMagic) return fail(Errc::malformed, "no Netgear CHK magic");
  ChkHeader h;
  ASSIGN_OR_RETURN(h.header_len, r.u32());
  if (h.header_len < kFixed || h.header_len > kMaxHeader) return fail(Errc::malformed, "CHK header length implausible");
  ASSIGN_OR_RETURN(ByteView reserved, r.bytes(8));
  ASSIGN_OR_RETURN(h.kernel_chksum, r.u32());
  ASSIGN_OR_RETURN(h.rootfs_chksum, r.u32());
  ASSIGN_OR_RETURN(h.kernel_len, r.u32());
  ASSIGN_OR_RETURN(h.rootfs_len, r.u32());
  ASSIGN_OR_RETURN(h.image_chksum, r.u32());
  ASSIGN_OR_RETURN(h.header_chksum, r.u32());
  if (h.kernel_len == 0 && h.rootfs_len == 0) return fail(Errc::malformed, "CHK image without kernel or rootfs");
  if (std::uint64_t{h.kernel_len} + h.rootfs_len > (512ull << 20)) return fail(Errc::malformed, "CHK lengths implausible");
  ASSIGN_OR_RETURN(ByteView id, r.bytes(h.header_len - kFixed));
  for (std::size_t i = 0; i < id.size() && id.data()[i] != 0; ++i) {
    std::uint8_t c = id.data()[i];
    if (c < 0x20 || c >= 0x7f) return fail(Errc::malformed, "CHK board id is not text");
    h.board_id.push_back(static_cast<char>(c));
  }
  if (h.board_id.empty()) return fail(Errc::malformed, "CHK header without a board id");
  // Later images: region byte, then the version as 7 bytes (patchchk's layout). mkchkimg fills
  // the version bytes with 99, which is no version.
  const std::uint8_t* v = reserved.data();
  h.region = v[0];
  bool filler = true;
  for (int i = 1; i < 8; ++i) filler = filler && v[i] == 99;
  if ((v[1] != 0 || v[2] != 0) && !filler)
    h.version = fmt::format("{}.{}.{}.{}_{}.{}.{}", v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
  NetgearChecksum sum;
  sum.add(data.head(36));
  const std::uint8_t zero[4] = {0, 0, 0, 0};
  sum.add(ByteView(zero, 4));
  sum.add(data.tail(40).head(h.header_len - kFixed));
  h.computed_header_chksum = sum.finish();
  return h;
}

void NetgearChecksum::add(ByteView data) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    c0 += data.data()[i];
    c1 += c0;
  }
}

std::uint32_t NetgearChecksum::finish() const {
  std::uint32_t b = (c0 & 0xffff) + ((c0 >> 16) & 0xffff);
  const std::uint32_t f0 = ((b >> 16) + b) & 0xffff;
  b = (c1 & 0xffff) + ((c1 >> 16) & 0xffff);
  const std::uint32_t f1 = ((b >> 16) + b) & 0xffff;
  return (f1 << 16) | f0;
}

std::uint32_t netgear_checksum(ByteView data) {
  NetgearChecksum sum;
  sum.add(data);
  return sum.finish();
}

}  // namespace iotaudit::formats
