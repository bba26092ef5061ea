// UBIFS, read from the content of a UBI volume (LEB n at n * leb_size). The superblock (LEB 0)
// gives the geometry, the newest master node (LEB 1/2) the root of the index B-tree; the tree's
// leaves are inode, directory-entry and data nodes. Nodes the journal wrote after the last commit
// (buds listed by reference nodes in the log) are replayed over the index: for each key the node
// with the highest sequence number wins, which is also how the fallback scan of every LEB (used
// when the index is damaged) decides.
#include <sys/stat.h>

#include <map>
#include <set>

#include <fmt/format.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include "formats/ubifs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using namespace formats;

constexpr std::uint32_t kLogLnum = 3;      // UBIFS_LOG_LNUM
constexpr unsigned kMaxIndexLevels = 64;   // a real index is a few levels deep
constexpr unsigned kMaxDirDepth = 256;

std::uint64_t align8(std::uint64_t v) { return (v + 7) & ~std::uint64_t{7}; }

struct InodeRec {
  std::uint64_t sqnum = 0;
  UbifsInode in;
  std::uint64_t where = 0;  // byte offset in the volume
};
struct DentRec {
  std::uint64_t sqnum = 0;
  std::uint64_t inum = 0;
  std::uint8_t itype = 0;
};
struct DataRec {
  std::uint64_t sqnum = 0;
  UbifsData d;
};

// Per-block decompressors, kept for the whole filesystem.
class Decoder {
 public:
  Decoder() {
    lzo_ok_ = lzo_init() == LZO_E_OK;
    zstd_ = ZSTD_createDCtx();
    if (inflateInit2(&zs_, -15) == Z_OK) z_ok_ = true;
  }
  ~Decoder() {
    if (z_ok_) inflateEnd(&zs_);
    if (zstd_) ZSTD_freeDCtx(zstd_);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one data node into `out` (capacity kUbifsBlockSize); returns the byte count or an
  // error message.
  Result<std::size_t> decode(const UbifsData& d, std::uint8_t* out) {
    ByteView in = d.payload;
    switch (d.compr_type) {
      case 0: {
        if (in.size() < d.size) return fail(Errc::truncated, "stored block shorter than its size");
        std::copy(in.span().begin(), in.span().begin() + d.size, out);
        return std::size_t{d.size};
      }
      case 1: {
        if (!lzo_ok_) return fail(Errc::internal, "lzo initialisation failed");
        lzo_uint len = kUbifsBlockSize;
        int rc = lzo1x_decompress_safe(in.data(), in.size(), out, &len, nullptr);
        if (rc != LZO_E_OK) return fail(Errc::malformed, fmt::format("lzo error {}", rc));
        return std::size_t{len};
      }
      case 2: {
        if (!z_ok_ || inflateReset(&zs_) != Z_OK) return fail(Errc::internal, "zlib initialisation failed");
        zs_.next_in = const_cast<Bytef*>(in.data());
        zs_.avail_in = static_cast<uInt>(in.size());
        zs_.next_out = out;
        zs_.avail_out = kUbifsBlockSize;
        int rc = inflate(&zs_, Z_FINISH);
        // UBIFS deflates each block independently; a block may end without Z_STREAM_END when the
        // compressor flushed exactly at the output size.
        if (rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && zs_.avail_out == 0) && rc != Z_OK)
          return fail(Errc::malformed, fmt::format("zlib error {}", rc));
        return std::size_t{kUbifsBlockSize - zs_.avail_out};
      }
      case 3: {
        if (!zstd_) return fail(Errc::internal, "zstd initialisation failed");
        std::size_t n = ZSTD_decompressDCtx(zstd_, out, kUbifsBlockSize, in.data(), in.size());
        if (ZSTD_isError(n)) return fail(Errc::malformed, fmt::format("zstd: {}", ZSTD_getErrorName(n)));
        return n;
      }
      default:
        return fail(Errc::unsupported, fmt::format("compression type {}", d.compr_type));
    }
  }

 private:
  bool lzo_ok_ = false;
  bool z_ok_ = false;
  z_stream zs_{};
  ZSTD_DCtx* zstd_ = nullptr;
};

NodeType type_of_mode(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return NodeType::directory;
    case S_IFLNK: return NodeType::symlink;
    case S_IFBLK: return NodeType::block_device;
    case S_IFCHR: return NodeType::char_device;
    case S_IFIFO: return NodeType::fifo;
    case S_IFSOCK: return NodeType::socket;
    default: return NodeType::file;
  }
}

class Volume {
 public:
  Volume(Context& ctx, ByteView vol, const UbifsSuper& sb) : ctx_(ctx), vol_(vol), sb_(sb) {
    std::uint64_t present = (vol.size() + sb.leb_size - 1) / sb.leb_size;
    lebs_ = std::min<std::uint64_t>(present, sb.leb_cnt);
    main_first_ = std::uint64_t{kLogLnum} + sb.log_lebs + sb.lpt_lebs + sb.orph_lebs;
    max_idx_len_ = ubifs_max_idx_len(sb.fanout, sb.leb_size);
  }

  ByteView leb(std::uint64_t lnum) const { return vol_.tail(lnum * sb_.leb_size).head(sb_.leb_size); }

  Result<UbifsNode> node_at(std::uint32_t lnum, std::uint32_t offs, std::uint32_t len) const {
    if (lnum >= sb_.leb_cnt) return fail(Errc::malformed, fmt::format("LEB {} beyond the {} of the filesystem", lnum, sb_.leb_cnt));
    if (lnum >= lebs_) return fail(Errc::truncated, fmt::format("LEB {} beyond the end of the volume", lnum));
    if (offs % 8 != 0 || offs >= sb_.leb_size) return fail(Errc::malformed, fmt::format("node offset {:#x} invalid", offs));
    ASSIGN_OR_RETURN(UbifsNode n, parse_ubifs_node(leb(lnum).tail(offs), max_idx_len_));
    if (len != 0 && n.len != len) return fail(Errc::malformed, fmt::format("node length {} where the index says {}", n.len, len));
    return n;
  }

  std::uint64_t where(std::uint64_t lnum, std::uint64_t offs) const { return lnum * sb_.leb_size + offs; }

  // Records a leaf node; the highest sequence number per key wins.
  void add_leaf(const UbifsNode& n, std::uint64_t at) {
    switch (static_cast<UbifsNodeType>(n.type)) {
      case UbifsNodeType::ino: {
        auto in = parse_ubifs_inode(n);
        if (!in) { ++bad_leaves_; return; }
        auto& slot = inodes_[in->key.inum];
        if (slot.sqnum == 0 || n.sqnum > slot.sqnum) slot = InodeRec{n.sqnum, *in, at};
        return;
      }
      case UbifsNodeType::dent: {
        auto d = parse_ubifs_dent(n);
        if (!d) { ++bad_leaves_; return; }
        auto& slot = dents_[{d->key.inum, d->name}];
        if (slot.sqnum == 0 || n.sqnum > slot.sqnum) slot = DentRec{std::max<std::uint64_t>(n.sqnum, 1), d->inum, d->itype};
        return;
      }
      case UbifsNodeType::data: {
        auto d = parse_ubifs_data(n);
        if (!d) { ++bad_leaves_; return; }
        auto& slot = data_[{d->key.inum, d->key.value}];
        if (slot.sqnum == 0 || n.sqnum > slot.sqnum) slot = DataRec{std::max<std::uint64_t>(n.sqnum, 1), *d};
        return;
      }
      case UbifsNodeType::xent: ++xattrs_; return;  // extended attributes are not recorded
      default: return;
    }
  }

  // Walks the index from the root; returns the number of problems met.
  std::uint64_t walk_index(const UbifsMaster& m) {
    struct Item {
      std::uint32_t lnum, offs, len;
      int level;  // expected level, -1 for the root
      unsigned depth;
    };
    std::vector<Item> stack{{m.root_lnum, m.root_offs, m.root_len, -1, 0}};
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::uint64_t errors = 0;
    while (!stack.empty()) {
      Item it = stack.back();
      stack.pop_back();
      if ((++steps_ & 4095) == 0 && ctx_.budget.expired()) {
        time_out_ = true;
        return errors + 1;
      }
      if (!seen.insert({it.lnum, it.offs}).second) {
        note_index(fmt::format("index node at LEB {}:{:#x} referenced twice (cycle)", it.lnum, it.offs));
        ++errors;
        continue;
      }
      auto n = node_at(it.lnum, it.offs, it.len);
      if (!n) {
        note_index(fmt::format("index node at LEB {}:{:#x}: {}", it.lnum, it.offs, n.error().message));
        ++errors;
        continue;
      }
      auto ix = parse_ubifs_index(*n);
      if (!ix) {
        note_index(fmt::format("index node at LEB {}:{:#x}: {}", it.lnum, it.offs, ix.error().message));
        ++errors;
        continue;
      }
      if ((it.level >= 0 && ix->level != it.level) || ix->level >= kMaxIndexLevels || it.depth > kMaxIndexLevels) {
        note_index(fmt::format("index node at LEB {}:{:#x} has level {} (expected {})", it.lnum, it.offs,
                               ix->level, it.level));
        ++errors;
        continue;
      }
      for (const UbifsBranch& b : ix->branches) {
        if (ix->level > 0) {
          stack.push_back({b.lnum, b.offs, b.len, ix->level - 1, it.depth + 1});
          continue;
        }
        auto leaf = node_at(b.lnum, b.offs, b.len);
        if (!leaf) {
          note_index(fmt::format("leaf at LEB {}:{:#x}: {}", b.lnum, b.offs, leaf.error().message));
          ++errors;
          continue;
        }
        add_leaf(*leaf, where(b.lnum, b.offs));
      }
    }
    return errors;
  }

  // Visits every node found in LEB `lnum` from `start`; nodes are 8-byte aligned.
  template <class F>
  void scan_leb(std::uint64_t lnum, std::uint64_t start, F&& f) {
    ByteView l = leb(lnum);
    for (std::uint64_t offs = align8(start); offs + kUbifsChSize <= l.size();) {
      if ((++steps_ & 0x3FF) == 0 && ctx_.budget.expired()) {
        time_out_ = true;
        return;
      }
      auto n = parse_ubifs_node(l.tail(offs), max_idx_len_);
      if (!n) {
        offs += 8;
        continue;
      }
      f(*n, offs);
      offs += align8(n->len);
    }
  }

  // Replays the journal: reference nodes logged after the newest commit-start node name the
  // bud LEBs (and offsets) holding nodes not yet in the index.
  void replay_journal() {
    std::uint64_t cs_sqnum = 0;
    std::vector<std::pair<std::uint64_t, UbifsRef>> refs;
    for (std::uint64_t l = kLogLnum; l < std::min<std::uint64_t>(kLogLnum + sb_.log_lebs, lebs_); ++l) {
      scan_leb(l, 0, [&](const UbifsNode& n, std::uint64_t) {
        if (n.type == static_cast<std::uint8_t>(UbifsNodeType::cs)) cs_sqnum = std::max(cs_sqnum, n.sqnum);
        if (auto r = parse_ubifs_ref(n)) refs.emplace_back(n.sqnum, *r);
      });
    }
    for (const auto& item : refs) {
      if (item.first <= cs_sqnum) continue;
      const UbifsRef r = item.second;
      if (r.lnum < main_first_ || r.lnum >= lebs_ || r.offs >= sb_.leb_size) {
        ++bad_refs_;
        continue;
      }
      ++buds_;
      scan_leb(r.lnum, r.offs, [&](const UbifsNode& n, std::uint64_t offs) { add_leaf(n, where(r.lnum, offs)); });
    }
  }

  void scan_all() {
    for (std::uint64_t l = std::min(main_first_, lebs_); l < lebs_ && !time_out_; ++l)
      scan_leb(l, 0, [&](const UbifsNode& n, std::uint64_t offs) { add_leaf(n, where(l, offs)); });
  }

  void note_index(std::string msg) {
    if (index_notes_.size() < 8) index_notes_.push_back(std::move(msg));
  }

  Context& ctx_;
  ByteView vol_;
  UbifsSuper sb_;
  std::uint64_t lebs_ = 0, main_first_ = 0;
  std::uint32_t max_idx_len_ = 0;
  std::uint64_t steps_ = 0;
  bool time_out_ = false;
  std::uint64_t bad_leaves_ = 0, xattrs_ = 0, bad_refs_ = 0, buds_ = 0;
  std::vector<std::string> index_notes_;
  std::map<std::uint64_t, InodeRec> inodes_;
  std::map<std::pair<std::uint64_t, std::string>, DentRec> dents_;
  std::map<std::pair<std::uint64_t, std::uint32_t>, DataRec> data_;
};

Result<UbifsSuper> read_super(ByteView data) {
  ASSIGN_OR_RETURN(UbifsNode n, parse_ubifs_node(data.head(kUbifsMaxLebSize)));
  return parse_ubifs_super(n);
}

class UbifsUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    // The superblock node is the only one with this length/type pair; matching it (rather than
    // the magic every node starts with) keeps carving from probing each node of an image.
    static const Descriptor d{
        .id = "ubifs",
        .description = "UBIFS filesystem (content of a UBI volume)",
        .magics = {{16, std::string("\x00\x10\x00\x00\x06\x00\x00\x00", 8)}},
        .references = {"Linux fs/ubifs/ubifs-media.h",
                       "http://www.linux-mtd.infradead.org/doc/ubifs.html",
                       "A. Hunter, A Brief Introduction to the Design of UBIFS (2008)"},
        .limitations = {"extended attributes are not recorded",
                        "encrypted (fscrypt) files are listed without content",
                        "authentication (HMAC) is not verified",
                        "orphans and truncation nodes are not replayed; the newest inode size is used"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (!data.starts_with(std::string_view("\x31\x18\x10\x06", 4)))
      return fail(Errc::malformed, "no UBIFS node magic");
    ASSIGN_OR_RETURN(UbifsSuper sb, read_super(data));
    Probe p;
    p.length = std::uint64_t{sb.leb_cnt} * sb.leb_size;
    p.detail = fmt::format("format v{}, {}-byte LEBs, {} LEBs, {} compression, min I/O {}", sb.fmt_version,
                           sb.leb_size, sb.leb_cnt, ubifs_compr_name(sb.default_compr), sb.min_io_size);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView vol = ctx.data->view();
    ASSIGN_OR_RETURN(UbifsSuper sb, read_super(vol));
    const std::uint64_t fs_bytes = std::uint64_t{sb.leb_cnt} * sb.leb_size;
    if (vol.size() < fs_bytes) {
      // mkfs.ubifs output and volume dumps may omit trailing LEBs never written; only a missing
      // LEB that the index references is an error, and that is reported where it happens.
      ctx.tree.add_diagnostic(ctx.region, {Severity::info, "ubifs.short",
                                           fmt::format("{} of {} LEBs present", (vol.size() + sb.leb_size - 1) / sb.leb_size,
                                                       sb.leb_cnt)});
    }
    if (sb.flags & kUbifsFlgEncryption)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubifs.unsupported",
                                           "filesystem supports encryption; encrypted files are listed without content"});

    Volume rd(ctx, vol, sb);
    // The master node is written twice (LEB 1 and 2), each LEB holding successive versions.
    std::optional<UbifsMaster> master;
    std::uint64_t master_sq = 0;
    for (std::uint64_t l = 1; l <= 2 && l < rd.lebs_; ++l) {
      rd.scan_leb(l, 0, [&](const UbifsNode& n, std::uint64_t) {
        auto m = parse_ubifs_master(n);
        if (m && (!master || n.sqnum > master_sq)) {
          master = *m;
          master_sq = n.sqnum;
        }
      });
    }
    bool scan = false;
    if (!master) {
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "ubifs.master", "no valid master node; scanning all LEBs"});
      scan = true;
    } else {
      std::uint64_t errors = rd.walk_index(*master);
      if (errors > 0) {
        std::string detail;
        for (const auto& s : rd.index_notes_) detail += (detail.empty() ? "" : "; ") + s;
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "ubifs.index",
                                             fmt::format("{} problems in the index ({}); scanning all LEBs", errors, detail)});
        scan = true;
      }
      rd.replay_journal();
    }
    if (scan && !rd.time_out_) {
      rd.scan_all();
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubifs.scan",
                                           "files recovered by scanning every LEB (newest node per key); deleted files "
                                           "may reappear"});
    }
    if (rd.time_out_)
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; UBIFS listing incomplete"});
    if (rd.bad_leaves_ > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubifs.node",
                                           fmt::format("{} inode, entry or data nodes malformed; skipped", rd.bad_leaves_)});
    if (rd.bad_refs_ > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubifs.journal",
                                           fmt::format("{} journal references outside the main area; ignored", rd.bad_refs_)});

    build_tree(ctx, rd, vol.size());
    return fs_bytes;
  }

 private:
  static void build_tree(Context& ctx, Volume& rd, std::uint64_t in_bytes) {
    FsBuilder fs(ctx.tree, ctx.budget, ctx.region, "ubifs");
    const Limits& lim = ctx.budget.limits();
    auto root_it = rd.inodes_.find(kUbifsRootIno);
    if (root_it == rd.inodes_.end()) {
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "ubifs.root", "root inode missing; its entries are still listed"});
    } else {
      const UbifsInode& r = root_it->second.in;
      Node& rn = ctx.tree.mut(fs.root());
      rn.mode = S_IFDIR | (r.mode & 07777);
      rn.uid = r.uid;
      rn.gid = r.gid;
      rn.mtime = r.mtime;
    }
    // Children of each directory inode, in name order (the map is sorted by parent, then name).
    std::map<std::uint64_t, std::vector<std::pair<const std::string*, const DentRec*>>> children;
    for (const auto& [k, d] : rd.dents_)
      if (d.inum != 0) children[k.first].push_back({&k.second, &d});

    Decoder dec;
    std::map<std::uint64_t, std::string> first_path;  // hard links: inode -> first name
    std::set<std::uint64_t> visited{kUbifsRootIno};
    struct Pending {
      std::uint64_t inum;
      std::string path;
      NodeId node;
      unsigned depth;
    };
    std::vector<Pending> stack{{kUbifsRootIno, "", fs.root(), 0}};
    std::uint64_t produced = 0, missing_inodes = 0, bad_names = 0, data_errors = 0;
    bool ratio_hit = false, total_hit = false;
    while (!stack.empty() && !fs.stopped()) {
      Pending cur = std::move(stack.back());
      stack.pop_back();
      if (ctx.budget.expired()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; UBIFS listing incomplete"});
        break;
      }
      auto kids = children.find(cur.inum);
      if (kids == children.end()) continue;
      for (const auto& [name_p, dent] : kids->second) {
        const std::string& name = *name_p;
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
            name.find('\0') != std::string::npos) {
          ++bad_names;
          ctx.tree.add_diagnostic(cur.node, {Severity::high, "path.traversal",
                                             fmt::format("entry name '{}' is not a single path component; skipped",
                                                         name.substr(0, name.find('\0')))});
          continue;
        }
        std::string path = cur.path + "/" + name;
        auto ino = rd.inodes_.find(dent->inum);
        if (ino == rd.inodes_.end() || ino->second.in.nlink == 0) {
          ++missing_inodes;
          continue;
        }
        const UbifsInode& in = ino->second.in;
        FsBuilder::Entry en;
        en.path = path;
        en.type = type_of_mode(in.mode);
        en.mode = in.mode & (S_IFMT | 07777);
        if ((in.mode & S_IFMT) == 0) en.mode |= S_IFREG;
        en.uid = in.uid;
        en.gid = in.gid;
        en.mtime = in.mtime;
        en.offset = ino->second.where;
        std::string diag;
        bool descend = false;
        switch (en.type) {
          case NodeType::directory:
            descend = true;
            break;
          case NodeType::symlink:
            en.link_target.assign(in.data.as_chars());
            en.size = en.link_target.size();
            break;
          case NodeType::char_device:
          case NodeType::block_device:
            if (!ubifs_decode_dev(in.data, en.rdev_major, en.rdev_minor)) diag = "device number missing";
            break;
          case NodeType::file: {
            en.size = in.size;
            if (auto fp = first_path.find(dent->inum); fp != first_path.end()) {
              en.type = NodeType::hardlink;
              en.link_target = fp->second;
              break;
            }
            first_path[dent->inum] = path;
            if (in.flags & kUbifsCryptFl) {
              diag = "encrypted file; content not read";
              break;
            }
            std::uint64_t want = in.size;
            if (want > lim.max_node_bytes) {
              want = lim.max_node_bytes;
              diag = fmt::format("file of {} bytes truncated to the per-file limit", in.size);
            }
            if (produced + want > lim.ratio_floor_bytes &&
                (produced + want) / std::max<std::uint64_t>(in_bytes, 1) > lim.max_expansion_ratio) {
              if (!ratio_hit)
                ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.ratio",
                                                     fmt::format("expansion ratio above {}:1; remaining file contents not read",
                                                                 lim.max_expansion_ratio)});
              ratio_hit = true;
              want = 0;
            }
            if (want > 0 && !ctx.budget.take_bytes(want)) {
              if (!total_hit)
                ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.total_bytes",
                                                     "total output limit reached; remaining file contents not read"});
              total_hit = true;
              want = 0;
            }
            produced += want;
            std::vector<std::uint8_t> buf(want, 0);  // holes read as zeros
            std::uint64_t errs = read_file(rd, dec, dent->inum, buf, diag);
            data_errors += errs;
            en.content = make_blob(std::move(buf));
            break;
          }
          default:
            break;
        }
        NodeId id = fs.add(std::move(en));
        if (id == kNoNode) break;
        if (!diag.empty()) ctx.tree.add_diagnostic(id, {Severity::medium, "ubifs.file_data", diag});
        if (!descend) continue;
        if (!visited.insert(dent->inum).second) {
          ctx.tree.add_diagnostic(id, {Severity::high, "ubifs.cycle",
                                       "directory inode already visited (cycle or directory hard link); not descended"});
          continue;
        }
        if (cur.depth + 1 > kMaxDirDepth) {
          ctx.tree.add_diagnostic(id, {Severity::high, "ubifs.depth",
                                       fmt::format("directory nesting deeper than {}; not descended", kMaxDirDepth)});
          continue;
        }
        stack.push_back({dent->inum, path, id, cur.depth + 1});
      }
    }
    if (missing_inodes > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubifs.inode",
                                           fmt::format("{} directory entries name an inode that is missing; skipped",
                                                       missing_inodes)});
    if (data_errors > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubifs.partial",
                                           fmt::format("{} data blocks unreadable; those files are partial", data_errors)});
    (void)bad_names;
  }

  // Fills `buf` (already sized, zero-filled) from the inode's data nodes; returns the number of
  // blocks that failed.
  static std::uint64_t read_file(Volume& rd, Decoder& dec, std::uint64_t inum, std::vector<std::uint8_t>& buf,
                                 std::string& diag) {
    if (buf.empty()) return 0;
    std::uint64_t errors = 0;
    std::uint8_t block[kUbifsBlockSize];
    std::uint64_t nblocks = (buf.size() + kUbifsBlockSize - 1) / kUbifsBlockSize;
    auto it = rd.data_.lower_bound({inum, 0});
    for (; it != rd.data_.end() && it->first.first == inum && it->first.second < nblocks; ++it) {
      auto n = dec.decode(it->second.d, block);
      std::uint64_t at = std::uint64_t{it->first.second} * kUbifsBlockSize;
      if (!n || *n != it->second.d.size) {
        if (errors == 0)
          diag = fmt::format("block {}: {}", it->first.second,
                             n ? fmt::format("decoded {} bytes, node says {}", *n, it->second.d.size) : n.error().message);
        ++errors;
        if (!n) continue;
      }
      std::uint64_t take = std::min<std::uint64_t>(*n, buf.size() - at);
      std::copy(block, block + take, buf.begin() + static_cast<std::ptrdiff_t>(at));
    }
    return errors;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_ubifs_unpacker() { return std::make_unique<UbifsUnpacker>(); }

}  // namespace iotaudit::unpack
