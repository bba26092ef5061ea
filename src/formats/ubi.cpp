#include "formats/ubi.hpp"

#include <array>

#include <fmt/format.h>

namespace iotaudit::formats {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

// UBI never uses a PEB larger than this (the largest NAND eraseblocks are a few MiB).
constexpr std::uint64_t kMaxPebSize = 16ULL << 20;

bool all_ff(ByteView v) {
  for (std::uint8_t b : v.span())
    if (b != 0xFF) return false;
  return true;
}

}  // namespace

std::uint32_t ubi_crc32(ByteView data, std::uint32_t seed) {
  std::uint32_t c = seed;
  for (std::uint8_t b : data.span()) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c;
}

Result<UbiEcHeader> parse_ubi_ec_header(ByteView data) {
  ASSIGN_OR_RETURN(ByteView h, data.sub(0, kUbiEcHdrSize));
  Reader r(h, Endian::big);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kUbiEcMagic) return fail(Errc::malformed, "no UBI erase-counter header magic");
  ASSIGN_OR_RETURN(ByteView crc_part, h.sub(0, kUbiEcHdrSize - 4));
  TRY(r.seek(kUbiEcHdrSize - 4));
  ASSIGN_OR_RETURN(std::uint32_t crc, r.u32());
  if (ubi_crc32(crc_part) != crc) return fail(Errc::malformed, "UBI erase-counter header CRC mismatch");
  UbiEcHeader e;
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(e.version, r.u8());
  TRY(r.skip(3));
  ASSIGN_OR_RETURN(e.ec, r.u64());
  ASSIGN_OR_RETURN(e.vid_hdr_offset, r.u32());
  ASSIGN_OR_RETURN(e.data_offset, r.u32());
  ASSIGN_OR_RETURN(e.image_seq, r.u32());
  if (e.version != 1) return fail(Errc::unsupported, fmt::format("UBI version {}", e.version));
  if (e.vid_hdr_offset < kUbiEcHdrSize || e.data_offset < e.vid_hdr_offset + kUbiVidHdrSize ||
      e.data_offset >= kMaxPebSize)
    return fail(Errc::malformed, fmt::format("UBI header offsets inconsistent (VID {:#x}, data {:#x})",
                                             e.vid_hdr_offset, e.data_offset));
  return e;
}

Result<UbiVidHeader> parse_ubi_vid_header(ByteView data) {
  ASSIGN_OR_RETURN(ByteView h, data.sub(0, kUbiVidHdrSize));
  Reader r(h, Endian::big);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kUbiVidMagic) return fail(Errc::malformed, "no UBI volume-identifier header magic");
  ASSIGN_OR_RETURN(ByteView crc_part, h.sub(0, kUbiVidHdrSize - 4));
  TRY(r.seek(kUbiVidHdrSize - 4));
  ASSIGN_OR_RETURN(std::uint32_t crc, r.u32());
  if (ubi_crc32(crc_part) != crc) return fail(Errc::malformed, "UBI volume-identifier header CRC mismatch");
  UbiVidHeader v;
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(v.version, r.u8());
  ASSIGN_OR_RETURN(v.vol_type, r.u8());
  ASSIGN_OR_RETURN(v.copy_flag, r.u8());
  ASSIGN_OR_RETURN(v.compat, r.u8());
  ASSIGN_OR_RETURN(v.vol_id, r.u32());
  ASSIGN_OR_RETURN(v.lnum, r.u32());
  TRY(r.skip(4));
  ASSIGN_OR_RETURN(v.data_size, r.u32());
  ASSIGN_OR_RETURN(v.used_ebs, r.u32());
  ASSIGN_OR_RETURN(v.data_pad, r.u32());
  ASSIGN_OR_RETURN(v.data_crc, r.u32());
  TRY(r.skip(4));
  ASSIGN_OR_RETURN(v.sqnum, r.u64());
  if (v.vol_type != 1 && v.vol_type != 2)
    return fail(Errc::malformed, fmt::format("UBI volume type {} unknown", v.vol_type));
  return v;
}

Result<UbiVtbl> parse_ubi_vtbl(ByteView leb) {
  std::uint64_t n = std::min<std::uint64_t>(kUbiMaxVolumes, leb.size() / kUbiVtblRecordSize);
  if (n == 0) return fail(Errc::truncated, "volume table LEB too small");
  UbiVtbl out;
  for (std::uint32_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(ByteView rec, leb.sub(std::uint64_t{i} * kUbiVtblRecordSize, kUbiVtblRecordSize));
    Reader r(rec, Endian::big);
    UbiVtblRecord v;
    v.index = i;
    ASSIGN_OR_RETURN(v.reserved_pebs, r.u32());
    ASSIGN_OR_RETURN(v.alignment, r.u32());
    ASSIGN_OR_RETURN(v.data_pad, r.u32());
    ASSIGN_OR_RETURN(v.vol_type, r.u8());
    ASSIGN_OR_RETURN(v.upd_marker, r.u8());
    ASSIGN_OR_RETURN(std::uint16_t name_len, r.u16());
    ASSIGN_OR_RETURN(ByteView name, r.bytes(128));
    ASSIGN_OR_RETURN(v.flags, r.u8());
    TRY(r.skip(23));
    ASSIGN_OR_RETURN(std::uint32_t crc, r.u32());
    ASSIGN_OR_RETURN(ByteView crc_part, rec.sub(0, kUbiVtblRecordSize - 4));
    if (ubi_crc32(crc_part) != crc) {
      ++out.bad_records;
      continue;
    }
    if (v.reserved_pebs == 0) continue;  // an unused slot
    if (name_len == 0 || name_len > 127 || (v.vol_type != 1 && v.vol_type != 2)) {
      ++out.bad_records;
      continue;
    }
    ASSIGN_OR_RETURN(ByteView nm, name.sub(0, name_len));
    v.name = std::string(nm.as_chars());
    if (auto z = v.name.find('\0'); z != std::string::npos) v.name.resize(z);
    out.volumes.push_back(std::move(v));
  }
  return out;
}

Result<UbiGeometry> detect_ubi_geometry(ByteView data) {
  ASSIGN_OR_RETURN(UbiEcHeader first, parse_ubi_ec_header(data));
  UbiGeometry g;
  g.vid_hdr_offset = first.vid_hdr_offset;
  g.data_offset = first.data_offset;
  g.image_seq = first.image_seq;

  // The next valid EC header marks the second PEB. A candidate is confirmed by a third header
  // (or erased flash) one PEB further, so that a UBI image stored inside the first LEB's data
  // is not mistaken for the second PEB.
  ByteView window = data.head(2 * kMaxPebSize + kUbiEcHdrSize);
  std::string_view chars = window.as_chars();
  const std::string_view magic("UBI#", 4);
  std::uint64_t fallback = 0;
  for (std::size_t pos = chars.find(magic, first.data_offset); pos != std::string_view::npos;
       pos = chars.find(magic, pos + 1)) {
    if (pos > kMaxPebSize) break;
    auto ec = parse_ubi_ec_header(data.tail(pos));
    if (!ec) continue;
    if (first.image_seq != 0 && ec->image_seq != 0 && ec->image_seq != first.image_seq) continue;
    if (fallback == 0) fallback = pos;
    std::uint64_t third = 2 * std::uint64_t{pos};
    if (third + kUbiEcHdrSize > data.size() || parse_ubi_ec_header(data.tail(third)) ||
        all_ff(data.tail(third).head(kUbiEcHdrSize))) {
      g.peb_size = pos;
      break;
    }
  }
  if (g.peb_size == 0) g.peb_size = fallback;
  if (g.peb_size == 0) {
    // One PEB only (or the rest is cut off): everything present is that PEB.
    if (data.size() <= first.data_offset) return fail(Errc::truncated, "UBI image holds no data area");
    g.peb_size = std::min<std::uint64_t>(data.size(), kMaxPebSize);
    g.peb_count = 1;
    g.peb_size_guessed = true;
    return g;
  }
  if (g.peb_size <= g.data_offset) return fail(Errc::malformed, "UBI data offset beyond the PEB");

  std::uint64_t last = 0;
  for (std::uint64_t i = 1; i * g.peb_size < data.size(); ++i) {
    std::uint64_t at = i * g.peb_size;
    ByteView head = data.tail(at).head(kUbiEcHdrSize);
    if (head.starts_with(magic)) {
      auto ec = parse_ubi_ec_header(data.tail(at));
      if (ec && g.image_seq != 0 && ec->image_seq != 0 && ec->image_seq != g.image_seq) break;
      last = i;  // a damaged header still marks a PEB of this image
      continue;
    }
    if (all_ff(head)) continue;  // erased PEB: part of the image only if a used PEB follows
    if (data.tail(at + g.vid_hdr_offset).starts_with(std::string_view("UBI!", 4))) {
      last = i;
      continue;
    }
    break;
  }
  g.peb_count = last + 1;
  return g;
}

}  // namespace iotaudit::formats
