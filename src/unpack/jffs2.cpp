// JFFS2 (Journalling Flash File System v2), read the way the kernel mounts it: every node of the
// log is scanned, the newest version of each directory entry and of each byte range of each
// inode wins, and files are rebuilt from their data fragments (uncovered ranges are holes).
// There is no superblock: the extent of the filesystem is the end of its last valid node.
#include <lzma.h>
#include <sys/stat.h>
#include <zlib.h>

#include <lzo/lzo1x.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "formats/jffs2.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::Jffs2Compr;
using formats::Jffs2Dirent;
using formats::Jffs2Inode;
namespace node = formats::jffs2_node;

// The kernel rejects a data node that crosses a page boundary (fs/jffs2/readinode.c), so real
// nodes hold at most one page; 64 KiB is the largest page size Linux uses. Holes (compression
// "zero") are exempt: extending a file writes one hole node of any size.
constexpr std::uint32_t kMaxNodeData = 64 * 1024;
constexpr std::uint32_t kMaxLinkTarget = 64 * 1024;
constexpr unsigned kMaxDepth = 256;
constexpr std::uint32_t kRootIno = 1;

// OpenWrt's JFFS2 LZMA compressor (the only one in use) writes a raw LZMA1 stream without header
// or end marker, with these fixed properties (lc=0, lp=0, pb=0, 8 KiB dictionary).
constexpr std::uint32_t kLzmaDictSize = 0x2000;
constexpr std::uint8_t kLzmaProps = (0 * 5 + 0) * 9 + 0;

enum class DataError { none, corrupt, unsupported };

// Decodes one node's data into `out` (exactly dsize bytes). Short output is zero-filled and
// reported as corrupt.
DataError decompress(std::uint8_t compr, ByteView in, std::span<std::uint8_t> out) {
  std::size_t produced = 0;
  switch (static_cast<Jffs2Compr>(compr)) {
    case Jffs2Compr::zero:
      std::fill(out.begin(), out.end(), 0);
      return DataError::none;
    case Jffs2Compr::none:
    case Jffs2Compr::copy:
      produced = std::min(in.size(), out.size());
      if (produced > 0) std::memcpy(out.data(), in.data(), produced);
      break;
    case Jffs2Compr::rtime: {
      auto r = formats::jffs2_rtime_decompress(in, static_cast<std::uint32_t>(out.size()));
      if (!r) return DataError::corrupt;
      std::copy(r->begin(), r->end(), out.begin());
      produced = r->size();
      break;
    }
    case Jffs2Compr::zlib: {
      // mkfs.jffs2 and the kernel write zlib streams; the kernel also accepts raw deflate when the
      // two header bytes are not a valid zlib header.
      bool header = in.size() >= 2 && (in.data()[0] & 0x0F) == Z_DEFLATED &&
                    ((in.data()[0] << 8) | in.data()[1]) % 31 == 0;
      z_stream zs{};
      if (inflateInit2(&zs, header ? MAX_WBITS : -MAX_WBITS) != Z_OK) return DataError::corrupt;
      zs.next_in = const_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&zs, Z_FINISH);
      produced = out.size() - zs.avail_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END && produced != out.size()) {
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(produced), out.end(), 0);
        return DataError::corrupt;
      }
      break;
    }
    case Jffs2Compr::lzo: {
      lzo_uint len = out.size();
      int rc = lzo1x_decompress_safe(in.data(), in.size(), out.data(), &len, nullptr);
      produced = std::min<std::size_t>(len, out.size());
      if (rc != LZO_E_OK && rc != LZO_E_INPUT_NOT_CONSUMED) {
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(produced), out.end(), 0);
        return DataError::corrupt;
      }
      break;
    }
    case Jffs2Compr::lzma: {
      // Rebuilt as a .lzma ("alone") stream with the known size, so liblzma stops at dsize.
      std::vector<std::uint8_t> buf(13 + in.size());
      buf[0] = kLzmaProps;
      for (int i = 0; i < 4; ++i) buf[1 + i] = static_cast<std::uint8_t>(kLzmaDictSize >> (8 * i));
      std::uint64_t size = out.size();
      for (int i = 0; i < 8; ++i) buf[5 + i] = static_cast<std::uint8_t>(size >> (8 * i));
      if (!in.empty()) std::memcpy(buf.data() + 13, in.data(), in.size());
      lzma_stream zs = LZMA_STREAM_INIT;
      if (lzma_alone_decoder(&zs, 64ULL << 20) != LZMA_OK) return DataError::corrupt;
      zs.next_in = buf.data();
      zs.avail_in = buf.size();
      zs.next_out = out.data();
      zs.avail_out = out.size();
      lzma_ret rc = lzma_code(&zs, LZMA_FINISH);
      produced = out.size() - zs.avail_out;
      lzma_end(&zs);
      if (rc != LZMA_STREAM_END && produced != out.size()) {
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(produced), out.end(), 0);
        return DataError::corrupt;
      }
      break;
    }
    default:  // rubin variants: obsolete, never produced by mkfs.jffs2 defaults
      std::fill(out.begin(), out.end(), 0);
      return DataError::unsupported;
  }
  if (produced < out.size()) {
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(produced), out.end(), 0);
    return DataError::corrupt;
  }
  return DataError::none;
}

// Disjoint covered byte ranges [start, end) of a file, for "newest version wins".
class Coverage {
 public:
  // The parts of [a, b) not yet covered.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> uncovered(std::uint64_t a, std::uint64_t b) const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    auto it = ranges_.upper_bound(a);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second > a) a = prev->second;
    }
    while (a < b) {
      if (it == ranges_.end() || it->first >= b) {
        out.emplace_back(a, b);
        break;
      }
      if (it->first > a) out.emplace_back(a, it->first);
      a = std::max(a, it->second);
      ++it;
    }
    return out;
  }
  void cover(std::uint64_t a, std::uint64_t b) {
    if (a >= b) return;
    auto it = ranges_.upper_bound(a);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second >= a) {
        a = prev->first;
        b = std::max(b, prev->second);
        it = ranges_.erase(prev);
      }
    }
    while (it != ranges_.end() && it->first <= b) {
      b = std::max(b, it->second);
      it = ranges_.erase(it);
    }
    ranges_[a] = b;
  }

 private:
  std::map<std::uint64_t, std::uint64_t> ranges_;
};

NodeType type_of_mode(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return NodeType::directory;
    case S_IFREG: return NodeType::file;
    case S_IFLNK: return NodeType::symlink;
    case S_IFCHR: return NodeType::char_device;
    case S_IFBLK: return NodeType::block_device;
    case S_IFIFO: return NodeType::fifo;
    case S_IFSOCK: return NodeType::socket;
    default: return NodeType::socket;  // unused: callers check S_IFMT validity first
  }
}

bool valid_mode_type(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: case S_IFREG: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
      return true;
    default:
      return false;
  }
}

// DT_* of a dirent as st_mode type bits (0 when unknown).
std::uint32_t mode_of_dtype(std::uint8_t dt) {
  switch (dt) {
    case 1: return S_IFIFO;
    case 2: return S_IFCHR;
    case 4: return S_IFDIR;
    case 6: return S_IFBLK;
    case 8: return S_IFREG;
    case 10: return S_IFLNK;
    case 12: return S_IFSOCK;
    default: return 0;
  }
}

// A stored name for a message: control and non-ASCII bytes as \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '\\') out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

struct Scan {
  Endian endian = Endian::little;
  std::vector<Jffs2Dirent> dirents;
  std::unordered_map<std::uint32_t, std::vector<Jffs2Inode>> inodes;
  std::uint64_t nodes = 0, end = 0, obsolete = 0, cleanmarkers = 0, padding = 0, summaries = 0,
                xattrs = 0, unknown_compat = 0, unknown_incompat = 0, crc_errors = 0, bad_headers = 0,
                skipped = 0, oversized = 0, entry_nodes = 0;
  bool truncated_tail = false;
  std::string first_crc_error;
};

// Reads the node log. With `collect` false only counts and the extent (used by probe).
Scan scan(ByteView data, Endian endian, bool collect, const Budget* budget) {
  Scan s;
  s.endian = endian;
  formats::Jffs2Scanner sc(data, endian);
  while (auto h = sc.next()) {
    ++s.nodes;
    if (budget && (s.nodes & 0xFFF) == 0 && budget->expired()) break;
    if (h->obsolete) {
      ++s.obsolete;
      continue;
    }
    ByteView nv = data.sub(h->offset, h->totlen).value_or(ByteView{});
    switch (h->nodetype) {
      case node::kDirent: {
        ++s.entry_nodes;
        if (!collect) break;
        auto d = formats::parse_jffs2_dirent(nv, endian, h->offset);
        if (!d) {
          if (s.crc_errors++ == 0) s.first_crc_error = fmt::format("{:#x}: {}", h->offset, d.error().message);
          break;
        }
        s.dirents.push_back(std::move(*d));
        break;
      }
      case node::kInode: {
        ++s.entry_nodes;
        if (!collect) break;
        auto n = formats::parse_jffs2_inode(nv, endian, h->offset);
        if (!n) {
          if (s.crc_errors++ == 0) s.first_crc_error = fmt::format("{:#x}: {}", h->offset, n.error().message);
          break;
        }
        if (n->dsize > kMaxNodeData && n->compr != static_cast<std::uint8_t>(Jffs2Compr::zero)) {
          ++s.oversized;
          break;
        }
        s.inodes[n->ino].push_back(*n);
        break;
      }
      case node::kCleanmarker: ++s.cleanmarkers; break;
      case node::kPadding: ++s.padding; break;
      case node::kSummary: ++s.summaries; break;
      case node::kXattr: case node::kXref: ++s.xattrs; break;
      default:
        // Feature bits in the type say what an unknown node means to a reader (jffs2.h).
        if ((h->nodetype & 0xC000) == 0xC000) ++s.unknown_incompat;
        else ++s.unknown_compat;
        break;
    }
  }
  s.end = sc.end();
  s.bad_headers = sc.bad_headers();
  s.skipped = sc.skipped_bytes();
  s.truncated_tail = sc.truncated_tail();
  return s;
}

class Jffs2Unpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d = [] {
      Descriptor x{
          .id = "jffs2",
          .description = "JFFS2 flash filesystem (little- and big-endian)",
          .magics = {},
          .references = {"Linux include/uapi/linux/jffs2.h",
                         "Linux fs/jffs2/scan.c, readinode.c, compr_rtime.c",
                         "OpenWrt target/linux/generic: JFFS2 LZMA compressor (lc0 lp0 pb0, 8 KiB dict)",
                         "https://sourceware.org/jffs2/jffs2.pdf"},
          .limitations = {"extended attributes (xattr/xref nodes) are not recorded",
                          "rubin/dynrubin compressed data is not decoded (zero-filled, diagnosed)",
                          "two JFFS2 filesystems of the same endianness directly adjacent in a dump "
                          "are read as one"},
          .filesystem = true};
      // The magic plus a node type, so that the two-byte magic alone does not make every
      // 0x1985 in a blob a candidate. Obsolete dirent/inode nodes may come first on used flash.
      for (std::uint16_t t : {node::kDirent, node::kInode, node::kCleanmarker, node::kPadding,
                              node::kSummary, node::kXattr, node::kXref,
                              static_cast<std::uint16_t>(node::kDirent & ~node::kAccurate),
                              static_cast<std::uint16_t>(node::kInode & ~node::kAccurate)}) {
        std::string le{'\x85', '\x19', static_cast<char>(t & 0xFF), static_cast<char>(t >> 8)};
        std::string be{'\x19', '\x85', static_cast<char>(t >> 8), static_cast<char>(t & 0xFF)};
        x.magics.push_back({0, le});
        x.magics.push_back({0, be});
      }
      return x;
    }();
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    auto endian = formats::jffs2_endian(data);
    if (!endian) return fail(Errc::malformed, "no jffs2 node magic");
    TRY(formats::parse_jffs2_header(data, 0, *endian));
    Scan s = scan(data, *endian, false, nullptr);
    // Programs that format flash (OpenWrt's mtd, flash_erase) carry a literal cleanmarker: one
    // lone node is not a filesystem. An empty but formatted partition has a cleanmarker in each
    // erase block, so two nodes of any kind are required, or one dirent/inode node.
    if (s.entry_nodes == 0 && s.nodes < 2)
      return fail(Errc::malformed, "a single jffs2 node without files (a cleanmarker constant in a program?)");
    Probe p;
    p.length = s.end;
    p.detail = fmt::format("{}-endian, {} nodes", *endian == Endian::big ? "big" : "little", s.nodes);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    auto endian = formats::jffs2_endian(all);
    if (!endian) return fail(Errc::malformed, "no jffs2 node magic");
    TRY(formats::parse_jffs2_header(all, 0, *endian));
    Scan s = scan(all, *endian, true, &ctx.budget);
    Builder builder(ctx, all, s);
    builder.run();
    return s.end;
  }

 private:
  class Builder {
   public:
    Builder(Context& ctx, ByteView all, Scan& s)
        : ctx_(ctx), all_(all), s_(s), fs_(ctx.tree, ctx.budget, ctx.region, "jffs2") {}

    void run() {
      report_scan();
      index_dirents();
      set_root();
      walk();
      report_orphans();
    }

   private:
    void diag(NodeId id, Severity sev, std::string code, std::string msg) {
      ctx_.tree.add_diagnostic(id, {sev, std::move(code), std::move(msg)});
    }

    void report_scan() {
      NodeId r = ctx_.region;
      if (s_.crc_errors)
        diag(r, Severity::medium, "jffs2.crc",
             fmt::format("{} nodes with a bad node/name/data CRC were ignored (first at {})", s_.crc_errors,
                         s_.first_crc_error));
      if (s_.bad_headers)
        diag(r, Severity::low, "jffs2.bad_header",
             fmt::format("{} node headers with the magic failed validation (corrupt or partly written)",
                         s_.bad_headers));
      if (s_.truncated_tail)
        diag(r, Severity::medium, "jffs2.truncated",
             "a node extends beyond the end of the data: the image is cut short; extraction is partial");
      if (s_.oversized)
        diag(r, Severity::medium, "jffs2.node_size",
             fmt::format("{} data nodes larger than a page ({} bytes) were ignored", s_.oversized, kMaxNodeData));
      if (s_.unknown_incompat)
        diag(r, Severity::medium, "jffs2.unsupported",
             fmt::format("{} nodes of an unknown incompatible type (the kernel would refuse to mount)",
                         s_.unknown_incompat));
      if (s_.xattrs)
        diag(r, Severity::info, "jffs2.xattr", fmt::format("{} xattr nodes not recorded", s_.xattrs));
      if (ctx_.budget.expired())
        diag(r, Severity::high, "limit.time", "time limit reached while scanning jffs2 nodes; extraction is partial");
    }

    // Newest dirent per (parent, name); version ties go to the later node in the log.
    void index_dirents() {
      std::map<std::pair<std::uint32_t, std::string>, const Jffs2Dirent*> best;
      for (const Jffs2Dirent& d : s_.dirents) {
        auto [it, fresh] = best.try_emplace({d.pino, d.name}, &d);
        if (!fresh && (d.version > it->second->version ||
                       (d.version == it->second->version && d.offset > it->second->offset)))
          it->second = &d;
      }
      for (const auto& [key, d] : best) {
        if (d->ino == 0) continue;  // unlinked: the newest entry for this name is a deletion
        children_[d->pino].push_back(d);  // map order: sorted by name within a parent
      }
      // Each inode's nodes in version order (newest last); ties by position in the log.
      for (auto& [ino, nodes] : s_.inodes)
        std::sort(nodes.begin(), nodes.end(), [](const Jffs2Inode& a, const Jffs2Inode& b) {
          return a.version != b.version ? a.version < b.version : a.offset < b.offset;
        });
    }

    const Jffs2Inode* latest(std::uint32_t ino) const {
      auto it = s_.inodes.find(ino);
      return it == s_.inodes.end() || it->second.empty() ? nullptr : &it->second.back();
    }

    void set_root() {
      // mkfs.jffs2 writes no inode for the root (the kernel synthesises it); a mounted and
      // written filesystem may carry one.
      if (const Jffs2Inode* r = latest(kRootIno); r && (r->mode & S_IFMT) == S_IFDIR) {
        Node& n = ctx_.tree.mut(fs_.root());
        n.mode = r->mode;
        n.uid = r->uid;
        n.gid = r->gid;
        n.mtime = r->mtime;
      }
    }

    // Rebuilds [0, size) of an inode from its nodes, newest first, each byte taken from the
    // newest node covering it. Returns nullopt when a limit refused the content.
    std::optional<std::vector<std::uint8_t>> content(std::uint32_t ino, std::uint64_t size,
                                                     std::vector<Diagnostic>& diags) {
      const Limits& lim = ctx_.budget.limits();
      if (size > lim.max_node_bytes) {
        diags.push_back({Severity::high, "limit.node_bytes",
                         fmt::format("file of {} bytes cut to the per-file limit of {} bytes", size, lim.max_node_bytes)});
        size = lim.max_node_bytes;
      }
      std::uint64_t total = out_bytes_ + size;
      if (total > lim.ratio_floor_bytes && total / std::max<std::uint64_t>(all_.size(), 1) > lim.max_expansion_ratio) {
        diags.push_back({Severity::high, "limit.ratio",
                         fmt::format("reconstructed data exceeds {}x the image size (bomb?); content not read",
                                     lim.max_expansion_ratio)});
        return std::nullopt;
      }
      if (!ctx_.budget.take_bytes(size)) {
        diags.push_back({Severity::high, "limit.total_bytes", "total output limit reached; content not read"});
        return std::nullopt;
      }
      out_bytes_ = total;
      std::vector<std::uint8_t> out(size);
      auto it = s_.inodes.find(ino);
      if (it == s_.inodes.end()) return out;
      Coverage cov;
      std::uint64_t corrupt = 0, unsupported = 0;
      std::vector<std::uint8_t> buf;
      const auto& nodes = it->second;
      for (auto n = nodes.rbegin(); n != nodes.rend(); ++n) {
        if (n->dsize == 0 || n->data_offset >= size) continue;
        std::uint64_t a = n->data_offset, b = std::min<std::uint64_t>(size, a + n->dsize);
        auto gaps = cov.uncovered(a, b);
        if (gaps.empty()) continue;  // entirely superseded by newer nodes
        cov.cover(a, b);
        if (n->compr == static_cast<std::uint8_t>(Jffs2Compr::zero)) continue;  // hole: already zero
        if ((++decoded_ & 0xFF) == 0 && ctx_.budget.expired()) {
          diags.push_back({Severity::high, "limit.time", "time limit reached; file content incomplete"});
          break;
        }
        buf.assign(n->dsize, 0);
        DataError e = decompress(n->compr, n->data, buf);
        if (e == DataError::corrupt) ++corrupt;
        if (e == DataError::unsupported) ++unsupported;
        for (auto [ga, gb] : gaps)
          std::memcpy(out.data() + ga, buf.data() + (ga - a), gb - ga);
      }
      if (corrupt)
        diags.push_back({Severity::medium, "jffs2.data",
                         fmt::format("{} data nodes failed to decompress; their ranges are zero or partial", corrupt)});
      if (unsupported)
        diags.push_back({Severity::medium, "jffs2.unsupported",
                         fmt::format("{} data nodes use an unsupported compressor; zero-filled", unsupported)});
      return out;
    }

    void walk() {
      struct Pending {
        std::uint32_t ino;
        std::string path;
        NodeId node;
        unsigned depth;
      };
      std::vector<Pending> stack{{kRootIno, "", fs_.root(), 0}};
      std::set<std::uint32_t> visited{kRootIno};
      std::unordered_map<std::uint32_t, std::string> first_name;
      while (!stack.empty() && !fs_.stopped()) {
        Pending cur = std::move(stack.back());
        stack.pop_back();
        reached_.insert(cur.ino);
        if (ctx_.budget.expired()) {
          diag(ctx_.region, Severity::high, "limit.time", "time limit reached; jffs2 listing incomplete");
          return;
        }
        auto kids = children_.find(cur.ino);
        if (kids == children_.end()) continue;
        if (cur.depth >= kMaxDepth) {
          diag(cur.node, Severity::high, "jffs2.depth",
               fmt::format("directory nesting deeper than {}; not descended", kMaxDepth));
          continue;
        }
        // Reverse so that the stack pops entries in name order (deterministic first names).
        std::vector<Pending> subdirs;
        for (const Jffs2Dirent* d : kids->second) {
          const std::string& name = d->name;
          if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
              name.find('\0') != std::string::npos) {
            diag(cur.node, Severity::high, "path.traversal",
                 fmt::format("entry name '{}' (dirent at {:#x}) is not a single path component; skipped",
                             printable(name), d->offset));
            continue;
          }
          std::string path = cur.path + "/" + name;
          const Jffs2Inode* in = latest(d->ino);
          FsBuilder::Entry e;
          e.path = path;
          e.offset = d->offset;
          std::vector<Diagnostic> diags;
          std::uint32_t mode = in ? in->mode : 0;
          if (!valid_mode_type(mode)) {
            std::uint32_t t = mode_of_dtype(d->type);
            if (in)
              diags.push_back({Severity::medium, "jffs2.mode",
                               fmt::format("inode {} has an invalid file type in mode {:#o}", d->ino, mode)});
            else
              diags.push_back({Severity::medium, "jffs2.missing_inode",
                               fmt::format("no valid inode node for inode {}; type taken from the entry", d->ino)});
            mode = (t ? t : S_IFREG) | (mode & 07777);
          }
          e.type = type_of_mode(mode);
          e.mode = mode;
          if (in) {
            e.uid = in->uid;
            e.gid = in->gid;
            e.mtime = in->mtime;
            e.offset = in->offset;
          } else {
            e.mtime = d->mctime;
          }
          std::uint64_t isize = in ? in->isize : 0;
          switch (e.type) {
            case NodeType::directory:
              if (d->ino == kRootIno || visited.contains(d->ino)) {
                diag(cur.node, Severity::high, "jffs2.cycle",
                     fmt::format("'{}' names directory inode {} that is already in the tree (cycle or "
                                 "directory hard link); not descended", path, d->ino));
                continue;
              }
              break;
            case NodeType::file: {
              if (auto f = first_name.find(d->ino); f != first_name.end()) {
                e.type = NodeType::hardlink;
                e.link_target = f->second;
                e.size = isize;
                break;
              }
              first_name[d->ino] = path;
              e.size = isize;
              if (auto c = content(d->ino, isize, diags)) e.content = make_blob(std::move(*c));
              else e.content = make_blob(std::vector<std::uint8_t>{});
              break;
            }
            case NodeType::symlink: {
              std::uint64_t len = std::min<std::uint64_t>(isize, kMaxLinkTarget);
              if (isize > kMaxLinkTarget)
                diags.push_back({Severity::medium, "jffs2.symlink", "symlink target longer than 64 KiB; cut"});
              if (auto c = content(d->ino, len, diags)) e.link_target.assign(c->begin(), c->end());
              e.size = e.link_target.size();
              break;
            }
            case NodeType::char_device:
            case NodeType::block_device:
              device(d->ino, e, diags);
              break;
            default:
              break;
          }
          NodeId id = fs_.add(std::move(e));
          if (id == kNoNode) return;
          for (auto& dg : diags) ctx_.tree.add_diagnostic(id, std::move(dg));
          if (type_of_mode(mode) == NodeType::directory) {
            visited.insert(d->ino);
            subdirs.push_back({d->ino, path, id, cur.depth + 1});
          }
        }
        for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
      }
    }

    // Device numbers are the inode's data: a 16-bit old-style or 32-bit new-style dev_t in the
    // filesystem's byte order (fs/jffs2/fs.c, jffs2_encode_dev).
    void device(std::uint32_t ino, FsBuilder::Entry& e, std::vector<Diagnostic>& diags) {
      const Jffs2Inode* in = latest(ino);
      if (!in) return;
      std::vector<std::uint8_t> buf(std::min<std::uint32_t>(in->dsize, 8), 0);
      if (in->dsize == 2 || in->dsize == 4) {
        if (decompress(in->compr, in->data, buf) != DataError::none) {
          diags.push_back({Severity::medium, "jffs2.data", "device number unreadable"});
          return;
        }
      } else {
        diags.push_back({Severity::medium, "jffs2.device",
                         fmt::format("device node data of {} bytes (expected 2 or 4)", in->dsize)});
        return;
      }
      std::uint32_t dev = in->dsize == 2 ? load_endian<std::uint16_t>(buf.data(), s_.endian)
                                         : load_endian<std::uint32_t>(buf.data(), s_.endian);
      if (in->dsize == 2) {
        e.rdev_major = (dev >> 8) & 0xFF;
        e.rdev_minor = dev & 0xFF;
      } else {  // new_encode_dev
        e.rdev_major = (dev & 0xFFF00) >> 8;
        e.rdev_minor = (dev & 0xFF) | ((dev >> 12) & 0xFFF00);
      }
    }

    void report_orphans() {
      std::uint64_t orphans = 0;
      for (const auto& [pino, list] : children_)
        if (!reached_.contains(pino)) orphans += list.size();
      if (orphans)
        diag(ctx_.region, Severity::low, "jffs2.orphan",
             fmt::format("{} directory entries belong to directories not reachable from the root", orphans));
    }

    Context& ctx_;
    ByteView all_;
    Scan& s_;
    FsBuilder fs_;
    std::map<std::uint32_t, std::vector<const Jffs2Dirent*>> children_;
    std::set<std::uint32_t> reached_;
    std::uint64_t out_bytes_ = 0, decoded_ = 0;
  };
};

}  // namespace

std::unique_ptr<Unpacker> make_jffs2_unpacker() { return std::make_unique<Jffs2Unpacker>(); }

}  // namespace iotaudit::unpack
