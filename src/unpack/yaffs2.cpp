// YAFFS2 filesystems from NAND dumps and mkyaffs2image output. Every chunk's tags are read; for
// each object header and each data chunk the copy with the highest sequence number wins (later
// in the image on a tie), as yaffs's own scan does. Objects moved to the unlinked or deleted
// directories are counted, not listed; objects whose parent chain does not reach the root are
// kept under /lost+found with a diagnostic.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "formats/yaffs2.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

constexpr std::uint32_t kRoot = 1, kLostFound = 2, kUnlinked = 3, kDeleted = 4;

struct Best {
  std::uint32_t seq = 0;
  std::uint64_t index = 0;
  std::uint32_t n_bytes = 0;
};

bool newer(std::uint32_t seq, std::uint64_t index, const Best& b) {
  return seq > b.seq || (seq == b.seq && index >= b.index);
}

class Yaffs2Unpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "yaffs2",
        .description = "YAFFS2 flash filesystem (NAND dump with out-of-band tags), both byte orders",
        .magics = {{0, std::string("\x01\x00\x00\x00\x01\x00\x00\x00\xff\xff", 10)},
                   {0, std::string("\x00\x00\x00\x01\x00\x00\x00\x01\xff\xff", 10)},
                   {0, std::string("\x03\x00\x00\x00\x01\x00\x00\x00\xff\xff", 10)},
                   {0, std::string("\x00\x00\x00\x03\x00\x00\x00\x01\xff\xff", 10)}},
        .references = {"yaffs2 yaffs_guts.h (struct yaffs_obj_hdr)", "yaffs2 yaffs_packed_tags2.h",
                       "yaffs2 yaffs_yaffs2.c (scanning by sequence number)"},
        .limitations = {"page and spare sizes 512+16, 2048+64, 4096+128, 4096+224 and 8192+448 with the tags "
                        "at offset 0 or 2 of the spare area; images without out-of-band data (inband tags) "
                        "are not recognised",
                        "found at an offset only when the image starts with a file or directory header "
                        "whose parent is the root"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    auto g = formats::detect_yaffs2(data);
    if (!g) return fail(Errc::malformed, "no YAFFS2 geometry fits");
    Probe p;
    p.length = extent(data, *g);
    p.detail = fmt::format("{}+{} bytes per chunk, {}-endian tags at spare offset {}", g->page, g->spare,
                           g->endian == Endian::big ? "big" : "little", g->tags_at);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    auto g = formats::detect_yaffs2(all);
    if (!g) return fail(Errc::malformed, "no YAFFS2 geometry fits");
    Tree& t = ctx.tree;
    const std::uint64_t chunks = all.size() / g->chunk();
    std::map<std::uint32_t, Best> headers;
    std::map<std::pair<std::uint32_t, std::uint32_t>, Best> data_chunks;
    std::uint64_t bad = 0, last = 0;
    for (std::uint64_t i = 0; i < chunks; ++i) {
      if ((i & 0xfff) == 0 && ctx.budget.expired()) {
        t.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached while scanning chunks"});
        break;
      }
      ByteView chunk = all.sub(i * g->chunk(), g->chunk()).value_or(ByteView{});
      auto tags = formats::parse_yaffs2_tags(chunk.tail(g->page), *g);
      if (tags.erased) continue;
      if (tags.obj_id == 0 || tags.obj_id > 0x3ffff || (!tags.header && tags.n_bytes > g->page)) {
        ++bad;
        continue;
      }
      last = i + 1;
      if (tags.header) {
        auto [it, fresh] = headers.try_emplace(tags.obj_id, Best{tags.seq, i, 0});
        if (!fresh && newer(tags.seq, i, it->second)) it->second = Best{tags.seq, i, 0};
      } else {
        auto key = std::make_pair(tags.obj_id, tags.chunk_id);
        auto [it, fresh] = data_chunks.try_emplace(key, Best{tags.seq, i, tags.n_bytes});
        if (!fresh && newer(tags.seq, i, it->second)) it->second = Best{tags.seq, i, tags.n_bytes};
      }
    }
    if (bad)
      t.add_diagnostic(ctx.region, {Severity::medium, "yaffs2.tags",
                                    fmt::format("{} chunks with implausible tags skipped", bad)});

    struct Obj {
      formats::Yaffs2Header h;
      std::string path;
      bool resolved = false, deleted = false;
    };
    std::map<std::uint32_t, Obj> objs;
    for (const auto& [id, b] : headers) {
      ByteView page = all.sub(b.index * g->chunk(), g->page).value_or(ByteView{});
      auto h = formats::parse_yaffs2_header(page, g->endian);
      if (!h) continue;
      objs[id].h = std::move(*h);
    }
    // Paths: follow parents to the root; a cycle or a missing parent makes an orphan.
    std::uint64_t deleted = 0, orphans = 0;
    for (auto& [id, o] : objs) {
      if (id == kRoot) continue;
      std::vector<std::string> parts{o.h.name};
      std::uint32_t p = o.h.parent;
      std::set<std::uint32_t> seen{id};
      bool ok = true;
      while (p != kRoot) {
        if (p == kUnlinked || p == kDeleted) {
          o.deleted = true;
          break;
        }
        auto it = objs.find(p);
        if (it == objs.end() || !seen.insert(p).second || seen.size() > 256 ||
            it->second.h.type != formats::Yaffs2Type::directory) {
          ok = false;
          break;
        }
        parts.push_back(it->second.h.name);
        p = it->second.h.parent;
      }
      if (o.deleted) {
        ++deleted;
        continue;
      }
      if (!ok) {
        ++orphans;
        o.path = fmt::format("/lost+found/orphan-{}-{}", id, o.h.name);
      } else {
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) o.path += "/" + *it;
      }
      o.resolved = true;
      (void)kLostFound;
    }
    if (deleted)
      t.add_diagnostic(ctx.region, {Severity::info, "yaffs2.deleted",
                                    fmt::format("{} deleted or unlinked objects still on flash, not listed", deleted)});
    if (orphans)
      t.add_diagnostic(ctx.region, {Severity::medium, "yaffs2.orphan",
                                    fmt::format("{} objects whose parent chain does not reach the root (missing "
                                                "parent or a cycle) are under /lost+found",
                                                orphans)});

    FsBuilder fs(t, ctx.budget, ctx.region, "yaffs2");
    std::vector<std::pair<std::string, std::uint32_t>> order;
    for (const auto& [id, o] : objs)
      if (o.resolved) order.emplace_back(o.path, id);
    // Parents before children, and hard links after every file they may name.
    std::sort(order.begin(), order.end(), [&objs](const auto& a, const auto& b) {
      bool la = objs[a.second].h.type == formats::Yaffs2Type::hardlink;
      bool lb = objs[b.second].h.type == formats::Yaffs2Type::hardlink;
      return la != lb ? lb : a.first < b.first;
    });
    const Limits& lim = ctx.budget.limits();
    for (const auto& [path, id] : order) {
      if (fs.stopped()) break;
      const Obj& o = objs[id];
      FsBuilder::Entry e;
      e.path = path;
      e.mode = o.h.mode;
      e.uid = o.h.uid;
      e.gid = o.h.gid;
      e.mtime = o.h.mtime;
      e.offset = headers[id].index * g->chunk();
      std::string diag;
      switch (o.h.type) {
        case formats::Yaffs2Type::directory: e.type = NodeType::directory; break;
        case formats::Yaffs2Type::symlink:
          e.type = NodeType::symlink;
          e.link_target = o.h.alias;
          e.size = e.link_target.size();
          break;
        case formats::Yaffs2Type::hardlink: {
          e.type = NodeType::hardlink;
          auto it = objs.find(static_cast<std::uint32_t>(o.h.equiv_id));
          if (it == objs.end() || !it->second.resolved || it->second.h.type != formats::Yaffs2Type::file) {
            diag = fmt::format("hard link to object {}, which is not a file on the image", o.h.equiv_id);
            e.type = NodeType::file;
          } else {
            e.link_target = it->second.path;
          }
          break;
        }
        case formats::Yaffs2Type::special: {
          std::uint32_t fmtbits = o.h.mode & 0170000;
          e.type = fmtbits == 0020000   ? NodeType::char_device
                   : fmtbits == 0060000 ? NodeType::block_device
                   : fmtbits == 0010000 ? NodeType::fifo
                                        : NodeType::socket;
          // Linux's old 16-bit encoding or the new one, as yaffs stores it.
          e.rdev_major = (o.h.rdev >> 8) & 0xfff;
          e.rdev_minor = (o.h.rdev & 0xff) | ((o.h.rdev >> 12) & 0xfff00);
          break;
        }
        case formats::Yaffs2Type::file: {
          e.type = NodeType::file;
          e.size = o.h.size;
          std::uint64_t want = std::min<std::uint64_t>(o.h.size, lim.max_node_bytes);
          if (want < o.h.size) diag = fmt::format("content cut to the per-node limit of {} bytes", want);
          if (!ctx.budget.take_bytes(want)) {
            diag = "total output limit reached; content not read";
            want = 0;
          }
          std::vector<std::uint8_t> content(want, 0);
          std::uint64_t missing = 0;
          const std::uint64_t n = (want + g->page - 1) / g->page;
          for (std::uint64_t c = 1; c <= n; ++c) {
            auto it = data_chunks.find({id, static_cast<std::uint32_t>(c)});
            if (it == data_chunks.end()) {
              ++missing;
              continue;
            }
            std::uint64_t at = (c - 1) * g->page;
            std::uint64_t len = std::min<std::uint64_t>({it->second.n_bytes, g->page, want - at});
            ByteView src = all.sub(it->second.index * g->chunk(), len).value_or(ByteView{});
            std::memcpy(content.data() + at, src.data(), src.size());
          }
          if (missing && diag.empty())
            diag = fmt::format("{} of {} data chunks missing; zeros in their place", missing, n);
          e.content = make_blob(std::move(content));
          break;
        }
        default: continue;
      }
      NodeId node = fs.add(std::move(e));
      if (node != kNoNode && !diag.empty()) t.add_diagnostic(node, {Severity::medium, "yaffs2.content", diag});
    }
    return last * g->chunk();
  }

 private:
  static std::uint64_t extent(ByteView data, const formats::Yaffs2Geometry& g) {
    const std::uint64_t chunks = data.size() / g.chunk();
    std::uint64_t last = 0;
    for (std::uint64_t i = 0; i < chunks; ++i) {
      auto tags = formats::parse_yaffs2_tags(data.tail(i * g.chunk() + g.page).head(g.spare), g);
      if (!tags.erased) last = i + 1;
    }
    return last * g.chunk();
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_yaffs2_unpacker() { return std::make_unique<Yaffs2Unpacker>(); }

}  // namespace iotaudit::unpack
