// SquashFS 4.0 through libsquashfs (squashfs-tools-ng). The image is read from memory through a
// custom sqfs_file_t, so carved filesystems are never copied. Directories are walked by hand
// (not sqfs_dir_reader_get_full_hierarchy) so that one corrupt directory or file costs only that
// entry: everything else is still extracted, and each failure is a diagnostic on its node.
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>

#include <algorithm>
#include <tuple>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

#include <lzo/lzo1x.h>

#include "formats/squashfs_super.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

struct MemFile {
  sqfs_file_t base;  // must be first: libsquashfs passes sqfs_file_t*
  ByteView view;
};

int mem_read_at(sqfs_file_t* f, sqfs_u64 offset, void* buffer, size_t size) {
  auto* m = reinterpret_cast<MemFile*>(f);
  if (offset > m->view.size() || size > m->view.size() - offset) return SQFS_ERROR_OUT_OF_BOUNDS;
  std::memcpy(buffer, m->view.data() + offset, size);
  return 0;
}
int mem_write_at(sqfs_file_t*, sqfs_u64, const void*, size_t) { return SQFS_ERROR_IO; }
sqfs_u64 mem_get_size(const sqfs_file_t* f) {
  return reinterpret_cast<const MemFile*>(f)->view.size();
}
int mem_truncate(sqfs_file_t*, sqfs_u64) { return SQFS_ERROR_IO; }
void mem_destroy(sqfs_object_t*) {}  // owned by the caller's stack frame

const char* sqfs_error_text(int err) {
  switch (err) {
    case SQFS_ERROR_ALLOC: return "allocation failed";
    case SQFS_ERROR_IO: return "I/O error";
    case SQFS_ERROR_COMPRESSOR: return "decompression failed";
    case SQFS_ERROR_INTERNAL: return "internal error";
    case SQFS_ERROR_CORRUPTED: return "corrupted data";
    case SQFS_ERROR_UNSUPPORTED: return "unsupported feature";
    case SQFS_ERROR_OVERFLOW: return "numeric overflow";
    case SQFS_ERROR_OUT_OF_BOUNDS: return "reference beyond the end of the image";
    case SFQS_ERROR_SUPER_MAGIC: return "bad superblock magic";
    case SFQS_ERROR_SUPER_VERSION: return "unsupported superblock version";
    case SQFS_ERROR_SUPER_BLOCK_SIZE: return "bad block size";
    case SQFS_ERROR_NOT_DIR: return "not a directory";
    case SQFS_ERROR_NO_ENTRY: return "no such entry";
    case SQFS_ERROR_LINK_LOOP: return "link loop";
    case SQFS_ERROR_NOT_FILE: return "not a file";
    case SQFS_ERROR_ARG_INVALID: return "invalid argument";
    case SQFS_ERROR_SEQUENCE: return "call sequence error";
    default: return "unknown error";
  }
}

template <class T>
struct SqfsPtr {
  T* p = nullptr;
  ~SqfsPtr() {
    if (p) sqfs_destroy(p);
  }
};
struct FreePtr {
  void* p = nullptr;
  ~FreePtr() {
    if (p) sqfs_free(p);
  }
};

// Debian builds libsquashfs without lzo (licence), yet router SDKs commonly use it; libsquashfs
// accepts any object implementing sqfs_compressor_t, so lzo decoding is supplied here via liblzo2.
struct LzoDecompressor {
  sqfs_compressor_t base;  // must be first
};

sqfs_s32 lzo_do_block(sqfs_compressor_t*, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize) {
  lzo_uint len = outsize;
  int rc = lzo1x_decompress_safe(in, size, out, &len, nullptr);
  if (rc != LZO_E_OK || len > outsize) return SQFS_ERROR_COMPRESSOR;
  return static_cast<sqfs_s32>(len);
}
void lzo_get_configuration(const sqfs_compressor_t*, sqfs_compressor_config_t* cfg) {
  std::memset(cfg, 0, sizeof *cfg);
  cfg->id = SQFS_COMP_LZO;
  cfg->flags = SQFS_COMP_FLAG_UNCOMPRESS;
}
int lzo_options(sqfs_compressor_t*, sqfs_file_t*) { return 0; }
void lzo_destroy(sqfs_object_t* obj) { delete reinterpret_cast<LzoDecompressor*>(obj); }

sqfs_compressor_t* make_lzo_decompressor() {
  if (lzo_init() != LZO_E_OK) return nullptr;
  auto* d = new LzoDecompressor{};
  d->base.base.destroy = lzo_destroy;
  d->base.base.copy = nullptr;
  d->base.get_configuration = lzo_get_configuration;
  d->base.write_options = lzo_options;
  d->base.read_options = lzo_options;
  d->base.do_block = lzo_do_block;
  return &d->base;
}

NodeType node_type(const sqfs_inode_generic_t* in) {
  switch (in->base.type) {
    case SQFS_INODE_DIR: case SQFS_INODE_EXT_DIR: return NodeType::directory;
    case SQFS_INODE_FILE: case SQFS_INODE_EXT_FILE: return NodeType::file;
    case SQFS_INODE_SLINK: case SQFS_INODE_EXT_SLINK: return NodeType::symlink;
    case SQFS_INODE_BDEV: case SQFS_INODE_EXT_BDEV: return NodeType::block_device;
    case SQFS_INODE_CDEV: case SQFS_INODE_EXT_CDEV: return NodeType::char_device;
    case SQFS_INODE_FIFO: case SQFS_INODE_EXT_FIFO: return NodeType::fifo;
    default: return NodeType::socket;
  }
}

std::uint32_t type_bits(NodeType t) {
  switch (t) {
    case NodeType::directory: return S_IFDIR;
    case NodeType::symlink: return S_IFLNK;
    case NodeType::block_device: return S_IFBLK;
    case NodeType::char_device: return S_IFCHR;
    case NodeType::fifo: return S_IFIFO;
    case NodeType::socket: return S_IFSOCK;
    default: return S_IFREG;
  }
}

class SquashfsUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "squashfs",
        .description = "SquashFS compressed read-only filesystem",
        .magics = {{0, "hsqs"}, {0, "sqsh"}},
        .references = {"https://dr-emann.github.io/squashfs/squashfs.html",
                       "Linux fs/squashfs/squashfs_fs.h"},
        .limitations = {"little-endian version 4.0 only (1.x-3.x are declined here and read by "
                        "squashfs-legacy; big-endian 4.0 by squashfs-be)",
                        "extended attributes are not recorded"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    // A cut-short image is still a squashfs: unpack() reads what is there and says it is partial.
    ASSIGN_OR_RETURN(auto sb, formats::parse_squashfs_super(data, /*allow_truncated=*/true));
    // 1.x-3.x images are declined so that the engine offers them to "squashfs-legacy".
    if (sb.version_major < 4)
      return fail(Errc::unsupported, fmt::format("squashfs {}.{} is read by squashfs-legacy",
                                                 sb.version_major, sb.version_minor));
    // Big-endian 4.0 (vendor SDKs) is declined the same way: libsquashfs reads little-endian only.
    if (sb.endian == Endian::big)
      return fail(Errc::unsupported, fmt::format("big-endian squashfs {}.{} is read by squashfs-be",
                                                 sb.version_major, sb.version_minor));
    Probe p;
    p.length = sb.bytes_used;
    p.detail = fmt::format("v4.0 {}, {}-byte blocks, {} inodes", sb.compression_name(),
                           sb.block_size, sb.inodes);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto sb, formats::parse_squashfs_super(all, /*allow_truncated=*/true));
    if (sb.bytes_used > all.size())
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "squashfs.truncated",
                                           fmt::format("image declares {} bytes but only {} are present; "
                                                       "extraction is partial", sb.bytes_used, all.size())});
    ByteView view = all.head(sb.bytes_used);
    MemFile mf{};
    mf.base.base.destroy = mem_destroy;
    mf.base.base.copy = nullptr;
    mf.base.read_at = mem_read_at;
    mf.base.write_at = mem_write_at;
    mf.base.get_size = mem_get_size;
    mf.base.truncate = mem_truncate;
    mf.view = view;
    sqfs_file_t* file = &mf.base;

    sqfs_super_t super{};
    if (int e = sqfs_super_read(&super, file); e != 0)
      return fail(Errc::malformed, fmt::format("superblock: {}", sqfs_error_text(e)));
    // One decompressor per thread: compressor objects keep per-call state.
    auto make_compressor = [&]() -> Result<sqfs_compressor_t*> {
      if (super.compression_id == SQFS_COMP_LZO) {
        sqfs_compressor_t* c = make_lzo_decompressor();
        if (!c) return fail(Errc::internal, "lzo initialisation failed");
        return c;
      }
      sqfs_compressor_config_t cfg{};
      if (sqfs_compressor_config_init(&cfg, static_cast<SQFS_COMPRESSOR>(super.compression_id),
                                      super.block_size, SQFS_COMP_FLAG_UNCOMPRESS) != 0)
        return fail(Errc::unsupported, "compressor not supported");
      sqfs_compressor_t* c = nullptr;
      if (int e = sqfs_compressor_create(&cfg, &c); e != 0)
        return fail(Errc::unsupported, fmt::format("compressor {} not available: {}",
                                                   sb.compression_name(), sqfs_error_text(e)));
      return c;
    };
    SqfsPtr<sqfs_compressor_t> cmp;
    ASSIGN_OR_RETURN(cmp.p, make_compressor());
    SqfsPtr<sqfs_id_table_t> ids{sqfs_id_table_create(0)};
    if (!ids.p) return fail(Errc::internal, "out of memory");
    bool ids_ok = sqfs_id_table_read(ids.p, file, &super, cmp.p) == 0;
    if (!ids_ok)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "squashfs.id_table",
                                           "id table unreadable; uid/gid reported as 0"});
    SqfsPtr<sqfs_dir_reader_t> dr{sqfs_dir_reader_create(&super, cmp.p, file, 0)};
    if (!dr.p) return fail(Errc::internal, "out of memory");

    FsBuilder fs(ctx.tree, ctx.budget, ctx.region, "squashfs");
    auto id_of = [&](sqfs_u16 idx) -> std::uint32_t {
      sqfs_u32 v = 0;
      if (ids_ok && sqfs_id_table_index_to_id(ids.p, idx, &v) == 0) return v;
      return 0;
    };

    FreePtr root_inode;
    sqfs_inode_generic_t* root = nullptr;
    if (int e = sqfs_dir_reader_get_root_inode(dr.p, &root); e != 0)
      return fail(Errc::malformed, fmt::format("root inode: {}", sqfs_error_text(e)));
    root_inode.p = root;
    {
      Node& r = ctx.tree.mut(fs.root());
      r.mode = S_IFDIR | (root->base.mode & 07777);
      r.uid = id_of(root->base.uid_idx);
      r.gid = id_of(root->base.gid_idx);
      r.mtime = root->base.mod_time;
    }

    // Explicit stack of directories to visit; inode numbers guard against directory cycles in
    // corrupted images.
    struct Pending {
      std::string path;
      std::shared_ptr<sqfs_inode_generic_t> inode;
      NodeId node;
      unsigned depth;
    };
    std::vector<Pending> stack;
    auto own = [](sqfs_inode_generic_t* p) {
      return std::shared_ptr<sqfs_inode_generic_t>(p, [](sqfs_inode_generic_t* q) { sqfs_free(q); });
    };
    root_inode.p = nullptr;
    stack.push_back({"", own(root), fs.root(), 0});
    std::set<sqfs_u32> visited_dirs{root->base.inode_number};
    // File contents are read after the listing, in parallel (see read_contents).
    struct FileRead {
      NodeId node;
      std::shared_ptr<sqfs_inode_generic_t> inode;
      std::uint64_t size, want;
    };
    std::vector<FileRead> reads;
    std::uint64_t declared_total = 0;
    bool ratio_reported = false;
    std::unordered_map<sqfs_u32, std::string> first_name;  // hard links share an inode number
    std::uint64_t errors = 0;

    while (!stack.empty() && !fs.stopped()) {
      Pending cur = std::move(stack.back());
      stack.pop_back();
      if (ctx.budget.expired()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time",
                                             "time limit reached; squashfs listing incomplete"});
        break;
      }
      if (cur.depth > 256) {
        ctx.tree.add_diagnostic(cur.node, {Severity::high, "squashfs.depth",
                                           "directory nesting deeper than 256; not descended"});
        continue;
      }
      if (int e = sqfs_dir_reader_open_dir(dr.p, cur.inode.get(), 0); e != 0) {
        ctx.tree.add_diagnostic(cur.node, {Severity::medium, "squashfs.directory",
                                           fmt::format("directory unreadable: {}", sqfs_error_text(e))});
        ++errors;
        continue;
      }
      while (true) {
        sqfs_dir_entry_t* ent_raw = nullptr;
        int e = sqfs_dir_reader_read(dr.p, &ent_raw);
        if (e > 0) break;
        if (e < 0) {
          ctx.tree.add_diagnostic(cur.node, {Severity::medium, "squashfs.directory",
                                             fmt::format("listing cut short: {}", sqfs_error_text(e))});
          ++errors;
          break;
        }
        FreePtr ent_guard{ent_raw};
        std::string name(reinterpret_cast<const char*>(ent_raw->name), ent_raw->size + 1u);
        sqfs_inode_generic_t* in_raw = nullptr;
        std::string path = cur.path + "/" + name;
        if (name.find('/') != std::string::npos || name == "." || name == "..") {
          ctx.tree.add_diagnostic(cur.node, {Severity::high, "path.traversal",
                                             fmt::format("entry name '{}' is not a single path component", name)});
        }
        if (int ie = sqfs_dir_reader_get_inode(dr.p, &in_raw); ie != 0) {
          ctx.tree.add_diagnostic(cur.node, {Severity::medium, "squashfs.inode",
                                             fmt::format("inode of '{}' unreadable: {}", name, sqfs_error_text(ie))});
          ++errors;
          continue;
        }
        auto inode = own(in_raw);
        FsBuilder::Entry en;
        std::optional<FileRead> pending_read;
        en.path = path;
        en.type = node_type(in_raw);
        en.mode = type_bits(en.type) | (in_raw->base.mode & 07777u);
        en.uid = id_of(in_raw->base.uid_idx);
        en.gid = id_of(in_raw->base.gid_idx);
        en.mtime = in_raw->base.mod_time;
        std::string diag;
        switch (in_raw->base.type) {
          case SQFS_INODE_SLINK:
          case SQFS_INODE_EXT_SLINK: {
            sqfs_u32 len = in_raw->base.type == SQFS_INODE_SLINK ? in_raw->data.slink.target_size
                                                                 : in_raw->data.slink_ext.target_size;
            if (len > in_raw->payload_bytes_used) len = in_raw->payload_bytes_used;
            en.link_target.assign(reinterpret_cast<const char*>(in_raw->extra), len);
            en.size = len;
            break;
          }
          case SQFS_INODE_BDEV: case SQFS_INODE_CDEV:
            en.rdev_major = (in_raw->data.dev.devno >> 8) & 0xfff;
            en.rdev_minor = (in_raw->data.dev.devno & 0xff) | ((in_raw->data.dev.devno >> 12) & 0xfff00);
            break;
          case SQFS_INODE_EXT_BDEV: case SQFS_INODE_EXT_CDEV:
            en.rdev_major = (in_raw->data.dev_ext.devno >> 8) & 0xfff;
            en.rdev_minor = (in_raw->data.dev_ext.devno & 0xff) | ((in_raw->data.dev_ext.devno >> 12) & 0xfff00);
            break;
          case SQFS_INODE_FILE:
          case SQFS_INODE_EXT_FILE: {
            sqfs_u64 size = 0;
            sqfs_inode_get_file_size(in_raw, &size);
            en.size = size;
            auto num = in_raw->base.inode_number;
            if (auto it = first_name.find(num); it != first_name.end()) {
              en.type = NodeType::hardlink;
              en.link_target = it->second;
              break;
            }
            first_name[num] = path;
            std::uint64_t want = size;
            if (want > ctx.budget.limits().max_node_bytes) {
              want = ctx.budget.limits().max_node_bytes;
              diag = fmt::format("file of {} bytes truncated to the per-file limit", size);
            }
            // Sparse files make tiny images declare huge contents: hold the whole filesystem to
            // the expansion ratio before anything is allocated.
            const Limits& lim = ctx.budget.limits();
            if (want > 0 && declared_total + want > lim.ratio_floor_bytes &&
                (declared_total + want) / std::max<std::uint64_t>(view.size(), 1) > lim.max_expansion_ratio) {
              diag = fmt::format("expansion ratio above {}:1 (sparse-file bomb?); content not read",
                                 lim.max_expansion_ratio);
              if (!ratio_reported) {
                ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.ratio",
                                                     fmt::format("declared file sizes exceed {}:1 of the image; "
                                                                 "further contents not read", lim.max_expansion_ratio)});
                ratio_reported = true;
              }
              want = 0;
            }
            if (want > 0 && !ctx.budget.take_bytes(want)) {
              diag = "total output limit reached; content not read";
              want = 0;
            }
            declared_total += want;
            pending_read = FileRead{kNoNode, inode, size, want};
            break;
          }
          default:
            break;
        }
        NodeId id = fs.add(std::move(en));
        if (id == kNoNode) break;
        if (pending_read) {
          pending_read->node = id;
          reads.push_back(std::move(*pending_read));
          pending_read.reset();
        }
        if (!diag.empty())
          ctx.tree.add_diagnostic(id, {Severity::medium, "squashfs.file_data", diag});
        if (node_type(in_raw) == NodeType::directory) {
          if (!visited_dirs.insert(in_raw->base.inode_number).second) {
            ctx.tree.add_diagnostic(id, {Severity::high, "squashfs.cycle",
                                         "directory inode already visited (cycle); not descended"});
            continue;
          }
          stack.push_back({path, std::move(inode), id, cur.depth + 1});
        }
      }
    }
    // Contents. The files are cut into work units: a run of files that share a fragment block
    // (a data reader keeps one decoded fragment block, so the block is decoded once), or a
    // block-aligned piece of a large file. Units go to the threads largest first, each thread with
    // its own decompressor and data reader (neither is thread-safe); the image is shared
    // read-only and every piece lands in its file's own buffer.
    std::atomic<std::uint64_t> read_errors{0};
    std::atomic<bool> frag_table_bad{false};
    struct Piece {
      std::size_t file;  // index in `reads`
      std::uint64_t offset, length;
    };
    struct Unit {
      std::vector<Piece> pieces;
      std::uint64_t bytes = 0;
    };
    auto frag_of = [](const FileRead& r) {
      sqfs_u32 frag = 0xFFFFFFFFu, off = 0;
      if (sqfs_inode_get_frag_location(r.inode.get(), &frag, &off) != 0) frag = 0xFFFFFFFFu;
      return frag;
    };
    auto start_of = [](const FileRead& r) {
      sqfs_u64 start = 0;
      (void)sqfs_inode_get_file_block_start(r.inode.get(), &start);
      return start;
    };
    // Fragment order, then data order (in listing order the 32 fragment blocks of the TL-WR841N
    // root filesystem were decoded 55 times).
    std::sort(reads.begin(), reads.end(), [&](const FileRead& a, const FileRead& b) {
      return std::tuple{frag_of(a), start_of(a), a.node} < std::tuple{frag_of(b), start_of(b), b.node};
    });
    const std::uint64_t piece_bytes = std::max<std::uint64_t>(super.block_size, 1u << 20) / super.block_size * super.block_size;
    std::vector<Unit> units;
    {
      sqfs_u32 cur_frag = 0xFFFFFFFEu;
      for (std::size_t i = 0; i < reads.size(); ++i) {
        const FileRead& r = reads[i];
        if (r.want == 0) continue;
        const sqfs_u32 frag = frag_of(r);
        if (r.want > 2 * piece_bytes) {  // large: block-aligned pieces, the tail with its fragment
          for (std::uint64_t off = 0; off < r.want; off += piece_bytes) {
            const std::uint64_t len = std::min(piece_bytes, r.want - off);
            units.push_back({{{i, off, len}}, len});
          }
          continue;
        }
        if (units.empty() || frag == 0xFFFFFFFFu || frag != cur_frag || units.back().bytes >= (1u << 20))
          units.emplace_back();
        units.back().pieces.push_back({i, 0, r.want});
        units.back().bytes += r.want;
        cur_frag = frag;
      }
    }
    std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.bytes > b.bytes; });
    std::uint64_t total = 0;
    for (const auto& u : units) total += u.bytes;
    // Buffers are not zero-filled: a piece's bytes count only once it was read.
    std::vector<std::unique_ptr<std::uint8_t[]>> buffers(reads.size());
    for (std::size_t i = 0; i < reads.size(); ++i)
      if (reads[i].want > 0) buffers[i] = std::make_unique_for_overwrite<std::uint8_t[]>(reads[i].want);
    struct PieceResult {
      std::uint64_t got = 0;
      std::string error;
    };
    std::vector<std::vector<PieceResult>> results(units.size());
    // A reader per concurrently running unit; a reader that cannot be made (no decompressor)
    // leaves its units unread.
    struct UnitReader {
      SqfsPtr<sqfs_compressor_t> compressor;  // destroyed after the data reader that uses it
      SqfsPtr<sqfs_data_reader_t> data;
    };
    auto make_reader = [&] {
      auto r = std::make_unique<UnitReader>();
      if (auto c = make_compressor()) {
        r->compressor.p = *c;
        r->data.p = sqfs_data_reader_create(file, super.block_size, r->compressor.p, 0);
        if (r->data.p && sqfs_data_reader_load_fragment_table(r->data.p, &super) != 0) frag_table_bad = true;
      }
      return r;
    };
    // Each call takes the next unit in size order, whichever index it was given, so the largest
    // units start first on every thread.
    std::atomic<std::size_t> next_unit{0};
    auto read_unit = [&](UnitReader& reader, std::size_t) {
      const std::size_t u = next_unit++;
      if (u >= units.size() || reader.data.p == nullptr) return;
      auto& res = results[u];
      res.resize(units[u].pieces.size());
      for (std::size_t k = 0; k < units[u].pieces.size(); ++k) {
        const Piece& pc = units[u].pieces[k];
        const FileRead& r = reads[pc.file];
        std::uint8_t* out = buffers[pc.file].get() + pc.offset;
        std::uint64_t got = 0;
        while (got < pc.length) {
          auto chunk = static_cast<sqfs_u32>(std::min<std::uint64_t>(pc.length - got, 1u << 20));
          sqfs_s32 n = sqfs_data_reader_read(reader.data.p, r.inode.get(), pc.offset + got, out + got, chunk);
          if (n < 0) {
            res[k].error = fmt::format("content unreadable after {} of {} bytes: {}", pc.offset + got, r.size,
                                       sqfs_error_text(n));
            break;
          }
          if (n == 0) break;
          got += static_cast<std::uint64_t>(n);
        }
        res[k].got = got;
      }
    };
    if (ctx.executor != nullptr && total >= (256u << 10)) {  // below, not worth a second reader
      (void)parallel_for_with_state<UnitReader>(*ctx.executor, units.size(), make_reader, read_unit);
    } else {
      auto reader = make_reader();
      for (std::size_t u = 0; u < units.size(); ++u) read_unit(*reader, u);
    }
    // A file's content is the prefix its pieces read without a gap; a unit no reader took (no
    // decompressor) reads nothing.
    std::vector<std::uint64_t> valid(reads.size(), 0);
    std::vector<std::string> file_error(reads.size());
    {
      std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> spans(reads.size());  // offset, got
      for (std::size_t u = 0; u < units.size(); ++u)
        for (std::size_t k = 0; k < units[u].pieces.size(); ++k) {
          const Piece& pc = units[u].pieces[k];
          const PieceResult* pr = k < results[u].size() ? &results[u][k] : nullptr;
          spans[pc.file].emplace_back(pc.offset, pr ? pr->got : 0);
          if (pr && !pr->error.empty() && file_error[pc.file].empty()) file_error[pc.file] = pr->error;
          if (!pr && file_error[pc.file].empty()) file_error[pc.file] = "content not read (no decompressor)";
        }
      for (std::size_t i = 0; i < reads.size(); ++i) {
        std::sort(spans[i].begin(), spans[i].end());
        std::uint64_t end = 0;
        for (auto [off, got] : spans[i]) {
          if (off != end) break;
          end += got;
        }
        valid[i] = end;
      }
    }
    for (std::size_t i = 0; i < reads.size(); ++i) {
      const FileRead& r = reads[i];
      if (!file_error[i].empty()) ++read_errors;
      else if (valid[i] < r.want && r.want > 0)
        file_error[i] = fmt::format("content cut short after {} of {} bytes", valid[i], r.size), ++read_errors;
      ctx.tree.set_content(r.node, r.want > 0 ? make_blob(std::move(buffers[i]), valid[i]) : make_blob(std::string_view{}));
      if (!file_error[i].empty()) ctx.tree.add_diagnostic(r.node, {Severity::medium, "squashfs.file_data", file_error[i]});
    }
    errors += read_errors.load();
    if (frag_table_bad)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "squashfs.fragment_table",
                                           "fragment table unreadable; small files may be missing"});
    if (errors > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "squashfs.partial",
                                           fmt::format("{} read errors; extraction is partial", errors)});
    return sb.bytes_used;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_squashfs_unpacker() { return std::make_unique<SquashfsUnpacker>(); }

}  // namespace iotaudit::unpack
