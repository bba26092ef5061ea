#include "formats/tplink.hpp"

namespace iotaudit::formats {

namespace {
bool printable(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return true;
}
}  // namespace

Result<TplinkHeader> parse_tplink(ByteView data) {
  ASSIGN_OR_RETURN(ByteView hdr, data.sub(0, kTplinkHeaderSize));
  Reader r(hdr, Endian::big);
  TplinkHeader h;
  ASSIGN_OR_RETURN(h.version, r.u32());
  if (h.version != 0x01000000) return fail(Errc::malformed, "not a TP-Link v1 header");
  ASSIGN_OR_RETURN(h.vendor, r.fixed_string(24));
  ASSIGN_OR_RETURN(h.fw_version, r.fixed_string(36));
  if (h.vendor.empty() || !printable(h.vendor) || !printable(h.fw_version))
    return fail(Errc::malformed, "TP-Link header strings not printable");
  ASSIGN_OR_RETURN(h.hw_id, r.u32());
  ASSIGN_OR_RETURN(h.hw_rev, r.u32());
  TRY(r.skip(4));  // unk1 / region
  ASSIGN_OR_RETURN(ByteView md5, r.bytes(16));
  for (std::size_t i = 0; i < 16; ++i) h.md5[i] = md5.data()[i];
  TRY(r.skip(4 + 16 + 4));  // unk2, md5sum2, unk3
  ASSIGN_OR_RETURN(h.kernel_la, r.u32());
  ASSIGN_OR_RETURN(h.kernel_ep, r.u32());
  ASSIGN_OR_RETURN(h.fw_length, r.u32());
  ASSIGN_OR_RETURN(h.kernel_ofs, r.u32());
  ASSIGN_OR_RETURN(h.kernel_len, r.u32());
  ASSIGN_OR_RETURN(h.rootfs_ofs, r.u32());
  ASSIGN_OR_RETURN(h.rootfs_len, r.u32());
  ASSIGN_OR_RETURN(h.boot_ofs, r.u32());
  ASSIGN_OR_RETURN(h.boot_len, r.u32());
  ASSIGN_OR_RETURN(h.ver_hi, r.u16());
  ASSIGN_OR_RETURN(h.ver_mid, r.u16());
  ASSIGN_OR_RETURN(h.ver_lo, r.u16());
  std::uint64_t len = h.fw_length;
  if (len < kTplinkHeaderSize) return fail(Errc::malformed, "TP-Link firmware length smaller than its header");
  if (h.kernel_ofs < kTplinkHeaderSize || h.kernel_ofs >= len ||
      static_cast<std::uint64_t>(h.kernel_len) > len - h.kernel_ofs)
    return fail(Errc::malformed, "TP-Link kernel outside the firmware");
  return h;
}

}  // namespace iotaudit::formats
