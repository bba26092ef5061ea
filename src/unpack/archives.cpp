// tar, cpio and zip through libarchive, reading from memory. Each format gets its own descriptor
// and a probe that checks the header's own consistency (checksum, hex fields) before libarchive
// is asked to parse anything.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

enum class Kind { tar, cpio, zip };

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
    switch (kind_) {
      case Kind::tar: return tar;
      case Kind::cpio: return cpio;
      case Kind::zip: return zip;
    }
    return tar;
  }

  Result<Probe> probe(ByteView d) const override {
    switch (kind_) {
      case Kind::tar: return probe_tar(d);
      case Kind::cpio: return probe_cpio(d);
      case Kind::zip: return probe_zip(d);
    }
    return fail(Errc::internal, "unknown archive kind");
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView in = ctx.data->view();
    std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
    if (!a) return fail(Errc::internal, "libarchive init");
    archive_read_support_filter_none(a.get());
    switch (kind_) {
      case Kind::tar: archive_read_support_format_tar(a.get()); break;
      case Kind::cpio: archive_read_support_format_cpio(a.get()); break;
      case Kind::zip: archive_read_support_format_zip_streamable(a.get()); break;
    }
    if (archive_read_open_memory(a.get(), in.data(), in.size()) != ARCHIVE_OK)
      return fail(Errc::malformed, fmt::format("{}: {}", descriptor().id, archive_error_string(a.get())));

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

}  // namespace iotaudit::unpack
