// tar, cpio, zip, ISO 9660, 7z and ar through libarchive, reading from memory. Each format gets its own descriptor
// and a probe that checks the header's own consistency (checksum, hex fields) before libarchive
// is asked to parse anything.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cctype>
#include <cstring>

#include <fmt/format.h>
#include <zlib.h>

#include "formats/iso9660_susp.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

enum class Kind { tar, cpio, zip, iso9660, sevenzip, ar };

bool all_of(ByteView v, bool (*pred)(std::uint8_t)) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!pred(v.data()[i])) return false;
  return true;
}
bool is_hex(std::uint8_t c) { return std::isxdigit(c) != 0; }
bool is_octal(std::uint8_t c) { return c >= '0' && c <= '7'; }

Result<Probe> probe_tar(ByteView d) {
  if (d.size() < 512) return fail(Errc::truncated, "tar header truncated");
  if (!d.has_at(257, "ustar")) return fail(Errc::malformed, "no ustar magic");
  // Header checksum: sum of all header bytes with the checksum field taken as spaces.
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? 0x20 : d.data()[i];
  std::string field(reinterpret_cast<const char*>(d.data() + 148), 8);
  std::uint64_t stored = 0;
  bool digits = false;
  for (char c : field) {
    if (c >= '0' && c <= '7') {
      stored = stored * 8 + static_cast<std::uint64_t>(c - '0');
      digits = true;
    } else if (c == ' ' || c == '\0') {
      if (digits) break;
    } else {
      return fail(Errc::malformed, "tar checksum field not octal");
    }
  }
  if (!digits || stored != sum) return fail(Errc::malformed, "tar header checksum mismatch");
  return Probe{};
}

Result<Probe> probe_cpio(ByteView d) {
  if (d.starts_with("070701") || d.starts_with("070702")) {
    if (d.size() < 110) return fail(Errc::truncated, "cpio newc header truncated");
    if (!all_of(d.sub(6, 104).value(), is_hex)) return fail(Errc::malformed, "cpio newc fields not hex");
    Probe p;
    p.detail = d.starts_with("070702") ? "newc with CRC" : "newc";
    return p;
  }
  if (d.starts_with("070707")) {
    if (d.size() < 76) return fail(Errc::truncated, "cpio odc header truncated");
    if (!all_of(d.sub(6, 70).value(), is_octal)) return fail(Errc::malformed, "cpio odc fields not octal");
    return Probe{0, "odc", std::nullopt};
  }
  return fail(Errc::malformed, "no cpio magic");
}

// libarchive's cpio reader asks its read-ahead buffer for a member's whole name, and a symlink's
// whole target, in one piece, and that buffer is allocated at the requested size before the input
// is known to hold it: a 500-byte archive declaring a 4 GiB name costs a 4 GiB allocation. Such a
// request can only fail, so the archive is cut before the first header that would make it.
struct CpioHeader {
  std::uint64_t fixed = 0;  // bytes of the fixed-size header
  std::uint64_t name = 0;   // name bytes, padding included
  std::uint64_t data = 0;   // member data bytes, padding included
  std::uint64_t link = 0;   // symlinks: target bytes read in one piece
  bool trailer = false;
};

int cpio_digit(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}
bool cpio_digits(ByteView d, std::uint64_t at, std::uint64_t len, int base) {
  for (std::uint64_t i = at; i < at + len; ++i)
    if (cpio_digit(d.data()[i]) >= base) return false;
  return true;
}
// As libarchive's atol8/atol16 read it: digits up to the first that is not one.
std::uint64_t cpio_field(ByteView d, std::uint64_t at, std::uint64_t len, int base) {
  std::uint64_t v = 0;
  for (std::uint64_t i = at; i < at + len && cpio_digit(d.data()[i]) < base; ++i)
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(cpio_digit(d.data()[i]));
  return v;
}

// The header libarchive's reader accepts at `at`, if any: newc and crc for the newc reader; odc
// and afio-large for the odc reader. Acceptance and field offsets follow libarchive's cpio reader.
std::optional<CpioHeader> cpio_header_at(ByteView d, std::uint64_t at, bool newc) {
  CpioHeader h;
  std::uint64_t mode = 0, namesize = 0, filesize = 0;
  if (newc) {
    if (!(d.has_at(at, "070701") || d.has_at(at, "070702")) || d.size() - at < 110 ||
        !cpio_digits(d, at, 110, 16))
      return std::nullopt;
    mode = cpio_field(d, at + 14, 8, 16);
    filesize = cpio_field(d, at + 54, 8, 16);
    namesize = cpio_field(d, at + 94, 8, 16);
    h.fixed = 110;
    h.name = namesize + ((2 - namesize) & 3);
    h.data = filesize + ((0 - filesize) & 3);
  } else if (d.has_at(at, "070707") && d.size() - at >= 76 && cpio_digits(d, at, 76, 8)) {
    mode = cpio_field(d, at + 18, 6, 8);
    namesize = cpio_field(d, at + 59, 6, 8);
    filesize = cpio_field(d, at + 65, 11, 8);
    h.fixed = 76;
    h.name = namesize;
    h.data = filesize;
  } else if (d.has_at(at, "070727") && d.size() - at >= 116) {
    const std::uint8_t* p = d.data() + at;
    if (p[30] != 'm' || p[85] != 'n' || p[98] != 's' || p[115] != ':' ||
        !cpio_digits(d, at + 6, 24, 16) || !cpio_digits(d, at + 31, 54, 16) ||
        !cpio_digits(d, at + 86, 12, 16) || !cpio_digits(d, at + 99, 16, 16))
      return std::nullopt;
    mode = cpio_field(d, at + 31, 6, 8);
    namesize = cpio_field(d, at + 86, 4, 16);
    filesize = cpio_field(d, at + 99, 16, 16);
    h.fixed = 116;
    h.name = namesize;
    h.data = filesize;
  } else {
    return std::nullopt;
  }
  if ((mode & AE_IFMT) == AE_IFLNK) h.link = filesize;
  h.trailer = namesize == 11 && d.size() - at - h.fixed >= 11 &&
              std::memcmp(d.data() + at + h.fixed, "TRAILER!!!", 11) == 0;
  return h;
}

// Where to cut the archive so that no header libarchive reaches asks for more than is left after
// it. Headers are followed back to back, as libarchive reads them; where that chain breaks,
// libarchive scans ahead for anything header-shaped, so from there on every such position counts.
std::uint64_t cpio_readable_prefix(ByteView d, bool newc) {
  auto overruns = [&](std::uint64_t at, const CpioHeader& h) {
    std::uint64_t left = d.size() - at - h.fixed;
    return h.name > left || h.link > left - h.name;
  };
  std::uint64_t pos = 0;
  while (true) {
    auto h = cpio_header_at(d, pos, newc);
    if (!h) break;
    if (overruns(pos, *h)) return pos;
    std::uint64_t left = d.size() - pos - h->fixed - h->name;
    if (h->trailer || h->data >= left) return d.size();  // libarchive stops at the trailer or the end
    pos += h->fixed + h->name + h->data;
  }
  for (std::uint64_t at = pos; at + 6 <= d.size(); ++at) {
    const void* hit = memmem(d.data() + at, d.size() - at, "07070", 5);
    if (hit == nullptr) break;
    at = static_cast<std::uint64_t>(static_cast<const std::uint8_t*>(hit) - d.data());
    if (auto h = cpio_header_at(d, at, newc); h && overruns(at, *h)) return at;
  }
  return d.size();
}

Result<Probe> probe_zip(ByteView d) {
  if (!d.starts_with("PK\x03\x04")) return fail(Errc::malformed, "no zip local header");
  Reader r(d);
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(std::uint16_t version, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t flags, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t method, r.u16());
  TRY(r.seek(26));
  ASSIGN_OR_RETURN(std::uint16_t name_len, r.u16());
  if (version > 100 || name_len == 0 || name_len > 4096 || (flags & 0x8000u))
    return fail(Errc::malformed, "zip local header implausible");
  static constexpr std::uint16_t kKnownMethods[] = {0, 1, 6, 8, 9, 12, 14, 19, 93, 95, 96, 97, 98, 99};
  bool known = false;
  for (auto m : kKnownMethods) known = known || m == method;
  if (!known) return fail(Errc::malformed, "zip compression method unknown");
  if (d.size() < 30u + name_len) return fail(Errc::truncated, "zip name truncated");
  return Probe{};
}

// ISO 9660 (ECMA-119): volume descriptors from sector 16, 2048 bytes each, until the terminator
// (type 255). The primary one (type 1) stores every number twice, little- then big-endian; the
// two copies must agree, which random data with "CD001" in it does not.
Result<Probe> probe_iso9660(ByteView d) {
  constexpr std::uint64_t kFirst = 0x8000, kSector = 2048;
  for (unsigned i = 0; i < 32; ++i) {
    std::uint64_t at = kFirst + i * kSector;
    if (!d.has_at(at + 1, "CD001")) {
      if (i == 0) return fail(Errc::malformed, "no ISO 9660 volume descriptor");
      return fail(Errc::malformed, "ISO 9660 descriptor set ends without a primary descriptor");
    }
    ASSIGN_OR_RETURN(ByteView vd, d.sub(at, kSector));
    Reader le(vd, Endian::little), be(vd, Endian::big);
    ASSIGN_OR_RETURN(std::uint8_t type, le.u8());
    TRY(le.seek(6));
    ASSIGN_OR_RETURN(std::uint8_t version, le.u8());
    if (type == 255) return fail(Errc::malformed, "ISO 9660 descriptor set has no primary descriptor");
    if (version != 1) return fail(Errc::malformed, "ISO 9660 descriptor version not 1");
    if (type != 1) continue;  // boot record (El Torito), supplementary (Joliet), partition
    TRY(le.seek(40));
    ASSIGN_OR_RETURN(std::string volume, le.fixed_string(32));
    volume.erase(volume.find_last_not_of(' ') + 1);
    TRY(le.seek(80));
    TRY(be.seek(84));
    ASSIGN_OR_RETURN(std::uint32_t blocks, le.u32());
    ASSIGN_OR_RETURN(std::uint32_t blocks_be, be.u32());
    TRY(le.seek(128));
    TRY(be.seek(130));
    ASSIGN_OR_RETURN(std::uint16_t block_size, le.u16());
    ASSIGN_OR_RETURN(std::uint16_t block_size_be, be.u16());
    if (blocks != blocks_be || block_size != block_size_be)
      return fail(Errc::malformed, "ISO 9660 both-endian fields disagree");
    if (block_size != 512 && block_size != 1024 && block_size != 2048)
      return fail(Errc::malformed, "ISO 9660 logical block size invalid");
    // Root directory record: 34 bytes at 156, its extent inside the volume.
    TRY(le.seek(156));
    ASSIGN_OR_RETURN(std::uint8_t root_len, le.u8());
    if (root_len != 34) return fail(Errc::malformed, "ISO 9660 root directory record malformed");
    TRY(le.seek(158));
    ASSIGN_OR_RETURN(std::uint32_t root_extent, le.u32());
    if (root_extent >= blocks) return fail(Errc::malformed, "ISO 9660 root directory beyond the volume");
    Probe p;
    p.length = std::uint64_t{blocks} * block_size;
    p.detail = fmt::format("volume \"{}\", {} blocks of {}", volume, blocks, block_size);
    return p;
  }
  return fail(Errc::malformed, "ISO 9660 descriptor set too long");
}

// 7z signature header: magic, version, then a CRC32 over the 20 bytes locating the end header.
Result<Probe> probe_7z(ByteView d) {
  if (!d.starts_with(std::string_view("7z\xBC\xAF\x27\x1C", 6))) return fail(Errc::malformed, "no 7z signature");
  Reader r(d);
  TRY(r.seek(6));
  ASSIGN_OR_RETURN(std::uint8_t major, r.u8());
  ASSIGN_OR_RETURN(std::uint8_t minor, r.u8());
  ASSIGN_OR_RETURN(std::uint32_t start_crc, r.u32());
  ASSIGN_OR_RETURN(ByteView start, r.bytes(20));
  Reader s(start);
  ASSIGN_OR_RETURN(std::uint64_t next_offset, s.u64());
  ASSIGN_OR_RETURN(std::uint64_t next_size, s.u64());
  if (major != 0) return fail(Errc::unsupported, "7z major version not 0");
  (void)minor;  // minor versions only add methods
  if (crc32(0L, start.data(), static_cast<uInt>(start.size())) != start_crc)
    return fail(Errc::malformed, "7z start header CRC mismatch");
  if (next_offset > (std::uint64_t{1} << 48) || next_size > (std::uint64_t{1} << 32))
    return fail(Errc::malformed, "7z end header location implausible");
  Probe p;
  p.length = 32 + next_offset + next_size;
  p.detail = fmt::format("version 0.{}, {} bytes", minor, p.length);
  return p;
}

// ar (System V/GNU and BSD variants): "!<arch>\n", then 60-byte member headers with decimal
// sizes and a "`\n" terminator, members padded to even offsets. The archive ends where the next
// header does not parse; that is its length.
struct ArMember {
  std::uint64_t size = 0;
};
std::optional<ArMember> ar_header_at(ByteView d, std::uint64_t at) {
  auto h = d.sub(at, 60);
  if (!h || !h->has_at(58, "`\n")) return std::nullopt;
  std::string_view size_field = h->as_chars().substr(48, 10);
  std::uint64_t size = 0;
  bool digits = false, ended = false;
  for (char c : size_field) {
    if (c >= '0' && c <= '9' && !ended) {
      size = size * 10 + static_cast<std::uint64_t>(c - '0');
      digits = true;
    } else if (c == ' ') {
      ended = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  return ArMember{size};
}

Result<Probe> probe_ar(ByteView d) {
  if (!d.starts_with("!<arch>\n")) return fail(Errc::malformed, "no ar magic");
  if (d.size() == 8) return Probe{8, "empty", std::nullopt};
  if (!ar_header_at(d, 8)) {
    if (d.size() < 68) return fail(Errc::truncated, "ar member header truncated");
    return fail(Errc::malformed, "ar member header malformed");
  }
  std::uint64_t pos = 8, members = 0;
  while (pos < d.size()) {
    auto m = ar_header_at(d, pos);
    if (!m) break;
    ++members;
    std::uint64_t end = pos + 60 + m->size;
    if (m->size > d.size() || end > d.size()) {
      pos = end;  // cut short: the length is what the headers declare
      break;
    }
    pos = end + (end & 1);
  }
  return Probe{std::max<std::uint64_t>(pos, 8), fmt::format("{} members", members), std::nullopt};
}

NodeType type_of(mode_t ft) {
  switch (ft) {
    case AE_IFDIR: return NodeType::directory;
    case AE_IFLNK: return NodeType::symlink;
    case AE_IFCHR: return NodeType::char_device;
    case AE_IFBLK: return NodeType::block_device;
    case AE_IFIFO: return NodeType::fifo;
    case AE_IFSOCK: return NodeType::socket;
    default: return NodeType::file;
  }
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

class ArchiveUnpacker final : public Unpacker {
 public:
  explicit ArchiveUnpacker(Kind k) : kind_(k) {}

  const Descriptor& descriptor() const override {
    static const Descriptor tar{
        .id = "tar",
        .description = "tar archive (ustar, GNU, pax) via libarchive",
        .magics = {{257, "ustar"}},
        .references = {"POSIX.1-2001 pax", "https://www.gnu.org/software/tar/manual/html_node/Standard.html"},
        .limitations = {"pre-POSIX v7 tar without the ustar magic is only read at offset 0 of a file"},
        .filesystem = true};
    static const Descriptor cpio{
        .id = "cpio",
        .description = "cpio archive (newc, crc, odc) via libarchive",
        .magics = {{0, "070701"}, {0, "070702"}, {0, "070707"}},
        .references = {"cpio(5)"},
        .limitations = {"binary (non-ASCII) cpio headers are not carved"},
        .filesystem = true};
    static const Descriptor zip{
        .id = "zip",
        .description = "zip archive via libarchive",
        .magics = {{0, "PK\x03\x04"}},
        .references = {"PKWARE APPNOTE.TXT 6.3.10"},
        .limitations = {"encrypted members are listed with a diagnostic, not decrypted"},
        .filesystem = true};
    static const Descriptor iso9660{
        .id = "iso9660",
        .description = "ISO 9660 CD/DVD image with Rock Ridge and Joliet extensions via libarchive",
        .magics = {{0x8001, "CD001"}},
        .references = {"ECMA-119 4th edition", "IEEE P1282 Rock Ridge (RRIP 1.12)", "IEEE P1281 SUSP 1.12",
                       "Joliet specification (Microsoft, 1995)"},
        .limitations = {"only the first session of a multi-session disc is read",
                        "an image whose Rock Ridge continuation areas loop (or whose tree is too large to check "
                        "them) is read without Rock Ridge: libarchive 3.6 would loop forever on it",
                        "UDF-only discs (no ISO 9660 descriptor) are not recognised",
                        "El Torito boot images are not extracted as separate regions"},
        .filesystem = true};
    static const Descriptor sevenzip{
        .id = "7z",
        .description = "7-Zip archive via libarchive",
        .magics = {{0, std::string("7z\xBC\xAF\x27\x1C", 6)}},
        .references = {"7-Zip DOC/7zFormat.txt"},
        .limitations = {"encrypted members (AES-256) are listed with a diagnostic, not decrypted",
                        "archives with an encrypted header cannot be listed"},
        .filesystem = true};
    static const Descriptor ar{
        .id = "ar",
        .description = "ar archive (System V/GNU and BSD; Debian .deb, static libraries) via libarchive",
        .magics = {{0, "!<arch>\n"}},
        .references = {"ar(5) (FreeBSD)", "deb(5)"},
        .limitations = {"thin archives (\"!<thin>\") are not recognised: they hold no member data"},
        .filesystem = true};
    switch (kind_) {
      case Kind::tar: return tar;
      case Kind::cpio: return cpio;
      case Kind::zip: return zip;
      case Kind::iso9660: return iso9660;
      case Kind::sevenzip: return sevenzip;
      case Kind::ar: return ar;
    }
    return tar;
  }

  Result<Probe> probe(ByteView d) const override {
    switch (kind_) {
      case Kind::tar: return probe_tar(d);
      case Kind::cpio: return probe_cpio(d);
      case Kind::zip: return probe_zip(d);
      case Kind::iso9660: return probe_iso9660(d);
      case Kind::sevenzip: return probe_7z(d);
      case Kind::ar: return probe_ar(d);
    }
    return fail(Errc::internal, "unknown archive kind");
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView in = ctx.data->view();
    if (kind_ == Kind::cpio) {
      std::uint64_t readable = cpio_readable_prefix(in, !in.starts_with("070707"));
      if (readable < in.size()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "cpio.header_overrun",
                                             fmt::format("header at offset {:#x} declares a name or link target "
                                                         "longer than the rest of the archive; read up to it",
                                                         readable)});
        in = in.head(readable);
      }
    }
    if (kind_ == Kind::iso9660 || kind_ == Kind::sevenzip || kind_ == Kind::ar) {
      // These headers state the archive's extent; less data than that is a cut-short image.
      if (auto p = probe(in); p && p->length > in.size())
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, descriptor().id + ".truncated",
                                             fmt::format("archive declares {} bytes but only {} are present; "
                                                         "extraction is partial",
                                                         p->length, in.size())});
    }
    // Rock Ridge continuation chains that loop send libarchive 3.6 into an endless loop; such an
    // image is read without Rock Ridge (ISO 9660 names and no Unix modes), with a diagnostic.
    bool without_rock_ridge = false;
    if (kind_ == Kind::iso9660) {
      if (auto c = formats::check_susp_continuations(in); c && (c->loop || !c->complete)) {
        without_rock_ridge = true;
        ctx.tree.add_diagnostic(
            ctx.region, {Severity::high, "iso9660.rock_ridge_loop",
                         c->loop ? fmt::format("Rock Ridge continuation areas loop: {}; read without Rock Ridge "
                                               "(ISO 9660 names, no Unix modes or links)", c->detail)
                                 : std::string("directory tree too large to check the Rock Ridge continuation areas; "
                                               "read without Rock Ridge (ISO 9660 names, no Unix modes or links)")});
      }
    }
    // Zip is read through its central directory first: only there are the Unix modes that make
    // a member a symlink or executable. A carved zip followed by other data has no findable
    // central directory, so the local headers are streamed instead.
    std::string open_error;
    auto open_reader = [&](bool zip_central_directory) {
      std::unique_ptr<archive, ArchiveDeleter> r(archive_read_new());
      if (!r) return r;
      archive_read_support_filter_none(r.get());
      switch (kind_) {
        case Kind::tar: archive_read_support_format_tar(r.get()); break;
        case Kind::cpio: archive_read_support_format_cpio(r.get()); break;
        case Kind::zip:
          if (zip_central_directory) archive_read_support_format_zip_seekable(r.get());
          else archive_read_support_format_zip_streamable(r.get());
          break;
        case Kind::iso9660: archive_read_support_format_iso9660(r.get()); break;
        case Kind::sevenzip: archive_read_support_format_7zip(r.get()); break;
        case Kind::ar: archive_read_support_format_ar(r.get()); break;
      }
      if (without_rock_ridge && archive_read_set_options(r.get(), "iso9660:!rockridge") != ARCHIVE_OK) {
        open_error = "cannot turn Rock Ridge off";
        r.reset();
        return r;
      }
      if (archive_read_open_memory(r.get(), in.data(), in.size()) != ARCHIVE_OK) {
        const char* e = archive_error_string(r.get());
        open_error = e ? e : "cannot open";
        r.reset();
      }
      return r;
    };
    std::unique_ptr<archive, ArchiveDeleter> a;
    if (kind_ == Kind::zip) a = open_reader(true);
    if (!a) a = open_reader(false);
    if (!a) return fail(Errc::malformed, fmt::format("{}: {}", descriptor().id, open_error));

    FsBuilder fs(ctx.tree, ctx.budget, ctx.region, descriptor().id);
    const Limits& lim = ctx.budget.limits();
    std::uint64_t members = 0;
    while (!fs.stopped()) {
      archive_entry* e = nullptr;
      std::uint64_t header_at = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), -1));
      int rc = archive_read_next_header(a.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc == ARCHIVE_FATAL || rc == ARCHIVE_RETRY) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::medium, descriptor().id + ".partial",
                                             fmt::format("stopped after {} members: {}", members,
                                                         archive_error_string(a.get()) ? archive_error_string(a.get()) : "read error")});
        break;
      }
      ++members;
      if (ctx.budget.expired()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; archive listing incomplete"});
        break;
      }
      FsBuilder::Entry en;
      const char* p = archive_entry_pathname(e);
      en.path = p ? p : "";
      en.type = type_of(archive_entry_filetype(e));
      en.mode = static_cast<std::uint32_t>(archive_entry_mode(e));
      en.uid = static_cast<std::uint32_t>(archive_entry_uid(e));
      en.gid = static_cast<std::uint32_t>(archive_entry_gid(e));
      en.mtime = archive_entry_mtime(e);
      en.offset = header_at;
      en.rdev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(e));
      en.rdev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(e));
      std::string link_diag;
      if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
        bool hostile = false;
        en.type = NodeType::hardlink;
        en.link_target = FsBuilder::sanitize(hl, hostile);
        if (hostile)
          link_diag = fmt::format("hard link target '{}' climbs above the archive root; kept as '{}'", hl, en.link_target);
      } else if (en.type == NodeType::symlink) {
        const char* t = archive_entry_symlink(e);
        en.link_target = t ? t : "";
        en.size = en.link_target.size();
      }
      std::string data_diag;
      if (en.type == NodeType::file) {
        std::uint64_t declared = archive_entry_size_is_set(e) ? static_cast<std::uint64_t>(archive_entry_size(e)) : 0;
        en.size = declared;
        std::vector<std::uint8_t> buf;
        buf.reserve(std::min<std::uint64_t>(declared, std::min<std::uint64_t>(lim.max_node_bytes, 64u << 20)));
        std::uint8_t chunk[65536];
        while (true) {
          la_ssize_t n = archive_read_data(a.get(), chunk, sizeof chunk);
          if (n == 0) break;
          if (n < 0) {
            data_diag = fmt::format("content unreadable after {} bytes: {}", buf.size(),
                                    archive_error_string(a.get()) ? archive_error_string(a.get()) : "error");
            break;
          }
          if (buf.size() + static_cast<std::uint64_t>(n) > lim.max_node_bytes) {
            data_diag = fmt::format("content truncated at the per-file limit of {} bytes", lim.max_node_bytes);
            break;
          }
          if (!ctx.budget.take_bytes(static_cast<std::uint64_t>(n))) {
            data_diag = "total output limit reached; content truncated";
            break;
          }
          buf.insert(buf.end(), chunk, chunk + n);
        }
        if (declared == 0) en.size = buf.size();
        en.content = make_blob(std::move(buf));
      }
      NodeId id = fs.add(std::move(en));
      if (id == kNoNode) continue;
      if (!link_diag.empty()) fs.diagnose(id, {Severity::high, "path.traversal", link_diag});
      if (!data_diag.empty()) fs.diagnose(id, {Severity::medium, descriptor().id + ".file_data", data_diag});
      if (fs.bytes_out() > lim.ratio_floor_bytes && in.size() > 0 &&
          fs.bytes_out() / in.size() > lim.max_expansion_ratio) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.ratio",
                                             fmt::format("expansion ratio above {}:1; remaining members not read",
                                                         lim.max_expansion_ratio)});
        break;
      }
    }
    auto consumed = archive_filter_bytes(a.get(), -1);
    return consumed > 0 ? static_cast<std::uint64_t>(consumed) : 0;
  }

 private:
  Kind kind_;
};

}  // namespace

std::unique_ptr<Unpacker> make_tar_unpacker() { return std::make_unique<ArchiveUnpacker>(Kind::tar); }
std::unique_ptr<Unpacker> make_cpio_unpacker() { return std::make_unique<ArchiveUnpacker>(Kind::cpio); }
std::unique_ptr<Unpacker> make_zip_unpacker() { return std::make_unique<ArchiveUnpacker>(Kind::zip); }
std::unique_ptr<Unpacker> make_iso9660_unpacker() { return std::make_unique<ArchiveUnpacker>(Kind::iso9660); }
std::unique_ptr<Unpacker> make_7z_unpacker() { return std::make_unique<ArchiveUnpacker>(Kind::sevenzip); }
std::unique_ptr<Unpacker> make_ar_unpacker() { return std::make_unique<ArchiveUnpacker>(Kind::ar); }

}  // namespace iotaudit::unpack
