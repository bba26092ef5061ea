// YAFFS2 filesystems from NAND dumps (tags in the out-of-band bytes), images with inband tags,
// and mkyaffs2image output, read the way yaffs's own backward scan mounts them
// (yaffs_yaffs2.c): every chunk's tags are read; per object, chunks are visited newest first
// (highest sequence number, later in the image on a tie); the newest readable header describes
// the object; a data chunk counts when no newer copy of it exists and no newer header truncated
// the file before it (shrink headers, deletion); data written after the newest header extends
// the file. Objects in the unlinked or deleted directories are counted, not listed; objects whose
// parent chain does not reach the root (missing parent, cycle) and data without any header go to
// /lost+found with a diagnostic, as yaffs itself does with "hanging" objects.
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "formats/yaffs2.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::Yaffs2Geometry;
using formats::Yaffs2Header;
using formats::Yaffs2Kind;
using formats::Yaffs2Tags;
using formats::Yaffs2Type;
namespace y = formats::yaffs2;

// Consecutive chunks with implausible tags that end the filesystem (the bytes after it in a
// larger image). Larger than two erase blocks of the biggest common geometry, so a factory-bad
// block inside a dump does not cut it.
constexpr std::uint64_t kMaxBadRun = 512;
constexpr std::size_t kMaxDepth = 256;
constexpr std::size_t kMaxPath = 4096;
constexpr unsigned kMaxLinkHops = 40;

std::string endian_name(Endian e) { return e == Endian::big ? "big" : "little"; }

std::string describe(const Yaffs2Geometry& g) {
  if (g.inband()) return fmt::format("{}-byte pages with inband tags, {}-endian", g.page, endian_name(g.endian));
  return fmt::format("{}+{} bytes per chunk, {}-endian tags at spare offset {}", g.page, g.spare,
                     endian_name(g.endian), g.tags_at);
}

// The filesystem's extent: the chunks up to the last one in use, stopping where kMaxBadRun
// consecutive chunks carry implausible tags (erased chunks and chunks of marked bad blocks are
// neutral), plus the bytes of a chunk cut off by the end of the data right after them.
struct Extent {
  std::uint64_t chunks = 0;
  std::uint64_t partial = 0;  // bytes of a truncated last chunk
  std::uint64_t bytes(const Yaffs2Geometry& g) const { return chunks * g.stride() + partial; }
};

Extent extent(ByteView data, const Yaffs2Geometry& g, const Budget* budget) {
  const std::uint64_t n = data.size() / g.stride();
  std::uint64_t last = 0, bad_run = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (budget != nullptr && (i & 0xffff) == 0 && budget->expired()) break;
    ByteView c = data.sub(i * g.stride(), g.stride()).value_or(ByteView{});
    Yaffs2Tags t = formats::parse_yaffs2_tags(c, g);
    if (t.kind == Yaffs2Kind::erased) continue;
    if (t.kind == Yaffs2Kind::invalid) {
      if (formats::yaffs2_bad_block_marker(c, g)) continue;
      if (++bad_run > kMaxBadRun) break;
      continue;
    }
    bad_run = 0;
    last = i + 1;
  }
  Extent e{last, 0};
  const ByteView tail = data.tail(n * g.stride());
  if (last == n && std::any_of(tail.data(), tail.data() + tail.size(), [](std::uint8_t v) { return v != 0xff; }))
    e.partial = tail.size();
  return e;
}

struct Rec {
  std::uint64_t index = 0;  // chunk number in the image
  Yaffs2Tags tags;
};

// Newest first: the higher sequence number, then the later chunk.
bool newer(const Rec& a, const Rec& b) {
  return a.tags.seq != b.tags.seq ? a.tags.seq > b.tags.seq : a.index > b.index;
}

enum class Where : std::uint8_t { todo, live, gone };

struct Obj {
  std::uint32_t id = 0;
  bool has_header = false;
  Yaffs2Header h;
  const Rec* header = nullptr;  // the header in use (newest readable)
  const Rec* newest = nullptr;  // newest chunk of any kind
  bool deleted = false;         // newest header puts it in the unlinked or deleted directory
  bool shadowed = false;        // replaced by a rename over its name
  std::uint64_t size = 0;       // file size
  std::map<std::uint32_t, const Rec*> chunks;  // live data chunks by chunk id
  Where where = Where::todo;
  std::string path;
};

class Yaffs2Unpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d = [] {
      Descriptor x{
          .id = "yaffs2",
          .description = "YAFFS2 flash filesystem (NAND dump with out-of-band tags, or inband tags), both byte orders",
          .magics = {},
          .references = {"yaffs2 yaffs_guts.h (struct yaffs_obj_hdr, object ids, sequence number range)",
                         "yaffs2 yaffs_packedtags2.h, yaffs_packedtags2.c (tags and extra header info)",
                         "yaffs2 yaffs_yaffs2.c (backward scan: newest chunk wins, shrink headers, shadowing)",
                         "yaffs2 yaffs_guts.c (hanging objects go to lost+found)"},
          .limitations =
              {"page+spare sizes 1024+32, 2048+64, 2048+128, 4096+128, 4096+224, 4096+256, 8192+448, "
               "8192+512, 8192+640 and 16384+1280 with the tags at byte 0 or 2 of the spare area, or "
               "inband tags on 512- to 16384-byte pages; tags scattered over several free areas of the "
               "spare (some ECC layouts) are not recognised",
               "YAFFS1 images (512-byte pages, 16-byte spare, yaffs1 tags) are not read",
               "a dump without the spare area of a filesystem without inband tags is reported as "
               "unsupported: object ids exist only in the tags",
               "found where a chunk holds the header of a file, directory, symlink or device in the root "
               "directory; in a NAND dump that starts otherwise, chunks before the first such header are "
               "not read",
               "the ECC of the tags is not checked: a bit error in the tags makes a chunk invalid or "
               "attributes it wrongly",
               "bad blocks are recognised by the marker in the first spare byte only when the tags start "
               "at byte 2; the erase block size is inferred from sequence number changes (64 pages when "
               "there are none)",
               "extended attributes are not recorded"},
          .filesystem = true};
      // An object header of type t whose parent is the root (1), then the unused 0xFFFF name sum.
      // The big-endian form starts at byte 2 so that zero runs do not make candidates.
      for (char t : {'\x01', '\x02', '\x03', '\x05'}) {
        x.magics.push_back({0, std::string{t, 0, 0, 0, 1, 0, 0, 0, '\xff', '\xff'}});
        x.magics.push_back({2, std::string{0, t, 0, 0, 0, 1, '\xff', '\xff'}});
      }
      return x;
    }();
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (auto g = formats::detect_yaffs2(data)) {
      Probe p;
      p.length = extent(data, *g, nullptr).bytes(*g);
      p.detail = describe(*g);
      return p;
    }
    if (auto t = formats::detect_yaffs2_tagless(data)) {
      Probe p;
      p.length = t->length;
      p.detail = fmt::format("{}-byte pages without tags, {}-endian", t->page, endian_name(t->endian));
      p.unsupported =
          "YAFFS2 object headers without out-of-band or inband tags (a NAND dump without the spare "
          "area): object ids and data chunk numbers exist only in the tags";
      return p;
    }
    return fail(Errc::malformed, "no YAFFS2 geometry fits");
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    auto g = formats::detect_yaffs2(all);
    if (!g) {
      if (formats::detect_yaffs2_tagless(all))
        return fail(Errc::unsupported, "YAFFS2 image without tags (no spare area)");
      return fail(Errc::malformed, "no YAFFS2 geometry fits");
    }
    Builder b(ctx, all, *g);
    return b.run();
  }

 private:
  class Builder {
   public:
    Builder(Context& ctx, ByteView all, const Yaffs2Geometry& g)
        : ctx_(ctx), t_(ctx.tree), all_(all), g_(g), fs_(ctx.tree, ctx.budget, ctx.region, "yaffs2") {}

    std::uint64_t run() {
      const Extent ext = extent(all_, g_, &ctx_.budget);
      truncated_tail_ = ext.partial;
      scan(ext.chunks);
      drop_bad_blocks();
      build_objects();
      resolve_shadows();
      resolve_paths();
      emit();
      report();
      return ext.bytes(g_);
    }

   private:
    void diag(NodeId id, Severity sev, std::string code, std::string msg) {
      t_.add_diagnostic(id, {sev, std::move(code), std::move(msg)});
    }

    ByteView chunk(std::uint64_t index) const {
      return all_.sub(index * g_.stride(), g_.stride()).value_or(ByteView{});
    }

    void scan(std::uint64_t used) {
      for (std::uint64_t i = 0; i < used; ++i) {
        if ((i & 0xfff) == 0 && ctx_.budget.expired()) {
          timed_out_ = true;
          break;
        }
        ByteView c = chunk(i);
        // Marking a block bad leaves the tags of its pages intact; they are kept until the
        // block size is known (drop_bad_blocks).
        if (formats::yaffs2_bad_block_marker(c, g_)) markers_.push_back(i);
        Yaffs2Tags t = formats::parse_yaffs2_tags(c, g_);
        switch (t.kind) {
          case Yaffs2Kind::erased: break;
          case Yaffs2Kind::invalid: invalid_chunks_.push_back(i); break;
          case Yaffs2Kind::summary: ++summary_; break;
          case Yaffs2Kind::checkpoint: ++checkpoint_; break;
          case Yaffs2Kind::header:
          case Yaffs2Kind::data: recs_.push_back({i, t}); break;
        }
      }
    }

    // A marked bad block is skipped whole, as yaffs does. The erase block size is not stored
    // anywhere; yaffs2 gives every block a new sequence number, so it is the largest power of two
    // at which all sequence number changes happen.
    void drop_bad_blocks() {
      invalid_ = invalid_chunks_.size();
      if (markers_.empty()) return;
      std::uint64_t block = 64;
      for (std::uint64_t p : {256u, 128u, 64u, 32u, 16u}) {
        bool changes = false, aligned = true;
        for (std::size_t k = 1; k < recs_.size() && aligned; ++k) {
          if (recs_[k].tags.seq == recs_[k - 1].tags.seq) continue;
          changes = true;
          aligned = recs_[k].index % p == 0;
        }
        if (changes && aligned) {
          block = p;
          break;
        }
      }
      std::set<std::uint64_t> bad;
      for (std::uint64_t m : markers_) bad.insert(m / block);
      // Bad blocks are a few percent of a part at most; a first spare byte set in most blocks
      // is not a bad-block marker in this layout.
      std::set<std::uint64_t> blocks = bad;
      for (const Rec& r : recs_) blocks.insert(r.index / block);
      for (std::uint64_t i : invalid_chunks_) blocks.insert(i / block);
      if (bad.size() > blocks.size() / 2) {
        ignored_markers_ = markers_.size();
        return;
      }
      const std::size_t before = recs_.size();
      std::erase_if(recs_, [&](const Rec& r) { return bad.contains(r.index / block); });
      bad_block_chunks_ = before - recs_.size();
      bad_blocks_ = bad.size();
      block_pages_ = block;
      invalid_ = static_cast<std::uint64_t>(std::count_if(invalid_chunks_.begin(), invalid_chunks_.end(),
                                                          [&](std::uint64_t i) { return !bad.contains(i / block); }));
    }

    std::optional<Yaffs2Header> read_header(const Rec& r) const {
      auto h = formats::parse_yaffs2_header(chunk(r.index).head(g_.data_bytes()), g_.endian, g_.inband());
      if (!h) return std::nullopt;
      return std::move(*h);
    }

    // Visits each object's chunks newest first, as yaffs's backward scan does.
    void build_objects() {
      std::vector<const Rec*> order;
      order.reserve(recs_.size());
      for (const Rec& r : recs_) order.push_back(&r);
      std::sort(order.begin(), order.end(), [](const Rec* a, const Rec* b) {
        return a->tags.obj_id != b->tags.obj_id ? a->tags.obj_id < b->tags.obj_id : newer(*a, *b);
      });
      const std::uint64_t db = g_.data_bytes();
      for (std::size_t k = 0; k < order.size();) {
        if (ctx_.budget.expired()) {
          timed_out_ = true;
          return;
        }
        const std::uint32_t id = order[k]->tags.obj_id;
        Obj& o = objs_[id];
        o.id = id;
        o.newest = order[k];
        std::uint64_t shrink = std::numeric_limits<std::uint64_t>::max(), stored = 0;
        for (; k < order.size() && order[k]->tags.obj_id == id; ++k) {
          const Rec& r = *order[k];
          if (r.tags.kind == Yaffs2Kind::header) {
            if (!o.has_header) {
              auto h = read_header(r);
              if (!h) {
                ++unreadable_headers_;  // an older copy may still describe the object
                continue;
              }
              o.has_header = true;
              o.h = std::move(*h);
              o.header = &r;
              o.deleted = o.h.parent == y::kUnlinked || o.h.parent == y::kDeleted;
              if (o.h.type == Yaffs2Type::file) {
                o.size = std::max(o.h.size, stored);
                shrink = std::min(shrink, o.h.size);
              }
              continue;
            }
            if (o.h.type != Yaffs2Type::file) continue;
            // An older header of a file: only where it truncated the file matters.
            std::uint64_t size = 0;
            std::uint32_t parent = 0;
            bool is_shrink = false;
            if (r.tags.extra) {
              if (r.tags.extra_type != static_cast<std::uint32_t>(Yaffs2Type::file)) continue;
              size = r.tags.extra_value;
              parent = r.tags.extra_parent;
              is_shrink = r.tags.extra_shrink;
            } else {
              auto h = read_header(r);
              if (!h || h->type != Yaffs2Type::file) continue;
              size = h->size;
              parent = h->parent;
              is_shrink = h->shrink;
            }
            if (parent == y::kUnlinked || parent == y::kDeleted) {  // deleted then, so emptied
              size = 0;
              is_shrink = true;
            }
            if (is_shrink) shrink = std::min(shrink, size);
            continue;
          }
          // A data chunk.
          if (o.has_header && o.h.type != Yaffs2Type::file) {
            ++foreign_data_;
            continue;
          }
          const std::uint64_t base = std::uint64_t{r.tags.chunk_id - 1} * db;
          if (base >= shrink) {
            ++stale_chunks_;  // written before the file was truncated or deleted
            continue;
          }
          if (!o.chunks.emplace(r.tags.chunk_id, &r).second) continue;  // an older copy
          if (!o.has_header) stored = std::max(stored, base + r.tags.n_bytes);
        }
        if (!o.has_header) o.size = stored;
      }
    }

    // A header that replaced another object by renaming over its name makes that object deleted,
    // unless the object was written again after it (yaffs_handle_shadowed_obj).
    void resolve_shadows() {
      for (auto& [id, o] : objs_) {
        if (!o.has_header || o.h.shadows == 0 || o.h.shadows == id || o.deleted) continue;
        if (o.header->tags.extra && !o.header->tags.extra_shadows) continue;
        auto it = objs_.find(o.h.shadows);
        if (it == objs_.end() || it->second.shadowed) continue;
        if (newer(*o.header, *it->second.newest)) {
          it->second.shadowed = true;
          ++shadowed_;
        }
      }
    }

    std::string name_of(const Obj& o) {
      if (!o.has_header) return fmt::format("obj{}", o.id);
      const std::string& n = o.h.name;
      if (n.empty() && o.id == y::kLostFound) return "lost+found";
      if (n.empty()) {
        ++empty_names_;
        return fmt::format("obj{}", o.id);
      }
      if (n == "." || n == ".." || n.find('/') != std::string::npos) {
        ++bad_names_;
        return fmt::format("obj{}", o.id);
      }
      return n;
    }

    // Gives every object a path, or marks it gone (deleted, or in a deleted directory). Objects
    // whose chain to the root breaks become entries of /lost+found, with their subtree.
    void resolve_paths() {
      for (auto& [id, o] : objs_) {
        if (o.deleted || o.shadowed) o.where = Where::gone;
        if (id == y::kRoot) o.where = Where::gone;  // the root is the filesystem's root node
      }
      for (auto& [id, o] : objs_) {
        if (o.where != Where::todo) continue;
        if (!o.has_header) {  // data without any header
          ++headerless_;
          o.where = Where::live;
          o.path = "/lost+found/" + name_of(o);
          continue;
        }
        resolve(o);
      }
    }

    void resolve(Obj& start) {
      enum class Break { none, missing, not_dir, cycle, depth };
      std::vector<Obj*> chain{&start};
      std::string base;
      bool gone = false;
      Break why = Break::none;
      std::uint32_t p = start.h.parent;
      while (true) {
        if (p == y::kRoot) break;
        if (p == y::kUnlinked || p == y::kDeleted) {
          gone = true;
          break;
        }
        auto it = objs_.find(p);
        Obj* parent = it == objs_.end() ? nullptr : &it->second;
        if (p == y::kLostFound && (parent == nullptr || !parent->has_header)) {
          base = "/lost+found";  // yaffs's own lost+found, present without a header
          break;
        }
        if (parent == nullptr || !parent->has_header) {
          why = Break::missing;
          break;
        }
        if (parent->h.type != Yaffs2Type::directory) {
          why = Break::not_dir;
          break;
        }
        if (parent->where == Where::gone) {
          gone = true;
          break;
        }
        if (parent->where == Where::live) {
          base = parent->path;
          break;
        }
        if (std::find(chain.begin(), chain.end(), parent) != chain.end()) {
          why = Break::cycle;
          break;
        }
        if (chain.size() >= kMaxDepth) {
          why = Break::depth;
          break;
        }
        chain.push_back(parent);
        p = parent->h.parent;
      }
      if (gone) {
        for (Obj* o : chain) o->where = Where::gone;
        return;
      }
      switch (why) {
        case Break::none: break;
        case Break::missing:
        case Break::not_dir: ++orphans_; break;
        case Break::cycle: ++cycles_; break;
        case Break::depth: ++too_deep_; break;
      }
      std::string prefix = why == Break::none ? base : "/lost+found";
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        Obj& o = **it;
        const std::string name = name_of(o);
        std::string path = prefix + "/" + name;
        if (path.size() > kMaxPath) {
          ++too_long_;
          path = "/lost+found/" + name;
        }
        o.path = std::move(path);
        o.where = Where::live;
        prefix = o.path;
      }
    }

    std::optional<std::vector<std::uint8_t>> content(const Obj& o, std::vector<Diagnostic>& diags) {
      const Limits& lim = ctx_.budget.limits();
      std::uint64_t want = o.size;
      if (want > lim.max_node_bytes) {
        diags.push_back({Severity::high, "limit.node_bytes",
                         fmt::format("file of {} bytes cut to the per-file limit of {} bytes", o.size,
                                     lim.max_node_bytes)});
        want = lim.max_node_bytes;
      }
      const std::uint64_t total = out_bytes_ + want;
      if (total > lim.ratio_floor_bytes &&
          total / std::max<std::uint64_t>(all_.size(), 1) > lim.max_expansion_ratio) {
        diags.push_back({Severity::high, "limit.ratio",
                         fmt::format("file sizes exceed {}x the image size (bomb?); content not read",
                                     lim.max_expansion_ratio)});
        return std::nullopt;
      }
      if (!ctx_.budget.take_bytes(want)) {
        diags.push_back({Severity::high, "limit.total_bytes", "total output limit reached; content not read"});
        return std::nullopt;
      }
      out_bytes_ = total;
      std::vector<std::uint8_t> out(want, 0);
      const std::uint64_t db = g_.data_bytes();
      const std::uint64_t expected = (want + db - 1) / db;
      std::uint64_t present = 0;
      for (const auto& [cid, r] : o.chunks) {
        const std::uint64_t base = std::uint64_t{cid - 1} * db;
        if (base >= want) break;  // ordered by chunk id
        ++present;
        const std::uint64_t len = std::min<std::uint64_t>({r->tags.n_bytes, db, want - base});
        ByteView src = chunk(r->index).head(len);
        if (!src.empty()) std::memcpy(out.data() + base, src.data(), src.size());
      }
      if (present < expected)
        diags.push_back({Severity::low, "yaffs2.missing_data",
                         fmt::format("{} of {} data chunks absent (a hole, or chunks lost from the image); "
                                     "zeros in their place",
                                     expected - present, expected)});
      return out;
    }

    // The file object a hard link names, following links of links; nullptr when there is none.
    const Obj* link_target(const Obj& link) const {
      const Obj* cur = &link;
      for (unsigned hops = 0; hops < kMaxLinkHops; ++hops) {
        auto it = objs_.find(cur->h.equiv_id);
        if (it == objs_.end() || it->second.id == link.id) return nullptr;
        const Obj& t = it->second;
        if (!t.has_header || t.where != Where::live) return nullptr;
        if (t.h.type == Yaffs2Type::file) return &t;
        if (t.h.type != Yaffs2Type::hardlink) return nullptr;
        cur = &t;
      }
      return nullptr;
    }

    static std::uint32_t type_bits(Yaffs2Type t) {
      switch (t) {
        case Yaffs2Type::directory: return S_IFDIR;
        case Yaffs2Type::symlink: return S_IFLNK;
        default: return S_IFREG;
      }
    }

    void emit() {
      // The root's own header carries its owner and mode.
      if (auto r = objs_.find(y::kRoot); r != objs_.end() && r->second.has_header) {
        const Obj& o = r->second;
        if (o.h.type == Yaffs2Type::directory) {
          FsBuilder::Entry e;
          e.path = "/";
          e.type = NodeType::directory;
          e.mode = (o.h.mode & 07777) | S_IFDIR;
          e.uid = o.h.uid;
          e.gid = o.h.gid;
          e.mtime = o.h.mtime;
          fs_.add(std::move(e));
        } else {
          diag(ctx_.region, Severity::medium, "yaffs2.root", "the root object's header is not a directory; ignored");
        }
      }
      std::vector<std::pair<std::string, std::uint32_t>> order;
      for (const auto& [id, o] : objs_)
        if (o.where == Where::live) order.emplace_back(o.path, id);
      std::sort(order.begin(), order.end());
      for (const auto& [path, id] : order) {
        if (fs_.stopped()) return;
        if (ctx_.budget.expired()) {
          timed_out_ = true;
          return;
        }
        const Obj& o = objs_.at(id);
        FsBuilder::Entry e;
        std::vector<Diagnostic> diags;
        e.path = path;
        if (!o.has_header) {
          e.type = NodeType::file;
          e.mode = S_IFREG | 0600;
          e.offset = o.newest->index * g_.stride();
          e.size = o.size;
          diags.push_back({Severity::medium, "yaffs2.headerless",
                           fmt::format("data chunks of object {} without any object header", id)});
          auto c = content(o, diags);
          e.content = make_blob(c ? std::move(*c) : std::vector<std::uint8_t>{});
        } else {
          fill(o, e, diags);
        }
        NodeId node = fs_.add(std::move(e));
        if (node == kNoNode) continue;
        for (auto& d : diags) t_.add_diagnostic(node, std::move(d));
      }
    }

    void fill(const Obj& o, FsBuilder::Entry& e, std::vector<Diagnostic>& diags) {
      const Yaffs2Header& h = o.h;
      e.uid = h.uid;
      e.gid = h.gid;
      e.mtime = h.mtime;
      e.offset = o.header->index * g_.stride();
      const std::uint32_t fmtbits = h.mode & S_IFMT;
      e.mode = (h.mode & 07777) | type_bits(h.type);
      auto mode_mismatch = [&](std::uint32_t expect) {
        if (fmtbits != 0 && fmtbits != expect)
          diags.push_back({Severity::medium, "yaffs2.mode",
                           fmt::format("mode {:#o} contradicts the object type {}; the type wins", h.mode,
                                       static_cast<std::uint32_t>(h.type))});
      };
      switch (h.type) {
        case Yaffs2Type::directory:
          e.type = NodeType::directory;
          mode_mismatch(S_IFDIR);
          break;
        case Yaffs2Type::symlink:
          e.type = NodeType::symlink;
          mode_mismatch(S_IFLNK);
          e.link_target = h.alias;
          e.size = e.link_target.size();
          if (!h.alias_terminated)
            diags.push_back({Severity::medium, "yaffs2.symlink", "symlink target not terminated; cut at 160 bytes"});
          break;
        case Yaffs2Type::hardlink: {
          if (const Obj* target = link_target(o)) {
            e.type = NodeType::hardlink;
            e.link_target = target->path;
            e.mode = (target->h.mode & 07777) | S_IFREG;
            e.uid = target->h.uid;
            e.gid = target->h.gid;
            e.mtime = target->h.mtime;
            e.size = target->size;
          } else {
            e.type = NodeType::file;
            e.content = make_blob(std::vector<std::uint8_t>{});
            diags.push_back({Severity::medium, "yaffs2.hardlink",
                             fmt::format("hard link to object {}, which is not a file on the image; kept empty",
                                         h.equiv_id)});
          }
          break;
        }
        case Yaffs2Type::special:
          e.mode = (h.mode & 07777) | fmtbits;
          switch (fmtbits) {
            case S_IFCHR: e.type = NodeType::char_device; break;
            case S_IFBLK: e.type = NodeType::block_device; break;
            case S_IFIFO: e.type = NodeType::fifo; break;
            case S_IFSOCK: e.type = NodeType::socket; break;
            default:
              e.type = NodeType::file;
              e.mode = (h.mode & 07777) | S_IFREG;
              e.content = make_blob(std::vector<std::uint8_t>{});
              diags.push_back({Severity::medium, "yaffs2.mode",
                               fmt::format("special object with mode {:#o}, not a device, fifo or socket; kept "
                                           "as an empty file",
                                           h.mode)});
              break;
          }
          if (e.type == NodeType::char_device || e.type == NodeType::block_device) {
            // Linux's 32-bit dev_t encoding (the 16-bit one where major and minor are below 256).
            e.rdev_major = (h.rdev >> 8) & 0xfff;
            e.rdev_minor = (h.rdev & 0xff) | ((h.rdev >> 12) & 0xfff00);
          }
          break;
        case Yaffs2Type::file: {
          e.type = NodeType::file;
          mode_mismatch(S_IFREG);
          e.size = o.size;
          auto c = content(o, diags);
          e.content = make_blob(c ? std::move(*c) : std::vector<std::uint8_t>{});
          break;
        }
        default: break;
      }
    }

    void report() {
      NodeId r = ctx_.region;
      if (invalid_)
        diag(r, Severity::medium, "yaffs2.tags",
             fmt::format("{} chunks with implausible tags (sequence number, object or chunk id out of range) "
                         "ignored",
                         invalid_));
      if (bad_blocks_)
        diag(r, Severity::low, "yaffs2.bad_block",
             fmt::format("{} erase blocks marked bad ({} chunks with tags) skipped; block size taken as {} pages",
                         bad_blocks_, bad_block_chunks_, block_pages_));
      if (ignored_markers_)
        diag(r, Severity::low, "yaffs2.bad_block",
             fmt::format("the first spare byte is set in {} chunks, too many for bad-block markers; ignored",
                         ignored_markers_));
      if (checkpoint_ || summary_)
        diag(r, Severity::info, "yaffs2.metadata",
             fmt::format("{} checkpoint and {} block summary chunks skipped (mount caches, no file data)",
                         checkpoint_, summary_));
      if (unreadable_headers_)
        diag(r, Severity::medium, "yaffs2.header",
             fmt::format("{} object header chunks unreadable (type, parent or name invalid); older copies used "
                         "where present",
                         unreadable_headers_));
      std::uint64_t deleted = 0;
      for (const auto& [id, o] : objs_)
        if (o.has_header && id != y::kRoot && o.where == Where::gone && !o.shadowed) ++deleted;
      if (deleted)
        diag(r, Severity::info, "yaffs2.deleted",
             fmt::format("{} deleted or unlinked objects still on flash, not listed", deleted));
      if (shadowed_)
        diag(r, Severity::info, "yaffs2.shadowed",
             fmt::format("{} objects replaced by a rename over their name, not listed", shadowed_));
      if (stale_chunks_)
        diag(r, Severity::info, "yaffs2.stale",
             fmt::format("{} data chunks past their file's size (written before a truncation or deletion) "
                         "ignored",
                         stale_chunks_));
      if (foreign_data_)
        diag(r, Severity::medium, "yaffs2.data",
             fmt::format("{} data chunks belong to objects that are not files; ignored", foreign_data_));
      if (orphans_)
        diag(r, Severity::medium, "yaffs2.orphan",
             fmt::format("{} objects whose parent is missing or not a directory are under /lost+found", orphans_));
      if (cycles_)
        diag(r, Severity::medium, "yaffs2.cycle",
             fmt::format("{} directory cycles in parent chains broken; their members are under /lost+found",
                         cycles_));
      if (too_deep_ || too_long_)
        diag(r, Severity::medium, "yaffs2.depth",
             fmt::format("{} directory chains deeper than {} and {} paths longer than {} bytes moved to /lost+found",
                         too_deep_, kMaxDepth, too_long_, kMaxPath));
      if (headerless_)
        diag(r, Severity::medium, "yaffs2.headerless",
             fmt::format("{} objects have data chunks but no header; listed as /lost+found/obj<id>", headerless_));
      if (empty_names_)
        diag(r, Severity::medium, "yaffs2.name",
             fmt::format("{} objects without a name; listed as obj<id>", empty_names_));
      if (bad_names_)
        diag(r, Severity::high, "path.traversal",
             fmt::format("{} object names are '.', '..' or contain '/'; listed as obj<id>", bad_names_));
      if (truncated_tail_)
        diag(r, Severity::medium, "yaffs2.truncated",
             fmt::format("the image ends {} bytes into a chunk: it is cut short; extraction is partial",
                         truncated_tail_));
      if (timed_out_)
        diag(r, Severity::high, "limit.time", "time limit reached while reading YAFFS2 chunks; extraction is partial");
    }

    Context& ctx_;
    Tree& t_;
    ByteView all_;
    Yaffs2Geometry g_;
    FsBuilder fs_;
    std::vector<Rec> recs_;
    std::vector<std::uint64_t> markers_, invalid_chunks_;
    std::map<std::uint32_t, Obj> objs_;
    std::uint64_t invalid_ = 0, summary_ = 0, checkpoint_ = 0, unreadable_headers_ = 0, stale_chunks_ = 0,
                  foreign_data_ = 0, shadowed_ = 0, orphans_ = 0, cycles_ = 0, too_deep_ = 0, too_long_ = 0,
                  headerless_ = 0, bad_names_ = 0, empty_names_ = 0, truncated_tail_ = 0, bad_blocks_ = 0, bad_block_chunks_ = 0,
                  block_pages_ = 0, ignored_markers_ = 0, out_bytes_ = 0;
    bool timed_out_ = false;
  };
};

}  // namespace

std::unique_ptr<Unpacker> make_yaffs2_unpacker() { return std::make_unique<Yaffs2Unpacker>(); }

}  // namespace iotaudit::unpack
