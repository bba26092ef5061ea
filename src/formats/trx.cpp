#include "formats/trx.hpp"

#include "formats/crc32.hpp"

namespace iotaudit::formats {

Result<TrxHeader> parse_trx(ByteView data) {
  if (!data.starts_with("HDR0")) return fail(Errc::malformed, "no TRX magic");
  Reader r(data, Endian::little);
  TRY(r.skip(4));
  TrxHeader h;
  ASSIGN_OR_RETURN(h.length, r.u32());
  ASSIGN_OR_RETURN(h.crc, r.u32());
  ASSIGN_OR_RETURN(h.flags, r.u16());
  ASSIGN_OR_RETURN(h.version, r.u16());
  if (h.version != 1 && h.version != 2) return fail(Errc::unsupported, "TRX version not 1 or 2");
  unsigned count = h.version == 1 ? 3 : 4;
  h.header_size = 12 + 4 + 4 * count;
  if (h.length < h.header_size) return fail(Errc::malformed, "TRX length smaller than its header");
  std::vector<std::uint32_t> offs;
  for (unsigned i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(std::uint32_t o, r.u32());
    if (o != 0) offs.push_back(o);
  }
  if (offs.empty()) return fail(Errc::malformed, "TRX without partitions");
  for (std::size_t i = 0; i < offs.size(); ++i) {
    if (offs[i] < h.header_size || offs[i] >= h.length)
      return fail(Errc::malformed, "TRX partition offset outside the image");
    if (i > 0 && offs[i] <= offs[i - 1]) return fail(Errc::malformed, "TRX partition offsets not increasing");
  }
  for (std::size_t i = 0; i < offs.size(); ++i) {
    std::uint64_t end = i + 1 < offs.size() ? offs[i + 1] : h.length;
    h.partitions.push_back({offs[i], end - offs[i]});
  }
  if (h.length <= data.size()) {
    h.crc_checked = true;
    // Broadcom's hndcrc32 starts from 0xffffffff and does not invert at the end: the stored
    // value is the complement of the standard CRC-32.
    h.crc_ok = (~crc32(data.sub(12, h.length - 12).value())) == h.crc;
  }
  return h;
}

}  // namespace iotaudit::formats
