#include "formats/romfs.hpp"

namespace iotaudit::formats {
namespace {

std::uint32_t align16(std::uint64_t v) { return static_cast<std::uint32_t>((v + kRomfsAlign - 1) & ~std::uint64_t{kRomfsAlign - 1}); }

// A NUL-terminated name starting at `at`; the terminator must lie within `max` bytes and `data`.
Result<std::string> c_name(ByteView data, std::uint64_t at, std::uint64_t max) {
  ByteView rest = data.tail(at).head(max);
  std::string_view s = rest.as_chars();
  auto z = s.find('\0');
  if (z == std::string_view::npos)
    return fail(rest.size() < max ? Errc::truncated : Errc::malformed, "romfs name not terminated");
  return std::string(s.substr(0, z));
}

}  // namespace

std::uint32_t romfs_checksum(ByteView data) {
  std::uint32_t sum = 0;
  Reader r(data, Endian::big);
  while (r.remaining() >= 4) sum += r.u32().value();
  if (r.remaining() > 0) {
    std::uint32_t last = 0;
    std::uint64_t n = r.remaining();
    for (std::uint64_t i = 0; i < 4; ++i) last = (last << 8) | (i < n ? r.u8().value() : 0u);
    sum += last;
  }
  return sum;
}

Result<RomfsSuper> parse_romfs_super(ByteView data) {
  if (!data.starts_with("-rom1fs-")) return fail(Errc::malformed, "no romfs magic");
  Reader r(data, Endian::big);
  TRY(r.seek(8));
  RomfsSuper s;
  ASSIGN_OR_RETURN(s.full_size, r.u32());
  TRY(r.skip(4));  // checksum: verified over the whole leading range below
  // Volume name from offset 16, padded to 16 bytes; headers follow.
  ASSIGN_OR_RETURN(s.volume, c_name(data, 16, kRomfsMaxName));
  std::uint64_t first = align16(16 + s.volume.size() + 1);
  if (s.full_size < first + 16) return fail(Errc::malformed, "romfs size smaller than its first header");
  s.first_header = static_cast<std::uint32_t>(first);
  std::uint64_t span = std::min<std::uint64_t>(s.full_size, 512);
  if (data.size() >= span) {
    s.checksum_checked = true;
    s.checksum_ok = romfs_checksum(data.head(span)) == 0;
  }
  return s;
}

Result<RomfsHeader> parse_romfs_header(ByteView fs, std::uint32_t offset) {
  if (offset % kRomfsAlign != 0) return fail(Errc::malformed, "romfs header not 16-byte aligned");
  ASSIGN_OR_RETURN(ByteView raw, fs.sub(offset, 16));
  Reader r(raw, Endian::big);
  RomfsHeader h;
  h.offset = offset;
  ASSIGN_OR_RETURN(std::uint32_t next, r.u32());
  h.next = next & ~std::uint32_t{kRomfsAlign - 1};
  h.type = static_cast<RomfsType>(next & 7u);
  h.exec = (next & 8u) != 0;
  ASSIGN_OR_RETURN(h.spec, r.u32());
  ASSIGN_OR_RETURN(h.size, r.u32());
  ASSIGN_OR_RETURN(h.name, c_name(fs, std::uint64_t{offset} + 16, kRomfsMaxName));
  std::uint64_t data = align16(std::uint64_t{offset} + 16 + h.name.size() + 1);
  if (data > fs.size()) return fail(Errc::truncated, "romfs name padding beyond the filesystem");
  h.data_offset = static_cast<std::uint32_t>(data);
  h.checksum_ok = romfs_checksum(fs.sub(offset, data - offset).value()) == 0;
  return h;
}

}  // namespace iotaudit::formats
