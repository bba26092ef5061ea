// ext2/ext3/ext4 through libext2fs (e2fsprogs). The image is read from memory through a custom
// read-only io_manager, so a carved filesystem is never copied or written to a temporary file.
// Directories are walked by hand (explicit stack, visited-inode set) so that one corrupt
// directory, inode or extent tree costs only that entry; each failure is a diagnostic on it.
// Checksums (metadata_csum) are verified first; data that fails one is still extracted, with a
// diagnostic, since a tampered image is exactly what an audit wants to see.
#include <sys/stat.h>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <new>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

// com_err.h has no C++ linkage guard of its own.
extern "C" {
#include <et/com_err.h>
}
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#include "formats/ext_super.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

// ---- read-only in-memory io_manager -------------------------------------------------------------

struct MemChannel {
  struct_io_channel ch;  // must be first: libext2fs hands io_channel back to the callbacks
  ByteView view;
  std::string name;
};

MemChannel* mem_of(io_channel c) { return static_cast<MemChannel*>(c->private_data); }

constexpr std::string_view kNamePrefix = "iotaudit-mem:";

errcode_t mem_close(io_channel c);
errcode_t mem_set_blksize(io_channel c, int blksize);
errcode_t mem_read_blk64(io_channel c, unsigned long long block, int count, void* data);
errcode_t mem_read_blk(io_channel c, unsigned long block, int count, void* data);
errcode_t mem_write_blk64(io_channel, unsigned long long, int, const void*) { return EXT2_ET_RO_FILSYS; }
errcode_t mem_write_blk(io_channel, unsigned long, int, const void*) { return EXT2_ET_RO_FILSYS; }
errcode_t mem_write_byte(io_channel, unsigned long, int, const void*) { return EXT2_ET_RO_FILSYS; }
errcode_t mem_flush(io_channel) { return 0; }
errcode_t mem_set_option(io_channel, const char*, const char*) { return EXT2_ET_INVALID_ARGUMENT; }
errcode_t mem_get_stats(io_channel, io_stats* stats) {
  if (stats) *stats = nullptr;
  return EXT2_ET_OP_NOT_SUPPORTED;
}
errcode_t mem_discard(io_channel, unsigned long long, unsigned long long) { return EXT2_ET_RO_FILSYS; }
errcode_t mem_readahead(io_channel, unsigned long long, unsigned long long) { return 0; }
errcode_t mem_zeroout(io_channel, unsigned long long, unsigned long long) { return EXT2_ET_RO_FILSYS; }
errcode_t mem_open(const char* name, int flags, io_channel* channel);

struct_io_manager mem_manager_struct = [] {
  struct_io_manager m{};
  m.magic = EXT2_ET_MAGIC_IO_MANAGER;
  m.name = "iotaudit in-memory read-only I/O manager";
  m.open = mem_open;
  m.close = mem_close;
  m.set_blksize = mem_set_blksize;
  m.read_blk = mem_read_blk;
  m.write_blk = mem_write_blk;
  m.flush = mem_flush;
  m.write_byte = mem_write_byte;
  m.set_option = mem_set_option;
  m.get_stats = mem_get_stats;
  m.read_blk64 = mem_read_blk64;
  m.write_blk64 = mem_write_blk64;
  m.discard = mem_discard;
  m.cache_readahead = mem_readahead;
  m.zeroout = mem_zeroout;
  return m;
}();

// libext2fs opens a channel by name only; the name carries the address of the ByteView the
// caller keeps alive for the lifetime of the filesystem handle ("iotaudit-mem:<hex address>").
errcode_t mem_open(const char* name, int flags, io_channel* channel) {
  if (name == nullptr || channel == nullptr) return EXT2_ET_BAD_DEVICE_NAME;
  if ((flags & IO_FLAG_RW) != 0) return EXT2_ET_RO_FILSYS;
  std::string_view n(name);
  if (!n.starts_with(kNamePrefix)) return EXT2_ET_BAD_DEVICE_NAME;
  n.remove_prefix(kNamePrefix.size());
  std::uintptr_t addr = 0;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), addr, 16);
  if (ec != std::errc{} || end != n.data() + n.size() || addr == 0) return EXT2_ET_BAD_DEVICE_NAME;
  auto* mc = new (std::nothrow) MemChannel{};
  if (mc == nullptr) return EXT2_ET_NO_MEMORY;
  mc->view = *reinterpret_cast<const ByteView*>(addr);
  mc->name = name;
  mc->ch.magic = EXT2_ET_MAGIC_IO_CHANNEL;
  mc->ch.manager = &mem_manager_struct;
  mc->ch.name = mc->name.data();
  mc->ch.block_size = 1024;
  mc->ch.refcount = 1;
  mc->ch.private_data = mc;
  *channel = &mc->ch;
  return 0;
}

errcode_t mem_close(io_channel c) {
  if (c == nullptr || c->magic != EXT2_ET_MAGIC_IO_CHANNEL) return EXT2_ET_MAGIC_IO_CHANNEL;
  if (--c->refcount > 0) return 0;
  delete mem_of(c);
  return 0;
}

errcode_t mem_set_blksize(io_channel c, int blksize) {
  if (blksize <= 0 || blksize > (1 << 20)) return EXT2_ET_INVALID_ARGUMENT;
  c->block_size = blksize;
  return 0;
}

// A negative count is a byte count (libext2fs convention). Bytes the image does not hold read as
// zeros and the read fails, so a truncated image loses only what lies beyond its end.
errcode_t mem_read_blk64(io_channel c, unsigned long long block, int count, void* data) {
  if (data == nullptr || c->block_size <= 0) return EXT2_ET_INVALID_ARGUMENT;
  auto bs = static_cast<std::uint64_t>(c->block_size);
  std::uint64_t size = count < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(count))
                                 : static_cast<std::uint64_t>(count) * bs;
  if (size == 0) return 0;
  const ByteView& v = mem_of(c)->view;
  if (block > (~std::uint64_t{0}) / bs) {
    std::memset(data, 0, size);
    return EXT2_ET_SHORT_READ;
  }
  ByteView got = v.tail(block * bs).head(size);
  if (!got.empty()) std::memcpy(data, got.data(), got.size());
  if (got.size() < size) {
    std::memset(static_cast<std::uint8_t*>(data) + got.size(), 0, size - got.size());
    return EXT2_ET_SHORT_READ;
  }
  return 0;
}

errcode_t mem_read_blk(io_channel c, unsigned long block, int count, void* data) {
  return mem_read_blk64(c, block, count, data);
}

// ---- helpers ------------------------------------------------------------------------------------

// Messages straight from libext2fs's own table: com_err's error_message() would need the global
// table list (registration is not thread-safe) and a library this code does not otherwise use.
std::string err_text(errcode_t e) {
  const error_table& t = et_ext2_error_table;
  if (e >= t.base && e < t.base + t.n_msgs && t.msgs[e - t.base] != nullptr) return t.msgs[e - t.base];
  if (e > 0 && e < 4096) return std::strerror(static_cast<int>(e));
  return fmt::format("libext2fs error {}", e);
}

bool is_csum_error(errcode_t e) {
  switch (e) {
    case EXT2_ET_INODE_CSUM_INVALID:
    case EXT2_ET_EXTENT_CSUM_INVALID:
    case EXT2_ET_DIR_CSUM_INVALID:
    case EXT2_ET_EXT_ATTR_CSUM_INVALID:
    case EXT2_ET_SB_CSUM_INVALID:
    case EXT2_ET_INODE_BITMAP_CSUM_INVALID:
    case EXT2_ET_BLOCK_BITMAP_CSUM_INVALID:
    case EXT2_ET_UNKNOWN_CSUM:
      return true;
    default:
      return false;
  }
}

struct FsCloser {
  ext2_filsys fs = nullptr;
  ~FsCloser() {
    if (fs) ext2fs_close_free(&fs);
  }
};
struct FileCloser {
  ext2_file_t f = nullptr;
  ~FileCloser() {
    if (f) ext2fs_file_close(f);
  }
};

// Runs `op`; when it fails on a checksum only, runs it again with checksum errors ignored and
// sets `csum_bad` (the caller reports it). `reset` undoes partial output of the first attempt.
template <class Op, class Reset>
errcode_t with_csum_retry(ext2_filsys fs, bool& csum_bad, Op op, Reset reset) {
  errcode_t e = op();
  if (!is_csum_error(e) || (fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) != 0) return e;
  csum_bad = true;
  reset();
  fs->flags |= EXT2_FLAG_IGNORE_CSUM_ERRORS;
  e = op();
  fs->flags &= ~EXT2_FLAG_IGNORE_CSUM_ERRORS;
  return e;
}

NodeType type_of_mode(std::uint32_t mode) {
  switch (mode & 0xF000u) {
    case 0x4000: return NodeType::directory;
    case 0xA000: return NodeType::symlink;
    case 0x2000: return NodeType::char_device;
    case 0x6000: return NodeType::block_device;
    case 0x1000: return NodeType::fifo;
    case 0xC000: return NodeType::socket;
    default: return NodeType::file;
  }
}

// Seconds since the epoch: the 32-bit field is signed; large inodes carry two more epoch bits
// (ext4 "extra" timestamps, valid until 2446).
std::int64_t mtime_of(const ext2_inode_large& in) {
  auto t = static_cast<std::int64_t>(static_cast<std::int32_t>(in.i_mtime));
  constexpr unsigned kExtraEnd = offsetof(ext2_inode_large, i_mtime_extra) + sizeof(in.i_mtime_extra);
  if (EXT2_GOOD_OLD_INODE_SIZE + static_cast<unsigned>(in.i_extra_isize) >= kExtraEnd)
    t += static_cast<std::int64_t>(in.i_mtime_extra & EXT4_EPOCH_MASK) << 32;
  return t;
}

struct DirEnt {
  std::string name;
  ext2_ino_t ino = 0;
  bool bad_name = false;
};

struct IterState {
  std::vector<DirEnt>* out = nullptr;
  const Budget* budget = nullptr;
  std::uint64_t slots = 0;
  std::uint64_t max_slots = 0;
  bool limited = false;
};

int collect_entry(ext2_ino_t, int entry, ext2_dir_entry* dirent, int, int, char*, void* priv) {
  auto* st = static_cast<IterState*>(priv);
  // Empty slots are visited too (DIRENT_FLAG_INCLUDE_EMPTY) so that a directory whose extents map
  // an enormous range of empty blocks still comes back here to be stopped.
  if (++st->slots > st->max_slots || ((st->slots & 1023) == 0 && st->budget->expired())) {
    st->limited = true;
    return DIRENT_ABORT;
  }
  if (dirent->inode == 0) return 0;
  int len = ext2fs_dirent_name_len(dirent);
  std::string name(dirent->name, static_cast<std::size_t>(len));
  // "." and ".." are skipped by name, wherever they sit: inline-data directories synthesise them
  // without the positional markers, and path lookup never reaches a stray copy of either.
  (void)entry;
  if (name == "." || name == "..") return 0;
  DirEnt d;
  d.bad_name = name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos;
  d.name = std::move(name);
  d.ino = dirent->inode;
  st->out->push_back(std::move(d));
  return 0;
}

class ExtUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    // The magic is followed by s_state (0 mounted/dirty, 1 clean, 2 errors, 3 both); matching
    // four bytes instead of two keeps carving from probing every 0xEF53 in a blob.
    static const Descriptor d{
        .id = "ext",
        .description = "ext2/ext3/ext4 filesystem via libext2fs",
        .magics = {{1080, std::string("\x53\xEF\x01\x00", 4)},
                   {1080, std::string("\x53\xEF\x00\x00", 4)},
                   {1080, std::string("\x53\xEF\x02\x00", 4)},
                   {1080, std::string("\x53\xEF\x03\x00", 4)}},
        .references = {"https://www.kernel.org/doc/html/latest/filesystems/ext4/index.html",
                       "e2fsprogs lib/ext2fs/ext2_fs.h"},
        .limitations = {"the journal is not replayed: a filesystem marked needs_recovery shows its state "
                        "before the unreplayed transactions (diagnostic ext4.needs_recovery)",
                        "extended attributes, ACLs and deleted inodes are not recorded",
                        "encrypted (fscrypt) names and contents are extracted as stored, undecrypted",
                        "external journal devices (journal_dev) hold no files and are not extracted"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto sb, formats::parse_ext_super(data, /*allow_truncated=*/true));
    Probe p;
    p.length = sb.bytes();
    p.detail = fmt::format("{} \"{}\", {}-byte blocks, {} blocks, {} inodes{}{}", sb.flavour(), sb.volume_name,
                           sb.block_size(), sb.blocks_count, sb.inodes_count, sb.has_journal() ? ", journal" : "",
                           sb.needs_recovery() ? ", needs recovery" : "");
    if ((sb.feature_incompat & formats::kExtIncompatJournalDev) != 0) {
      p.unsupported = "external journal device (holds no files)";
    } else if (std::uint32_t unknown = sb.feature_incompat & ~static_cast<std::uint32_t>(EXT2_LIB_FEATURE_INCOMPAT_SUPP);
               unknown != 0) {
      p.unsupported = fmt::format("incompatible features {:#x} unknown to libext2fs", unknown);
    }
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto sb, formats::parse_ext_super(all, /*allow_truncated=*/true));
    if (sb.bytes() > all.size())
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "ext.truncated",
                                           fmt::format("filesystem declares {} bytes ({} blocks of {}) but only {} "
                                                       "are present; extraction is partial",
                                                       sb.bytes(), sb.blocks_count, sb.block_size(), all.size())});
    if (sb.needs_recovery())
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ext4.needs_recovery",
                                           "journal holds transactions that were never replayed; files are shown "
                                           "as they were before them"});
    // Kept alive until the filesystem is closed: the channel reads through it.
    const ByteView view = all.head(sb.bytes());
    const std::string name = fmt::format("{}{:x}", kNamePrefix, reinterpret_cast<std::uintptr_t>(&view));

    // Read-only; MMP is a lock between hosts mounting a shared disk, meaningless for an image.
    const int base_flags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP;
    FsCloser fsc;
    errcode_t e = ext2fs_open2(name.c_str(), nullptr, base_flags, 0, 0, &mem_manager_struct, &fsc.fs);
    if (e != 0) {
      errcode_t first = e;
      fsc.fs = nullptr;
      e = ext2fs_open2(name.c_str(), nullptr,
                       base_flags | EXT2_FLAG_IGNORE_CSUM_ERRORS | EXT2_FLAG_IGNORE_SB_ERRORS, 0, 0,
                       &mem_manager_struct, &fsc.fs);
      if (e != 0) {
        fsc.fs = nullptr;
        return fail(Errc::malformed, fmt::format("libext2fs cannot open the filesystem: {}", err_text(first)));
      }
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, is_csum_error(first) ? "ext.checksum" : "ext.superblock",
                                           fmt::format("opened only with checks relaxed: {}", err_text(first))});
    }
    ext2_filsys fs = fsc.fs;
    const Limits& lim = ctx.budget.limits();
    FsBuilder builder(ctx.tree, ctx.budget, ctx.region, "ext");
    std::uint64_t errors = 0;

    auto read_inode = [&](ext2_ino_t ino, ext2_inode_large& in, bool& csum_bad) {
      return with_csum_retry(
          fs, csum_bad,
          [&] {
            in = ext2_inode_large{};
            return ext2fs_read_inode_full(fs, ino, reinterpret_cast<ext2_inode*>(&in), sizeof in);
          },
          [] {});
    };
    auto csum_diag = [&](NodeId id, std::string_view what) {
      ctx.tree.add_diagnostic(id, {Severity::medium, "ext.checksum",
                                   fmt::format("{} fails its metadata checksum; read anyway", what)});
    };

    {
      ext2_inode_large root{};
      bool csum_bad = false;
      if (errcode_t re = read_inode(EXT2_ROOT_INO, root, csum_bad); re != 0)
        return fail(Errc::malformed, fmt::format("root inode unreadable: {}", err_text(re)));
      if (csum_bad) csum_diag(builder.root(), "root inode");
      if (type_of_mode(root.i_mode) != NodeType::directory)
        return fail(Errc::malformed, "root inode is not a directory");
      Node& r = ctx.tree.mut(builder.root());
      r.mode = root.i_mode;
      r.uid = inode_uid(root);
      r.gid = inode_gid(root);
      r.mtime = mtime_of(root);
    }

    // Output allowed for the whole filesystem before the expansion ratio stops it: sparse files
    // declare sizes the image does not hold.
    const std::uint64_t ratio = std::max<std::uint64_t>(lim.max_expansion_ratio, 1);
    const std::uint64_t ratio_cap = std::max<std::uint64_t>(
        lim.ratio_floor_bytes, view.size() > ~std::uint64_t{0} / ratio ? ~std::uint64_t{0} : view.size() * ratio);
    bool ratio_hit = false;

    // Reads up to `want` bytes of a file through its block map, extent tree or inline data.
    auto read_content = [&](ext2_ino_t ino, std::uint64_t want, std::vector<std::uint8_t>& buf) -> errcode_t {
      buf.clear();
      FileCloser fc;
      if (errcode_t fe = ext2fs_file_open(fs, ino, 0, &fc.f); fe != 0) return fe;
      buf.reserve(std::min<std::uint64_t>(want, 64u << 20));
      while (buf.size() < want) {
        if (ctx.budget.expired()) return EXT2_ET_OP_NOT_SUPPORTED;  // reported by the caller
        auto chunk = static_cast<unsigned>(std::min<std::uint64_t>(want - buf.size(), 1u << 20));
        std::size_t at = buf.size();
        buf.resize(at + chunk);
        unsigned got = 0;
        errcode_t re = ext2fs_file_read(fc.f, buf.data() + at, chunk, &got);
        buf.resize(at + std::min(got, chunk));
        if (re != 0) return re;
        if (got == 0) break;
      }
      return 0;
    };

    struct Pending {
      ext2_ino_t ino;
      std::string path;
      NodeId node;
      unsigned depth;
    };
    std::vector<Pending> stack{{EXT2_ROOT_INO, "", builder.root(), 0}};
    std::set<ext2_ino_t> visited_dirs{EXT2_ROOT_INO};
    std::unordered_map<ext2_ino_t, std::string> first_name;  // hard links: same inode, second name
    std::vector<DirEnt> entries;

    while (!stack.empty() && !builder.stopped()) {
      Pending cur = std::move(stack.back());
      stack.pop_back();
      if (ctx.budget.expired()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; ext listing incomplete"});
        break;
      }
      if (cur.depth > 256) {
        ctx.tree.add_diagnostic(cur.node, {Severity::high, "ext.depth", "directory nesting deeper than 256; not descended"});
        continue;
      }
      entries.clear();
      IterState st{&entries, &ctx.budget, 0, std::max<std::uint64_t>(lim.max_nodes, 1) * 4, false};
      bool dir_csum = false;
      errcode_t de = with_csum_retry(
          fs, dir_csum,
          [&] {
            // Inline-data directories are handled inside (DIRENT_FLAG_INCLUDE_INLINE_DATA is the
            // library's internal marker for that path, not a request).
            return ext2fs_dir_iterate2(fs, cur.ino, DIRENT_FLAG_INCLUDE_EMPTY, nullptr, collect_entry, &st);
          },
          [&] {
            entries.clear();
            st.slots = 0;
            st.limited = false;
          });
      if (dir_csum) csum_diag(cur.node, "directory block");
      if (st.limited) {
        ctx.tree.add_diagnostic(cur.node, {Severity::high, ctx.budget.expired() ? "limit.time" : "limit.nodes",
                                           fmt::format("directory listing stopped after {} slots", st.slots - 1)});
      } else if (de != 0) {
        ctx.tree.add_diagnostic(cur.node, {Severity::medium, "ext.directory",
                                           fmt::format("directory unreadable after {} entries: {}", entries.size(),
                                                       err_text(de))});
        ++errors;
      }

      for (DirEnt& ent : entries) {
        if (builder.stopped()) break;
        std::string path = cur.path + "/" + ent.name;
        if (ent.bad_name) {
          ctx.tree.add_diagnostic(cur.node, {Severity::high, "path.traversal",
                                             fmt::format("entry name '{}' is not a single path component", ent.name)});
        }
        ext2_inode_large in{};
        bool csum_bad = false;
        if (errcode_t ie = read_inode(ent.ino, in, csum_bad); ie != 0) {
          ctx.tree.add_diagnostic(cur.node, {Severity::medium, "ext.inode",
                                             fmt::format("inode {} of '{}' unreadable: {}", ent.ino, ent.name,
                                                         err_text(ie))});
          ++errors;
          continue;
        }
        FsBuilder::Entry en;
        en.path = path;
        en.type = type_of_mode(in.i_mode);
        en.mode = in.i_mode;
        en.uid = inode_uid(in);
        en.gid = inode_gid(in);
        en.mtime = mtime_of(in);
        en.offset = 0;
        const std::uint64_t size = EXT2_I_SIZE(&in);
        std::string diag, diag_code = "ext.file_data";
        bool content_csum = false;
        switch (en.type) {
          case NodeType::file: {
            en.size = size;
            if ((in.i_mode & 0xF000u) != 0x8000u)
              diag = fmt::format("inode {} has no valid file type (mode {:#o}); kept as a regular file", ent.ino,
                                 in.i_mode);
            if (auto it = first_name.find(ent.ino); it != first_name.end()) {
              en.type = NodeType::hardlink;
              en.link_target = it->second;
              break;
            }
            first_name.emplace(ent.ino, path);
            std::uint64_t want = size;
            if (want > lim.max_node_bytes) {
              want = lim.max_node_bytes;
              diag = fmt::format("file of {} bytes truncated to the per-file limit", size);
              diag_code = "limit.node_bytes";
            }
            if (builder.bytes_out() + want > ratio_cap) {
              want = ratio_cap > builder.bytes_out() ? ratio_cap - builder.bytes_out() : 0;
              diag = fmt::format("file of {} bytes truncated: expansion ratio above {}:1", size, lim.max_expansion_ratio);
              diag_code = "limit.ratio";
              ratio_hit = true;
            }
            if (!ctx.budget.take_bytes(want)) {
              diag = "total output limit reached; content not read";
              diag_code = "limit.total_bytes";
              want = 0;
            }
            std::vector<std::uint8_t> buf;
            if (want > 0) {
              errcode_t re = with_csum_retry(
                  fs, content_csum, [&] { return read_content(ent.ino, want, buf); }, [&] { buf.clear(); });
              if (re != 0) {
                diag = ctx.budget.expired()
                           ? fmt::format("time limit reached after {} of {} bytes", buf.size(), size)
                           : fmt::format("content unreadable after {} of {} bytes: {}", buf.size(), size, err_text(re));
                diag_code = ctx.budget.expired() ? "limit.time" : "ext.file_data";
                ++errors;
              }
            }
            en.content = make_blob(std::move(buf));
            break;
          }
          case NodeType::symlink: {
            // Targets longer than a block are not something Linux creates (PATH_MAX is 4096).
            std::uint64_t want = std::min<std::uint64_t>(size, std::min<std::uint32_t>(sb.block_size(), 4096));
            if (want < size) diag = fmt::format("symlink target of {} bytes cut to {}", size, want);
            if ((in.i_flags & EXT4_INLINE_DATA_FL) != 0 || !ext2fs_is_fast_symlink(reinterpret_cast<ext2_inode*>(&in))) {
              std::vector<std::uint8_t> buf;
              errcode_t re = with_csum_retry(
                  fs, content_csum, [&] { return read_content(ent.ino, want, buf); }, [&] { buf.clear(); });
              if (re != 0) {
                diag = fmt::format("symlink target unreadable: {}", err_text(re));
                ++errors;
              }
              en.link_target.assign(buf.begin(), buf.end());
            } else {
              // Fast symlink: the target sits in the 60 bytes of i_block itself.
              std::uint8_t raw[sizeof in.i_block];
              std::memcpy(raw, in.i_block, sizeof raw);
              en.link_target.assign(reinterpret_cast<const char*>(raw), std::min<std::uint64_t>(want, sizeof raw));
            }
            if (auto z = en.link_target.find('\0'); z != std::string::npos) en.link_target.resize(z);
            en.size = en.link_target.size();
            break;
          }
          case NodeType::char_device:
          case NodeType::block_device: {
            // Old encoding (8-bit major/minor) in i_block[0]; the new one (12/20 bits) in i_block[1].
            std::uint32_t old_dev = in.i_block[0], new_dev = in.i_block[1];
            if (old_dev != 0) {
              en.rdev_major = (old_dev >> 8) & 0xffu;
              en.rdev_minor = old_dev & 0xffu;
            } else {
              en.rdev_major = (new_dev & 0xfff00u) >> 8;
              en.rdev_minor = (new_dev & 0xffu) | ((new_dev >> 12) & 0xfff00u);
            }
            break;
          }
          default:
            break;
        }
        const bool is_dir = en.type == NodeType::directory;
        NodeId id = builder.add(std::move(en));
        if (id == kNoNode) {
          if (builder.stopped()) break;
          continue;
        }
        if (ratio_hit) {
          ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.ratio",
                                               fmt::format("expansion ratio above {}:1; remaining entries not read",
                                                           lim.max_expansion_ratio)});
        }
        if (csum_bad) csum_diag(id, fmt::format("inode {}", ent.ino));
        if (content_csum) csum_diag(id, "file mapping (extent tree)");
        if (!diag.empty()) ctx.tree.add_diagnostic(id, {Severity::medium, diag_code, diag});
        if (ratio_hit) break;
        if (is_dir) {
          if (!visited_dirs.insert(ent.ino).second) {
            ctx.tree.add_diagnostic(id, {Severity::high, "ext.cycle",
                                         fmt::format("directory inode {} already visited (cycle or directory "
                                                     "hard link); not descended",
                                                     ent.ino)});
            continue;
          }
          stack.push_back({ent.ino, path, id, cur.depth + 1});
        }
      }
      if (ratio_hit) break;
    }
    if (errors > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ext.partial",
                                           fmt::format("{} read errors; extraction is partial", errors)});
    return sb.bytes();
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_ext_unpacker() { return std::make_unique<ExtUnpacker>(); }

}  // namespace iotaudit::unpack
