// romfs (genromfs): an uncompressed read-only filesystem, so file contents are slices of the
// image, never copies. Every header offset comes from the image: chains are followed with a set
// of visited headers (a `next` pointing back would loop forever, as it does in the kernel), hard
// link chains with a hop limit, and each directory list is entered once.
#include <sys/stat.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "formats/romfs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::RomfsHeader;
using formats::RomfsType;

NodeType node_type(RomfsType t) {
  switch (t) {
    case RomfsType::directory: return NodeType::directory;
    case RomfsType::symlink: return NodeType::symlink;
    case RomfsType::block_device: return NodeType::block_device;
    case RomfsType::char_device: return NodeType::char_device;
    case RomfsType::socket: return NodeType::socket;
    case RomfsType::fifo: return NodeType::fifo;
    default: return NodeType::file;
  }
}

// romfs stores no permissions: Linux derives them from the type and the executable bit
// (fs/romfs/super.c romfs_modemap).
std::uint32_t mode_of(const RomfsHeader& h) {
  std::uint32_t m = 0;
  switch (h.type) {
    case RomfsType::directory: m = S_IFDIR | 0644; break;
    case RomfsType::symlink: m = S_IFLNK | 0777; break;
    case RomfsType::block_device: m = S_IFBLK | 0600; break;
    case RomfsType::char_device: m = S_IFCHR | 0600; break;
    case RomfsType::socket: m = S_IFSOCK | 0644; break;
    case RomfsType::fifo: m = S_IFIFO | 0644; break;
    default: m = S_IFREG | 0644; break;
  }
  if (h.exec) m |= 0111;
  return m;
}

constexpr unsigned kMaxLinkHops = 32;

class RomfsUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "romfs",
        .description = "romfs read-only filesystem (genromfs)",
        .magics = {{0, "-rom1fs-"}},
        .references = {"Linux Documentation/filesystems/romfs.rst", "Linux fs/romfs/super.c"},
        .limitations = {"romfs stores no owners or timestamps: uid/gid and mtime are 0, permissions are "
                        "those Linux derives from the type and executable bit"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto sb, formats::parse_romfs_super(data));
    // The root's first header must parse where the data holds it: eight magic bytes in a kernel
    // string table are not a filesystem.
    ByteView fsv = data.head(sb.full_size);
    if (fsv.size() >= sb.first_header + 16u) {
      auto h = formats::parse_romfs_header(fsv, sb.first_header);
      if (!h && h.error().code != Errc::truncated) return tl::unexpected(h.error());
      if (h && !h->checksum_ok && (!sb.checksum_checked || !sb.checksum_ok))
        return fail(Errc::malformed, "romfs superblock and first header checksums both wrong");
    }
    Probe p;
    p.length = sb.full_size;
    p.detail = fmt::format("volume \"{}\", {} bytes", sb.volume, sb.full_size);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto sb, formats::parse_romfs_super(all));
    if (sb.full_size > all.size())
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "romfs.truncated",
                                           fmt::format("filesystem declares {} bytes but only {} are present; "
                                                       "extraction is partial",
                                                       sb.full_size, all.size())});
    if (sb.checksum_checked && !sb.checksum_ok)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "romfs.crc",
                                           "superblock checksum (first 512 bytes) does not sum to zero"});
    const ByteView fsv = all.head(sb.full_size);
    const Limits& lim = ctx.budget.limits();
    FsBuilder builder(ctx.tree, ctx.budget, ctx.region, "romfs");
    ctx.tree.mut(builder.root()).mode = S_IFDIR | 0755;

    struct Pending {
      std::uint32_t first;  // header of the directory's first entry
      std::string path;
      NodeId node;
      unsigned depth;
    };
    std::vector<Pending> stack{{sb.first_header, "", builder.root(), 0}};
    std::set<std::uint32_t> seen_headers;  // every header reached through a `next` chain
    std::set<std::uint32_t> entered_lists{sb.first_header};
    std::map<std::uint32_t, std::string> first_name;  // regular file header -> first path
    std::uint64_t errors = 0;

    while (!stack.empty() && !builder.stopped()) {
      Pending cur = std::move(stack.back());
      stack.pop_back();
      std::uint32_t off = cur.first;
      while (off != 0 && !builder.stopped()) {
        if (ctx.budget.expired()) {
          ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; romfs listing incomplete"});
          return std::uint64_t{sb.full_size};
        }
        if (!seen_headers.insert(off).second) {
          ctx.tree.add_diagnostic(cur.node, {Severity::high, "romfs.cycle",
                                             fmt::format("header at {:#x} reached twice (next-pointer cycle); "
                                                         "rest of the directory not read",
                                                         off)});
          ++errors;
          break;
        }
        auto h = formats::parse_romfs_header(fsv, off);
        if (!h) {
          ctx.tree.add_diagnostic(cur.node, {Severity::medium,
                                             h.error().code == Errc::truncated ? "romfs.truncated" : "romfs.header",
                                             fmt::format("header at {:#x}: {}; rest of the directory not read", off,
                                                         h.error().message)});
          ++errors;
          break;
        }
        off = h->next;
        bool is_dot = h->name == "." || h->name == "..";
        if (is_dot && (h->type == RomfsType::hardlink || h->type == RomfsType::directory)) continue;

        // Hard links name another header; Linux shows the target under this name.
        RomfsHeader target = *h;
        std::string link_error;
        for (unsigned hops = 0; target.type == RomfsType::hardlink; ++hops) {
          if (hops >= kMaxLinkHops) {
            link_error = fmt::format("hard link chain longer than {} hops (cycle?)", kMaxLinkHops);
            break;
          }
          auto t = formats::parse_romfs_header(fsv, target.spec);
          if (!t) {
            link_error = fmt::format("hard link target {:#x}: {}", target.spec, t.error().message);
            break;
          }
          target = *t;
        }
        if (!link_error.empty()) {
          ctx.tree.add_diagnostic(cur.node, {Severity::medium, "romfs.hardlink",
                                             fmt::format("'{}': {}; skipped", h->name, link_error)});
          ++errors;
          continue;
        }

        FsBuilder::Entry en;
        en.path = cur.path + "/" + h->name;
        en.type = node_type(target.type);
        en.mode = mode_of(target);
        en.offset = h->offset;
        std::string diag, diag_code;
        if (h->name.empty() || is_dot || h->name.find('/') != std::string::npos)
          ctx.tree.add_diagnostic(cur.node, {Severity::high, "path.traversal",
                                             fmt::format("entry name '{}' is not a single path component", h->name)});
        switch (target.type) {
          case RomfsType::regular: {
            en.size = target.size;
            if (auto it = first_name.find(target.offset); it != first_name.end()) {
              en.type = NodeType::hardlink;
              en.link_target = it->second;
              break;
            }
            first_name.emplace(target.offset, cur.path + "/" + h->name);
            std::uint64_t want = std::min<std::uint64_t>(target.size, lim.max_node_bytes);
            ByteView have = fsv.tail(target.data_offset).head(want);
            if (have.size() < target.size) {
              diag_code = have.size() < want ? "romfs.truncated" : "limit.node_bytes";
              diag = fmt::format("content cut to {} of {} bytes", have.size(), target.size);
            }
            if (!ctx.budget.take_bytes(have.size())) {
              diag_code = "limit.total_bytes";
              diag = "total output limit reached; content not read";
              have = {};
            }
            en.content = slice_blob(ctx.data, target.data_offset, have.size());
            break;
          }
          case RomfsType::symlink: {
            ByteView t = fsv.tail(target.data_offset).head(std::min<std::uint32_t>(target.size, 4096));
            en.link_target.assign(t.as_chars());
            if (auto z = en.link_target.find('\0'); z != std::string::npos) en.link_target.resize(z);
            if (en.link_target.size() < target.size) {
              diag_code = "romfs.symlink";
              diag = fmt::format("symlink target cut to {} of {} bytes", en.link_target.size(), target.size);
            }
            en.size = en.link_target.size();
            break;
          }
          case RomfsType::block_device:
          case RomfsType::char_device:
            en.rdev_major = target.spec >> 16;
            en.rdev_minor = target.spec & 0xffffu;
            break;
          default:
            break;
        }
        NodeId id = builder.add(std::move(en));
        if (id == kNoNode) continue;
        if (!h->checksum_ok)
          ctx.tree.add_diagnostic(id, {Severity::medium, "romfs.crc",
                                       fmt::format("file header at {:#x} checksum does not sum to zero", h->offset)});
        if (!diag.empty()) ctx.tree.add_diagnostic(id, {Severity::medium, diag_code, diag});
        if (target.type == RomfsType::directory) {
          if (cur.depth + 1 > 256) {
            ctx.tree.add_diagnostic(id, {Severity::high, "romfs.depth", "directory nesting deeper than 256; not descended"});
          } else if (target.spec == 0) {
            // An empty list: nothing to read.
          } else if (!entered_lists.insert(target.spec).second) {
            ctx.tree.add_diagnostic(id, {Severity::high, "romfs.cycle",
                                         fmt::format("directory list at {:#x} already read (cycle or directory "
                                                     "hard link); not descended",
                                                     target.spec)});
          } else {
            stack.push_back({target.spec, cur.path + "/" + h->name, id, cur.depth + 1});
          }
        }
      }
    }
    if (errors > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "romfs.partial",
                                           fmt::format("{} structural errors; extraction is partial", errors)});
    return std::uint64_t{sb.full_size};
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_romfs_unpacker() { return std::make_unique<RomfsUnpacker>(); }

}  // namespace iotaudit::unpack
