// cramfs, the compressed read-only filesystem of older embedded Linux: directories of packed
// inodes, file data as separately zlib-compressed pages behind a block pointer table. Written
// by hand because no Debian library reads it (fsck.cramfs only extracts to disk).
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "formats/cramfs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::CramfsDirEntry;
using formats::CramfsInode;
using formats::CramfsSuper;

constexpr unsigned kMaxDepth = 256;
constexpr std::uint32_t kDefaultBlock = 4096;
constexpr std::uint32_t kMaxLinkTarget = 4096;  // PATH_MAX

NodeType type_of(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return NodeType::directory;
    case S_IFLNK: return NodeType::symlink;
    case S_IFCHR: return NodeType::char_device;
    case S_IFBLK: return NodeType::block_device;
    case S_IFIFO: return NodeType::fifo;
    case S_IFSOCK: return NodeType::socket;
    default: return NodeType::file;
  }
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '\\') out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

// Inflates one block (a complete zlib stream) into `out`; returns the bytes produced or -1.
long inflate_block(ByteView in, std::span<std::uint8_t> out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return -1;
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  long produced = static_cast<long>(out.size() - zs.avail_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? produced : -1;
}

class CramfsUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "cramfs",
        .description = "cramfs compressed ROM filesystem (little- and big-endian)",
        .magics = {{0, std::string("\x45\x3d\xcd\x28", 4)}, {0, std::string("\x28\xcd\x3d\x45", 4)}},
        .references = {"Linux include/uapi/linux/cramfs_fs.h, fs/cramfs/inode.c",
                       "util-linux disk-utils/mkfs.cramfs.c, fsck.cramfs.c",
                       "Linux Documentation/filesystems/cramfs.rst"},
        .limitations = {"block sizes other than 4 KiB are detected from the first multi-block file "
                        "(4/8/16/32/64 KiB)",
                        "a superblock moved to offset 512 (mkfs.cramfs -p) is found by carving at 512",
                        "files sharing data (mkfs.cramfs de-duplication) are separate files with "
                        "shared content, as the kernel shows them"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(CramfsSuper s, formats::parse_cramfs_super(data));
    Probe p;
    p.length = s.v2() ? s.size : 0;
    p.detail = fmt::format("{}-endian, {} bytes, {} files, edition {}", s.endian == Endian::big ? "big" : "little",
                           s.size, s.files, s.edition);
    if (auto bad = formats::cramfs_unsupported_flags(s)) {
      p.unsupported = fmt::format("unknown cramfs feature flags {:#x}", bad);
      return p;
    }
    // A truncated image is still extracted partially, but its root directory must be present.
    if (s.root.size > 0 && !data.sub(s.root.offset, s.root.size))
      return fail(Errc::truncated, "cramfs root directory beyond the data");
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(CramfsSuper s, formats::parse_cramfs_super(all));
    if (auto bad = formats::cramfs_unsupported_flags(s))
      return fail(Errc::unsupported, fmt::format("unknown cramfs feature flags {:#x}", bad));
    ByteView img = all;
    if (s.v2()) {
      if (s.size > all.size()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "cramfs.truncated",
                                             fmt::format("image declares {} bytes but only {} are present; "
                                                         "extraction is partial", s.size, all.size())});
      } else {
        img = all.head(s.size);
        std::uint32_t crc = formats::cramfs_crc(img);
        if (crc != s.crc)
          ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "cramfs.crc",
                                               fmt::format("image CRC {:#010x} does not match the stored {:#010x}",
                                                           crc, s.crc)});
      }
    }
    Builder b(ctx, img, s);
    b.run();
    // Without the version-2 fsid there is no size field: the extent is what the tree references.
    return s.v2() ? std::uint64_t{s.size} : b.extent();
  }

 private:
  class Builder {
   public:
    Builder(Context& ctx, ByteView img, const CramfsSuper& s)
        : ctx_(ctx), img_(img), s_(s), fs_(ctx.tree, ctx.budget, ctx.region, "cramfs") {}

    // Never more than the data: references beyond it were reported as unreadable.
    std::uint64_t extent() const { return std::min<std::uint64_t>(extent_, img_.size()); }

    void run() {
      Node& r = ctx_.tree.mut(fs_.root());
      r.mode = s_.root.mode;
      r.uid = s_.root.uid;
      r.gid = s_.root.gid;
      extent_ = formats::kCramfsSuperSize;
      detect_block_size();
      walk();
      if (data_errors_)
        diag(ctx_.region, Severity::medium, "cramfs.partial",
             fmt::format("{} entries with unreadable data; extraction is partial", data_errors_));
      if (block_size_ != kDefaultBlock)
        diag(ctx_.region, Severity::info, "cramfs.block_size",
             fmt::format("data blocks of {} bytes (not the usual 4 KiB page)", block_size_));
    }

   private:
    void diag(NodeId id, Severity sev, std::string code, std::string msg) {
      ctx_.tree.add_diagnostic(id, {sev, std::move(code), std::move(msg)});
    }

    // cramfs blocks are one page of the machine it was built for. The superblock does not say
    // which; the first full block of a multi-block file tells.
    void detect_block_size() {
      std::vector<CramfsInode> dirs{s_.root};
      std::set<std::uint64_t> seen;
      std::vector<std::uint8_t> buf(2 * 65536);
      for (std::size_t i = 0; i < dirs.size() && i < 4096; ++i) {
        std::vector<CramfsDirEntry> entries;
        (void)formats::parse_cramfs_dir(img_, dirs[i], s_.endian, entries);
        for (const auto& e : entries) {
          if ((e.inode.mode & S_IFMT) == S_IFDIR) {
            if (e.inode.size > 0 && seen.insert(e.inode.offset).second) dirs.push_back(e.inode);
            continue;
          }
          if ((e.inode.mode & S_IFMT) != S_IFREG || e.inode.size <= kDefaultBlock) continue;
          // Read the first pointer as if blocks were 4 KiB: the table would then be longer than
          // the real one, so derive the start from the first pointer instead.
          auto p0 = img_.sub(e.inode.offset, 4);
          if (!p0) continue;
          std::uint32_t ptr = load_endian<std::uint32_t>(p0->data(), s_.endian);
          if (ptr & formats::kCramfsBlkFlags) continue;
          for (std::uint32_t bs : {4096u, 8192u, 16384u, 32768u, 65536u}) {
            std::uint64_t blocks = (e.inode.size + bs - 1) / bs;
            std::uint64_t start = e.inode.offset + blocks * 4;
            if (ptr <= start) continue;
            auto in = img_.sub(start, ptr - start);
            if (!in) continue;
            long got = inflate_block(*in, buf);
            if (got <= 0) continue;
            if (static_cast<std::uint64_t>(got) == std::min<std::uint64_t>(bs, e.inode.size)) {
              block_size_ = bs;
              return;
            }
          }
          return;  // undecidable from this file: keep 4 KiB
        }
      }
    }

    void note_extent(std::uint64_t end) { extent_ = std::max(extent_, end); }

    // Decodes the first `limit` bytes of a file's data; holes and unreadable blocks are zeros.
    std::vector<std::uint8_t> read_data(const CramfsInode& in, std::uint64_t limit, std::vector<Diagnostic>& diags) {
      std::uint64_t size = std::min<std::uint64_t>(in.size, limit);
      std::vector<std::uint8_t> out(size);
      if (size == 0) return out;
      // The pointer table covers the whole file even when only a prefix is wanted.
      auto blocks = static_cast<std::uint32_t>((std::uint64_t{in.size} + block_size_ - 1) / block_size_);
      auto needed = static_cast<std::uint32_t>((size + block_size_ - 1) / block_size_);
      note_extent(in.offset + std::uint64_t{blocks} * 4);
      std::vector<std::uint8_t> buf(2 * block_size_);
      std::uint64_t bad = 0;
      std::string first;
      for (std::uint32_t i = 0; i < needed; ++i) {
        std::uint64_t at = std::uint64_t{i} * block_size_;
        std::uint64_t want = std::min<std::uint64_t>(block_size_, size - at);
        auto blk = formats::cramfs_block(img_, in, i, blocks, block_size_, s_.endian);
        if (!blk) {
          if (bad++ == 0) first = fmt::format("block {}: {}", i, blk.error().message);
          continue;
        }
        if (blk->length == 0) continue;  // hole
        note_extent(blk->start + blk->length);
        ByteView src = img_.sub(blk->start, blk->length).value_or(ByteView{});
        if (blk->uncompressed) {
          std::memcpy(out.data() + at, src.data(), std::min<std::uint64_t>(want, src.size()));
          continue;
        }
        long got = inflate_block(src, buf);
        if (got < 0 || static_cast<std::uint64_t>(got) != want) {
          if (bad++ == 0)
            first = got < 0 ? fmt::format("block {}: zlib data corrupt", i)
                            : fmt::format("block {}: {} bytes instead of {}", i, got, want);
          if (got <= 0) continue;
        }
        std::memcpy(out.data() + at, buf.data(), std::min<std::uint64_t>(want, static_cast<std::uint64_t>(got)));
      }
      if (bad) {
        ++data_errors_;
        diags.push_back({Severity::medium, "cramfs.data",
                         fmt::format("{} of {} blocks unreadable ({}); zero-filled", bad, needed, first)});
      }
      return out;
    }

    BlobPtr file_content(const CramfsInode& in, std::vector<Diagnostic>& diags) {
      const Limits& lim = ctx_.budget.limits();
      logical_ += in.size;
      if (logical_ > lim.ratio_floor_bytes &&
          logical_ / std::max<std::uint64_t>(img_.size(), 1) > lim.max_expansion_ratio) {
        diags.push_back({Severity::high, "limit.ratio",
                         fmt::format("file data exceeds {}x the image size (bomb?); content not read",
                                     lim.max_expansion_ratio)});
        return make_blob(std::vector<std::uint8_t>{});
      }
      // mkfs.cramfs stores identical files once: decode shared data once.
      auto key = std::make_pair(in.offset, in.size);
      if (auto it = cache_.find(key); it != cache_.end()) return it->second;
      std::uint64_t size = std::min<std::uint64_t>(in.size, lim.max_node_bytes);
      if (size < in.size)
        diags.push_back({Severity::high, "limit.node_bytes", "file cut to the per-file limit"});
      if (!ctx_.budget.take_bytes(size)) {
        diags.push_back({Severity::high, "limit.total_bytes", "total output limit reached; content not read"});
        return make_blob(std::vector<std::uint8_t>{});
      }
      BlobPtr blob = make_blob(read_data(in, size, diags));
      if (in.offset != 0) cache_[key] = blob;
      return blob;
    }

    void walk() {
      struct Pending {
        CramfsInode inode;
        std::string path;
        NodeId node;
        unsigned depth;
      };
      std::vector<Pending> stack{{s_.root, "", fs_.root(), 0}};
      std::set<std::uint64_t> visited;
      if (s_.root.size > 0) visited.insert(s_.root.offset);
      while (!stack.empty() && !fs_.stopped()) {
        Pending cur = std::move(stack.back());
        stack.pop_back();
        if (ctx_.budget.expired()) {
          diag(ctx_.region, Severity::high, "limit.time", "time limit reached; cramfs listing incomplete");
          return;
        }
        if (cur.inode.size == 0) continue;
        if (cur.depth >= kMaxDepth) {
          diag(cur.node, Severity::high, "cramfs.depth",
               fmt::format("directory nesting deeper than {}; not descended", kMaxDepth));
          continue;
        }
        std::vector<CramfsDirEntry> entries;
        if (auto st = formats::parse_cramfs_dir(img_, cur.inode, s_.endian, entries); !st) {
          ++data_errors_;
          diag(cur.node, Severity::medium, st.error().code == Errc::truncated ? "cramfs.truncated" : "cramfs.directory",
               fmt::format("directory listing cut short after {} entries: {}", entries.size(), st.error().message));
        } else {
          note_extent(cur.inode.offset + cur.inode.size);
        }
        std::vector<Pending> subdirs;
        for (const CramfsDirEntry& de : entries) {
          const std::string& name = de.name;
          if (name == "." || name == ".." || name.find('/') != std::string::npos ||
              name.find('\0') != std::string::npos) {
            diag(cur.node, Severity::high, "path.traversal",
                 fmt::format("entry name '{}' (at {:#x}) is not a single path component; skipped",
                             printable(name), de.entry_offset));
            continue;
          }
          const CramfsInode& in = de.inode;
          FsBuilder::Entry e;
          e.path = cur.path + "/" + name;
          e.type = type_of(in.mode);
          e.mode = in.mode;
          e.uid = in.uid;
          e.gid = in.gid;
          e.offset = de.entry_offset;
          std::vector<Diagnostic> diags;
          bool descend = false;
          switch (e.type) {
            case NodeType::directory:
              if (in.size > 0) {
                if (!visited.insert(in.offset).second) {
                  diag(cur.node, Severity::high, "cramfs.cycle",
                       fmt::format("'{}' points at directory data already in the tree (cycle or shared "
                                   "directory); not descended", e.path));
                } else {
                  descend = true;
                }
              }
              break;
            case NodeType::file:
              if ((in.mode & S_IFMT) != S_IFREG)
                diags.push_back({Severity::medium, "cramfs.mode",
                                 fmt::format("unknown file type in mode {:#o}; kept as a regular file", in.mode)});
              e.size = in.size;
              e.content = file_content(in, diags);
              break;
            case NodeType::symlink: {
              auto target = read_data(in, kMaxLinkTarget, diags);
              if (in.size > kMaxLinkTarget)
                diags.push_back({Severity::medium, "cramfs.symlink", "symlink target longer than 4 KiB; cut"});
              e.link_target.assign(target.begin(), target.end());
              e.size = e.link_target.size();
              break;
            }
            case NodeType::char_device:
            case NodeType::block_device:
              // The size field holds the device number as the host's dev_t (24 bits kept).
              e.rdev_major = (in.size >> 8) & 0xFFF;
              e.rdev_minor = (in.size & 0xFF) | ((in.size >> 12) & 0xFFF00);
              break;
            default:
              break;
          }
          NodeId id = fs_.add(std::move(e));
          if (id == kNoNode) return;
          for (auto& d : diags) ctx_.tree.add_diagnostic(id, std::move(d));
          if (descend) subdirs.push_back({in, cur.path + "/" + name, id, cur.depth + 1});
        }
        for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
      }
    }

    Context& ctx_;
    ByteView img_;
    const CramfsSuper& s_;
    FsBuilder fs_;
    std::uint32_t block_size_ = kDefaultBlock;
    std::uint64_t extent_ = 0, logical_ = 0, data_errors_ = 0;
    std::map<std::pair<std::uint64_t, std::uint32_t>, BlobPtr> cache_;
  };
};

}  // namespace

std::unique_ptr<Unpacker> make_cramfs_unpacker() { return std::make_unique<CramfsUnpacker>(); }

}  // namespace iotaudit::unpack
