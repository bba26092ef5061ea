// Big-endian SquashFS 4.0, read by hand. Vendor SDKs for big-endian MIPS and PowerPC boards write
// 4.0 images with every integer big-endian ("sqsh" magic); libsquashfs, which reads the
// little-endian images for the "squashfs" unpacker, only knows the little-endian layout. The 4.0
// layout shares nothing with 1.x-3.x (byte-aligned records instead of packed bit fields, one
// compressor named by the superblock instead of guessed vendor LZMA encodings), so this is its own
// unpacker ("squashfs-be") rather than a branch of squashfs-legacy; the "squashfs" probe declines
// big-endian 4.0 so that the engine offers it here.
//
// Metadata (inodes, directories, fragment and id tables) is read on demand through a cache of
// decoded 8 KiB blocks, following references the way the kernel does; nothing is allocated in
// proportion to a count or size the image states without a cap. The reader itself is
// byte-order neutral: unpack() also reads a little-endian 4.0 image, which the tests use to check
// it against libsquashfs.
#include <lz4.h>
#include <lzma.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <lzo/lzo1x.h>

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "formats/squashfs4.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::kSq4MetadataSize;
using formats::kSq4NoFragment;
using formats::kSq4NoTable;
using formats::Sq4Inode;
using formats::Sq4Kind;
using formats::Squashfs4Super;

constexpr const char* kId = "squashfs-be";
constexpr std::uint64_t kMaxMetaCache = 32ull << 20;      // decoded metadata blocks kept
constexpr std::uint64_t kMaxFragmentCache = 64ull << 20;  // decoded fragment blocks kept
constexpr std::uint32_t kMaxSymlink = 65535;              // mksquashfs's own limit
constexpr std::uint64_t kLzmaMemLimit = 64ull << 20;      // xz streams: dictionary and filters

// Decompresses one metadata, data or fragment block with the superblock's compressor. Blocks are
// independent streams in every 4.0 compressor; none decodes to more than `max` bytes here.
class BlockCodec {
 public:
  explicit BlockCodec(std::uint16_t compression) : comp_(compression) {
    if (comp_ == 3) lzo_ok_ = lzo_init() == LZO_E_OK;
    if (comp_ == 6) zstd_ = ZSTD_createDCtx();
  }
  ~BlockCodec() {
    if (zstd_) ZSTD_freeDCtx(zstd_);
    lzma_end(&lzma_);
  }
  BlockCodec(const BlockCodec&) = delete;
  BlockCodec& operator=(const BlockCodec&) = delete;

  // Decodes `in` into `out` (at most `max` bytes); false with a reason on any error.
  bool decode(ByteView in, std::size_t max, std::vector<std::uint8_t>& out, std::string& why) {
    out.resize(max);
    std::size_t produced = 0;
    bool ok = false;
    switch (comp_) {
      case 1: ok = zlib(in, out, produced, why); break;
      case 2: ok = lzma(in, out, produced, why); break;
      case 3: ok = lzo(in, out, produced, why); break;
      case 4: ok = xz(in, out, produced, why); break;
      case 5: ok = lz4(in, out, produced, why); break;
      case 6: ok = zstd(in, out, produced, why); break;
      default: why = "unknown compressor"; break;
    }
    out.resize(ok ? produced : 0);
    return ok;
  }

 private:
  static bool zlib(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why) {
    z_stream z{};
    if (inflateInit(&z) != Z_OK) {
      why = "zlib initialisation failed";
      return false;
    }
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z, Z_FINISH);
    produced = out.size() - z.avail_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) why = fmt::format("zlib error {}", rc);
    return rc == Z_STREAM_END;
  }

  // squashfs-tools' lzma wrapper: the 13-byte "lzma alone" header (properties, dictionary size,
  // 64-bit little-endian uncompressed size or all-ones), then the raw stream.
  bool lzma(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why) {
    if (in.size() <= 13) {
      why = "lzma block shorter than its header";
      return false;
    }
    const std::uint8_t props = in.data()[0];
    const unsigned lc = props % 9, lp = (props / 9) % 5, pb = props / 45;
    std::uint64_t size = load_endian<std::uint64_t>(in.data() + 5, Endian::little);
    if (props >= 225 || lc + lp > 4) {
      why = "lzma properties invalid";
      return false;
    }
    if (size != ~std::uint64_t{0} && size > out.size()) {
      why = fmt::format("lzma header declares {} bytes, more than a block", size);
      return false;
    }
    lzma_options_lzma opt{};
    // Matches never reach further back than the block's own output, so the dictionary the header
    // asks for (up to 4 GiB in a hostile image) is capped at the block size.
    const std::uint32_t dict = load_endian<std::uint32_t>(in.data() + 1, Endian::little);
    opt.dict_size = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(
        dict, LZMA_DICT_SIZE_MIN, std::max<std::uint64_t>(out.size(), LZMA_DICT_SIZE_MIN)));
    opt.lc = lc;
    opt.lp = lp;
    opt.pb = pb;
    opt.ext_flags = LZMA_LZMA1EXT_ALLOW_EOPM;
    opt.ext_size_low = static_cast<std::uint32_t>(size);
    opt.ext_size_high = static_cast<std::uint32_t>(size >> 32);
    lzma_filter filters[2] = {{LZMA_FILTER_LZMA1EXT, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
    if (lzma_raw_decoder(&lzma_, filters) != LZMA_OK) {
      why = "lzma initialisation failed";
      return false;
    }
    return run_lzma(in.tail(13), out, produced, why, "lzma");
  }

  bool xz(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why) {
    if (lzma_stream_decoder(&lzma_, kLzmaMemLimit, 0) != LZMA_OK) {
      why = "xz initialisation failed";
      return false;
    }
    return run_lzma(in, out, produced, why, "xz");
  }

  bool run_lzma(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why,
                const char* name) {
    lzma_.next_in = in.data();
    lzma_.avail_in = in.size();
    lzma_.next_out = out.data();
    lzma_.avail_out = out.size();
    lzma_ret rc;
    do {
      rc = lzma_code(&lzma_, LZMA_FINISH);
    } while (rc == LZMA_OK);
    produced = out.size() - lzma_.avail_out;
    if (rc != LZMA_STREAM_END) why = fmt::format("{} error {}", name, static_cast<int>(rc));
    return rc == LZMA_STREAM_END;
  }

  bool lzo(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why) const {
    if (!lzo_ok_) {
      why = "lzo initialisation failed";
      return false;
    }
    lzo_uint len = out.size();
    int rc = lzo1x_decompress_safe(in.data(), in.size(), out.data(), &len, nullptr);
    produced = std::min<std::size_t>(len, out.size());
    if (rc != LZO_E_OK) why = fmt::format("lzo error {}", rc);
    return rc == LZO_E_OK;
  }

  static bool lz4(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why) {
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                                static_cast<int>(in.size()), static_cast<int>(out.size()));
    if (n < 0) {
      why = "lz4 data error";
      return false;
    }
    produced = static_cast<std::size_t>(n);
    return true;
  }

  bool zstd(ByteView in, std::vector<std::uint8_t>& out, std::size_t& produced, std::string& why) {
    if (!zstd_) {
      why = "zstd initialisation failed";
      return false;
    }
    std::size_t n = ZSTD_decompressDCtx(zstd_, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(n)) {
      why = fmt::format("zstd error ({})", ZSTD_getErrorName(n));
      return false;
    }
    produced = n;
    return true;
  }

  std::uint16_t comp_;
  bool lzo_ok_ = false;
  ZSTD_DCtx* zstd_ = nullptr;
  lzma_stream lzma_ = LZMA_STREAM_INIT;
};

NodeType node_type(Sq4Kind k) {
  switch (k) {
    case Sq4Kind::directory: return NodeType::directory;
    case Sq4Kind::file: return NodeType::file;
    case Sq4Kind::symlink: return NodeType::symlink;
    case Sq4Kind::block_device: return NodeType::block_device;
    case Sq4Kind::char_device: return NodeType::char_device;
    case Sq4Kind::fifo: return NodeType::fifo;
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

// A position in a metadata table: the absolute offset of a block's length word and a byte offset
// inside that block's decoded data.
struct MetaPos {
  std::uint64_t block = 0;
  std::uint64_t offset = 0;
};

class Reader4 {
 public:
  Reader4(Context& ctx, ByteView img, const Squashfs4Super& sb)
      : ctx_(ctx), img_(img), sb_(sb), codec_(sb.compression) {}

  Result<std::uint64_t> run();

 private:
  struct MetaBlock {
    std::vector<std::uint8_t> bytes;
    std::uint64_t next = 0;  // offset of the following block's length word
    std::string error;       // set when the block cannot be read (or, with `cut`, read whole)
    bool cut = false;        // a stored block cut short by the end of the data: `bytes` is its prefix
  };

  void diag(NodeId n, Severity s, std::string code, std::string msg) {
    ctx_.tree.add_diagnostic(n, {s, std::move(code), std::move(msg)});
  }
  static std::string code(std::string_view what) { return fmt::format("{}.{}", kId, what); }

  // The decoded metadata block whose length word sits at `pos` (cached, failures too).
  std::shared_ptr<const MetaBlock> meta_block(std::uint64_t pos) {
    if (auto it = meta_cache_.find(pos); it != meta_cache_.end()) return it->second;
    auto b = std::make_shared<MetaBlock>();
    auto h = formats::parse_sq4_meta_header(img_.tail(pos), sb_.endian);
    if (!h) {
      b->error = pos + 2 > img_.size() ? fmt::format("metadata block at {:#x} beyond the end of the data", pos)
                                       : fmt::format("metadata block at {:#x}: {}", pos, h.error().message);
    } else if (auto payload = img_.sub(pos + 2, h->size); !payload) {
      b->error = fmt::format("metadata block at {:#x} ({} bytes) cut short", pos, h->size);
      // A stored block keeps the bytes that are there: listings and inodes before the cut are
      // still read, and a read past them reports the cut.
      if (!h->compressed && pos + 2 < img_.size()) {
        auto rest = img_.tail(pos + 2);
        b->bytes.assign(rest.data(), rest.data() + rest.size());
        b->cut = true;
      }
    } else {
      b->next = pos + 2 + h->size;
      if (!h->compressed) {
        b->bytes.assign(payload->data(), payload->data() + payload->size());
      } else {
        std::string why;
        if (!codec_.decode(*payload, kSq4MetadataSize, b->bytes, why) || b->bytes.empty())
          b->error = fmt::format("metadata block at {:#x} could not be decompressed: {}", pos,
                                 why.empty() ? "empty" : why);
      }
    }
    if (meta_cache_bytes_ > kMaxMetaCache) {
      meta_cache_.clear();
      meta_cache_bytes_ = 0;
    }
    meta_cache_bytes_ += b->bytes.size() + 64;
    meta_cache_[pos] = b;
    return b;
  }

  // Reads `n` bytes at `p` (advancing it) from a table whose blocks all start before `end`.
  bool read_meta(MetaPos& p, std::uint64_t end, std::uint64_t n, std::vector<std::uint8_t>& out, std::string& why) {
    out.clear();
    while (n > 0) {
      if (p.block >= end) {
        why = fmt::format("reference {:#x} beyond the end of its table", p.block);
        return false;
      }
      auto b = meta_block(p.block);
      if (!b->error.empty() && (!b->cut || p.offset >= b->bytes.size())) {
        why = b->error;
        return false;
      }
      if (p.offset > b->bytes.size()) {
        why = fmt::format("offset {} beyond the {} bytes of the metadata block at {:#x}", p.offset, b->bytes.size(),
                          p.block);
        return false;
      }
      if (p.offset == b->bytes.size()) {  // continues in the next block
        p.block = b->next;
        p.offset = 0;
        continue;
      }
      const std::uint64_t take = std::min<std::uint64_t>(n, b->bytes.size() - p.offset);
      out.insert(out.end(), b->bytes.begin() + static_cast<std::ptrdiff_t>(p.offset),
                 b->bytes.begin() + static_cast<std::ptrdiff_t>(p.offset + take));
      p.offset += take;
      n -= take;
    }
    return true;
  }

  // The inode at (block, offset) of the inode table; `after` receives the position of its
  // variable part (block list, symlink target).
  Result<Sq4Inode> inode_at(std::uint64_t block, std::uint64_t offset, MetaPos& after) {
    const std::uint64_t table = sb_.directory_table_start - sb_.inode_table_start;
    if (block >= table || offset >= kSq4MetadataSize)
      return fail(Errc::malformed, fmt::format("inode reference {:#x}:{} outside the inode table", block, offset));
    MetaPos p{sb_.inode_table_start + block, offset};
    std::vector<std::uint8_t> buf, rest;
    std::string why;
    if (!read_meta(p, sb_.directory_table_start, formats::kSq4InodeHeaderSize, buf, why))
      return fail(Errc::truncated, why);
    ASSIGN_OR_RETURN(std::uint16_t type, formats::sq4_inode_type(ByteView(buf.data(), buf.size()), sb_.endian));
    const std::uint32_t fixed = formats::sq4_inode_fixed_size(type);
    if (fixed == 0) return fail(Errc::malformed, fmt::format("invalid inode type {}", type));
    if (!read_meta(p, sb_.directory_table_start, fixed - formats::kSq4InodeHeaderSize, rest, why))
      return fail(Errc::truncated, why);
    buf.insert(buf.end(), rest.begin(), rest.end());
    after = p;
    return formats::parse_sq4_inode(ByteView(buf.data(), buf.size()), sb_);
  }

  std::vector<std::uint32_t> read_ids();
  void load_fragment_index();
  std::shared_ptr<const std::vector<std::uint8_t>> fragment_block(std::uint32_t index, std::string& why);
  std::vector<std::uint8_t> read_file(const Sq4Inode& in, MetaPos list, std::uint64_t want, std::string& why);

  Context& ctx_;
  ByteView img_;
  const Squashfs4Super& sb_;
  BlockCodec codec_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const MetaBlock>> meta_cache_;
  std::uint64_t meta_cache_bytes_ = 0;
  std::vector<std::uint64_t> fragment_index_;  // metadata block offsets of the fragment table
  std::unordered_map<std::uint32_t, std::shared_ptr<const std::vector<std::uint8_t>>> frag_cache_;
  std::uint64_t frag_cache_bytes_ = 0;
  std::uint64_t errors_ = 0;
};

// The id table: an index of 64-bit block offsets at id_table_start, each naming a metadata block
// of up to 2048 32-bit ids.
std::vector<std::uint32_t> Reader4::read_ids() {
  std::vector<std::uint32_t> ids;
  Reader index(img_, sb_.endian);
  const std::uint64_t count = sb_.no_ids;
  std::string why;
  if (!index.seek(sb_.id_table_start)) why = "id table index beyond the end of the data";
  std::vector<std::uint8_t> buf;
  for (std::uint64_t i = 0; why.empty() && i < sb_.id_index_count(); ++i) {
    auto at = index.u64();
    if (!at) {
      why = "id table index cut short";
      break;
    }
    MetaPos p{*at, 0};
    const std::uint64_t n = std::min<std::uint64_t>(kSq4MetadataSize, (count - ids.size()) * 4);
    const bool ok = read_meta(p, sb_.id_table_start, n, buf, why);
    Reader r(ByteView(buf.data(), buf.size()), sb_.endian);  // what was read, also when cut short
    while (auto v = r.u32()) ids.push_back(*v);
    if (!ok) break;
  }
  if (!why.empty())
    diag(ctx_.region, Severity::medium, code("id_table"),
         fmt::format("id table: {} ({} of {} ids read)", why, ids.size(), count));
  return ids;
}

// The fragment table: an index of 64-bit block offsets, each naming a metadata block of up to 512
// 16-byte fragment entries. Entries are read when a file needs them.
void Reader4::load_fragment_index() {
  if (!sb_.has_fragment_table()) {
    if (sb_.fragments > 0)
      diag(ctx_.region, Severity::medium, code("fragment_table"),
           fmt::format("{} fragments declared but the fragment table is missing; file tails are lost", sb_.fragments));
    return;
  }
  std::uint64_t count = sb_.fragment_index_count();
  const std::uint64_t room = (sb_.bytes_used - sb_.fragment_table_start) / 8;
  if (count > room) {
    diag(ctx_.region, Severity::medium, code("fragment_table"),
         fmt::format("fragment count {} implausible: its index would end past bytes_used", sb_.fragments));
    count = room;
  }
  Reader r(img_, sb_.endian);
  if (!r.seek(sb_.fragment_table_start)) count = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    auto v = r.u64();
    if (!v) break;
    fragment_index_.push_back(*v);
  }
  if (fragment_index_.size() < sb_.fragment_index_count())
    diag(ctx_.region, Severity::medium, code("fragment_table"),
         fmt::format("fragment table index incomplete ({} of {} blocks); some file tails are lost",
                     fragment_index_.size(), sb_.fragment_index_count()));
}

std::shared_ptr<const std::vector<std::uint8_t>> Reader4::fragment_block(std::uint32_t index, std::string& why) {
  if (auto it = frag_cache_.find(index); it != frag_cache_.end()) {
    if (!it->second) why = fmt::format("fragment {} unreadable", index);
    return it->second;
  }
  std::shared_ptr<const std::vector<std::uint8_t>> result;
  constexpr std::uint64_t per_block = kSq4MetadataSize / formats::kSq4FragmentEntrySize;
  std::vector<std::uint8_t> entry;
  const std::uint64_t blk = index / per_block;
  if (index >= sb_.fragments || blk >= fragment_index_.size()) {
    why = fmt::format("fragment {} beyond the fragment table ({} fragments)", index, sb_.fragments);
  } else {
    MetaPos p{fragment_index_[blk], (index % per_block) * formats::kSq4FragmentEntrySize};
    std::string err;
    if (!read_meta(p, sb_.bytes_used, formats::kSq4FragmentEntrySize, entry, err)) {
      why = fmt::format("fragment {}: {}", index, err);
    } else if (auto f = formats::parse_sq4_fragment(ByteView(entry.data(), entry.size()), sb_.endian); !f) {
      why = fmt::format("fragment {}: {}", index, f.error().message);
    } else if (f->block.size == 0 || f->block.size > sb_.block_size) {
      why = fmt::format("fragment {} claims {} stored bytes", index, f->block.size);
    } else if (auto data = img_.sub(f->start, f->block.size); !data) {
      why = fmt::format("fragment {} at {:#x} beyond the end of the data", index, f->start);
    } else if (!f->block.compressed) {
      result = std::make_shared<const std::vector<std::uint8_t>>(data->data(), data->data() + data->size());
    } else {
      std::vector<std::uint8_t> out;
      std::string err2;
      if (codec_.decode(*data, sb_.block_size, out, err2))
        result = std::make_shared<const std::vector<std::uint8_t>>(std::move(out));
      else
        why = fmt::format("fragment {} at {:#x} could not be decompressed: {}", index, f->start, err2);
    }
  }
  if (frag_cache_bytes_ > kMaxFragmentCache) {
    frag_cache_.clear();
    frag_cache_bytes_ = 0;
  }
  frag_cache_bytes_ += result ? result->size() : 0;
  frag_cache_[index] = result;
  return result;
}

// Reads up to `want` bytes of a regular file whose block list starts at `list`.
std::vector<std::uint8_t> Reader4::read_file(const Sq4Inode& in, MetaPos list, std::uint64_t want, std::string& why) {
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(want, 16ull << 20)));
  const std::uint64_t bs = sb_.block_size;
  // Only the entries covering `want` are read: a hostile size cannot make the list large.
  const std::uint64_t count = std::min<std::uint64_t>(in.block_count, (want + bs - 1) / bs);
  std::vector<std::uint8_t> raw;
  if (!read_meta(list, sb_.directory_table_start, count * 4, raw, why)) {
    why = fmt::format("block list of {} entries unreadable: {}", count, why);
    return out;
  }
  auto blocks = formats::parse_sq4_block_list(ByteView(raw.data(), raw.size()), count, sb_.endian);
  if (!blocks) {
    why = blocks.error().message;
    return out;
  }
  std::uint64_t pos = in.start_block;
  std::vector<std::uint8_t> buf;
  for (std::uint64_t i = 0; i < blocks->size() && out.size() < want; ++i) {
    if (ctx_.budget.expired()) {
      why = fmt::format("time limit reached after {} of {} bytes", out.size(), in.file_size);
      return out;
    }
    const formats::Sq4Block& b = (*blocks)[i];
    const std::uint64_t expected = std::min<std::uint64_t>(bs, in.file_size - i * bs);
    if (b.size == 0) {  // sparse: a hole of zeros
      out.resize(out.size() + static_cast<std::size_t>(expected));
      continue;
    }
    if (b.size > bs) {
      why = fmt::format("data block {} claims {} stored bytes (block size {})", i, b.size, bs);
      return out;
    }
    auto data = img_.sub(pos, b.size);
    if (!data) {
      why = fmt::format("data block {} at {:#x} beyond the end of the data; content cut after {} of {} bytes", i,
                        pos, out.size(), in.file_size);
      return out;
    }
    if (!b.compressed) {
      if (data->size() < expected) {
        why = fmt::format("stored data block {} holds {} bytes, the file needs {}", i, data->size(), expected);
        return out;
      }
      out.insert(out.end(), data->data(), data->data() + expected);
    } else {
      std::string err;
      if (!codec_.decode(*data, static_cast<std::size_t>(bs), buf, err) || buf.size() != expected) {
        if (err.empty()) err = fmt::format("{} bytes decoded, {} expected", buf.size(), expected);
        why = fmt::format("data block {} at {:#x} could not be decompressed ({}); content cut after {} of {} bytes", i,
                          pos, err, out.size(), in.file_size);
        return out;
      }
      out.insert(out.end(), buf.begin(), buf.end());
    }
    pos += b.size;
  }
  if (in.tail_bytes > 0 && out.size() < want) {
    auto frag = fragment_block(in.fragment, why);
    if (!frag) return out;
    if (in.fragment_offset > frag->size() || in.tail_bytes > frag->size() - in.fragment_offset) {
      why = fmt::format("tail of {} bytes at offset {} lies outside fragment {} ({} bytes)", in.tail_bytes,
                        in.fragment_offset, in.fragment, frag->size());
      return out;
    }
    auto first = frag->begin() + in.fragment_offset;
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(in.tail_bytes));
  }
  if (out.size() > want) out.resize(static_cast<std::size_t>(want));
  return out;
}

Result<std::uint64_t> Reader4::run() {
  const Limits& lim = ctx_.budget.limits();
  if (sb_.bytes_used > img_.size())
    diag(ctx_.region, Severity::high, code("truncated"),
         fmt::format("image declares {} bytes but only {} are present; extraction is partial", sb_.bytes_used,
                     img_.size()));
  img_ = img_.head(sb_.bytes_used);

  const std::vector<std::uint32_t> ids = read_ids();
  load_fragment_index();
  bool bad_ids = false;
  auto id_of = [&](std::uint16_t index) -> std::uint32_t {
    if (index < ids.size()) return ids[index];
    bad_ids = true;
    return 0;
  };

  MetaPos unused;
  auto root = inode_at(sb_.root_block, sb_.root_offset, unused);
  if (!root) return fail(root.error().code, fmt::format("root inode: {}", root.error().message));
  if (root->kind != Sq4Kind::directory) return fail(Errc::malformed, "root inode is not a directory");

  FsBuilder fs(ctx_.tree, ctx_.budget, ctx_.region, kId);
  {
    Node& r = ctx_.tree.mut(fs.root());
    r.mode = S_IFDIR | root->mode;
    r.uid = id_of(root->uid_index);
    r.gid = id_of(root->gid_index);
    r.mtime = root->mtime;
  }

  struct Pending {
    std::string path;
    Sq4Inode inode;
    NodeId node;
    unsigned depth;
  };
  auto key = [](std::uint64_t block, std::uint64_t offset) { return (block << 16) | (offset & 0xffff); };
  std::vector<Pending> stack{{"", *root, fs.root(), 0}};
  std::set<std::uint64_t> visited{key(sb_.root_block, sb_.root_offset)};
  struct First {
    std::uint64_t where;
    std::string path;
  };
  std::unordered_map<std::uint32_t, First> first_name;  // hard links share an inode
  std::uint64_t declared_total = 0;
  bool ratio_reported = false, total_reported = false;
  const std::uint64_t dir_table = sb_.bytes_used - sb_.directory_table_start;
  const std::uint64_t inode_table = sb_.directory_table_start - sb_.inode_table_start;
  std::vector<std::uint8_t> buf;

  while (!stack.empty() && !fs.stopped()) {
    Pending cur = std::move(stack.back());
    stack.pop_back();
    if (ctx_.budget.expired()) {
      diag(ctx_.region, Severity::high, "limit.time", "time limit reached; squashfs listing incomplete");
      break;
    }
    if (cur.depth > 256) {
      diag(cur.node, Severity::high, code("depth"), "directory nesting deeper than 256; not descended");
      continue;
    }
    if (cur.inode.dir_listing_bytes == 0) continue;
    if (cur.inode.dir_block >= dir_table) {
      diag(cur.node, Severity::medium, code("directory"),
           fmt::format("listing reference {:#x} outside the directory table", cur.inode.dir_block));
      ++errors_;
      continue;
    }
    MetaPos p{sb_.directory_table_start + cur.inode.dir_block, cur.inode.dir_offset};
    std::uint64_t left = cur.inode.dir_listing_bytes;
    std::string why;
    std::uint64_t read_entries = 0;
    // Listing: headers (count, inode block, base inode number), each followed by its entries.
    while (left > 0 && why.empty() && !fs.stopped()) {
      if (left < formats::kSq4DirHeaderSize) {
        why = fmt::format("{} stray bytes at the end of the listing", left);
        break;
      }
      if (!read_meta(p, sb_.bytes_used, formats::kSq4DirHeaderSize, buf, why)) break;
      left -= formats::kSq4DirHeaderSize;
      auto h = formats::parse_sq4_dir_header(ByteView(buf.data(), buf.size()), sb_.endian);
      if (!h) {
        why = h.error().message;
        break;
      }
      for (std::uint32_t i = 0; i < h->count && why.empty(); ++i) {
        if (left < formats::kSq4DirEntrySize) {
          why = "directory entry beyond the listing's size";
          break;
        }
        if (!read_meta(p, sb_.bytes_used, formats::kSq4DirEntrySize, buf, why)) break;
        left -= formats::kSq4DirEntrySize;
        auto e = formats::parse_sq4_dir_entry(ByteView(buf.data(), buf.size()), sb_.endian);
        if (!e) {
          why = e.error().message;
          break;
        }
        if (left < e->name_size) {
          why = "directory entry name beyond the listing's size";
          break;
        }
        if (!read_meta(p, sb_.bytes_used, e->name_size, buf, why)) break;
        left -= e->name_size;
        ++read_entries;
        std::string name(buf.begin(), buf.end());
        if (name.find('/') != std::string::npos || name == "." || name == ".." ||
            name.find('\0') != std::string::npos)
          diag(cur.node, Severity::high, "path.traversal",
               fmt::format("entry name '{}' is not a single path component", name));
        std::string path = cur.path + "/" + name;
        MetaPos list;
        auto in = h->start_block < inode_table ? inode_at(h->start_block, e->offset, list)
                                               : Result<Sq4Inode>(fail(Errc::malformed, "inode block outside the inode table"));
        if (!in) {
          diag(cur.node, Severity::medium, code("inode"),
               fmt::format("inode of '{}' unreadable: {}", name, in.error().message));
          ++errors_;
          continue;
        }
        FsBuilder::Entry en;
        en.path = path;
        en.type = node_type(in->kind);
        en.mode = type_bits(en.type) | in->mode;
        en.uid = id_of(in->uid_index);
        en.gid = id_of(in->gid_index);
        en.mtime = in->mtime;
        en.offset = in->kind == Sq4Kind::file ? in->start_block : 0;
        std::string file_why, file_code = code("file_data");
        const std::uint64_t where = key(h->start_block, e->offset);
        switch (in->kind) {
          case Sq4Kind::symlink: {
            std::string err;
            if (in->target_size > kMaxSymlink) {
              file_why = fmt::format("symlink target of {} bytes; not read", in->target_size);
              file_code = code("inode");
              ++errors_;
            } else if (!read_meta(list, sb_.directory_table_start, in->target_size, buf, err)) {
              file_why = fmt::format("symlink target unreadable: {}", err);
              file_code = code("inode");
              ++errors_;
            } else {
              en.link_target.assign(buf.begin(), buf.end());
            }
            en.size = en.link_target.size();
            break;
          }
          case Sq4Kind::block_device:
          case Sq4Kind::char_device:
            en.rdev_major = in->rdev_major();
            en.rdev_minor = in->rdev_minor();
            break;
          case Sq4Kind::file: {
            en.size = in->file_size;
            if (auto it = first_name.find(in->inode_number); it != first_name.end()) {
              if (it->second.where == where) {
                en.type = NodeType::hardlink;
                en.link_target = it->second.path;
                break;
              }
              // Two different inodes with one number: both are read, the clash is reported.
              file_why = fmt::format("inode number {} also used by '{}'", in->inode_number, it->second.path);
              file_code = code("inode_number");
            } else {
              first_name.emplace(in->inode_number, First{where, path});
            }
            std::uint64_t want = in->file_size;
            if (want > lim.max_node_bytes) {
              want = lim.max_node_bytes;
              file_why = fmt::format("file of {} bytes truncated to the per-file limit", in->file_size);
              file_code = "limit.node_bytes";
            }
            // Sparse blocks let a few KiB declare gigabytes: the declared output is held to the
            // expansion ratio before anything is allocated, as for little-endian images.
            if (want > 0 && declared_total + want > lim.ratio_floor_bytes &&
                (declared_total + want) / std::max<std::uint64_t>(img_.size(), 1) > lim.max_expansion_ratio) {
              file_why = fmt::format("expansion ratio above {}:1 (sparse-file bomb?); content not read",
                                     lim.max_expansion_ratio);
              file_code = "limit.ratio";
              if (!ratio_reported)
                diag(ctx_.region, Severity::high, "limit.ratio",
                     fmt::format("declared file sizes exceed {}:1 of the image; further contents not read",
                                 lim.max_expansion_ratio));
              ratio_reported = true;
              want = 0;
            }
            if (want > 0 && !ctx_.budget.take_bytes(want)) {
              file_why = "total output limit reached; content not read";
              file_code = "limit.total_bytes";
              if (!total_reported)
                diag(ctx_.region, Severity::high, "limit.total_bytes",
                     "total output limit reached; further contents not read");
              total_reported = true;
              want = 0;
            }
            declared_total += want;
            std::string err;
            std::vector<std::uint8_t> content;
            if (want > 0) content = read_file(*in, list, want, err);
            if (!err.empty()) {
              file_why = err;
              file_code = ctx_.budget.expired() ? "limit.time" : code("file_data");
              ++errors_;
            }
            en.content = make_blob(std::move(content));
            break;
          }
          default:
            break;
        }
        const bool is_dir = in->kind == Sq4Kind::directory;
        NodeId id = fs.add(std::move(en));
        if (id == kNoNode) {
          if (fs.stopped()) break;
          continue;
        }
        if (!file_why.empty()) diag(id, Severity::medium, file_code, file_why);
        if (is_dir) {
          if (!visited.insert(where).second) {
            diag(id, Severity::high, code("cycle"), "directory inode already visited (cycle); not descended");
            continue;
          }
          stack.push_back({path, *in, id, cur.depth + 1});
        }
      }
    }
    if (!why.empty()) {
      diag(cur.node, Severity::medium, code("directory"),
           fmt::format("listing cut short after {} entries: {}", read_entries, why));
      ++errors_;
    }
  }
  if (bad_ids)
    diag(ctx_.region, Severity::medium, code("id_table"), "uid/gid index outside the id table; reported as 0");
  if (errors_ > 0)
    diag(ctx_.region, Severity::medium, code("partial"), fmt::format("{} read errors; extraction is partial", errors_));
  return sb_.bytes_used;
}

class SquashfsBeUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = kId,
        .description = "SquashFS 4.0 big-endian (vendor SDKs for big-endian MIPS/PowerPC boards)",
        .magics = {{0, "sqsh"}},
        .references = {"Linux fs/squashfs/squashfs_fs.h (4.0 layout, here with big-endian integers)",
                       "sasquatch (squashfs-tools fork reading big-endian 4.0)"},
        .limitations = {"a separate reader from squashfs-legacy: the 4.0 layout shares nothing with 1.x-3.x; "
                        "little-endian 4.0 is left to the squashfs unpacker (libsquashfs)",
                        "compressors gzip, lzma (13-byte lzma-alone header per block), lzo, xz, lz4, zstd; "
                        "vendor LZMA variants of 4.0 are not recognised",
                        "extended attributes, the NFS export table and directory indexes are not read",
                        "hard links are recognised for regular files only (as in the squashfs unpacker)"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto sb, formats::parse_squashfs4_super(data, /*allow_truncated=*/true));
    if (sb.endian == Endian::little) return fail(Errc::unsupported, "little-endian squashfs 4.0 is read by squashfs");
    // The first inode-table block must have a plausible length word when it is present.
    if (sb.inode_table_start + 2 <= data.size())
      TRY(formats::parse_sq4_meta_header(data.tail(sb.inode_table_start), sb.endian));
    Probe p;
    p.length = sb.bytes_used;
    p.detail = sb.describe();
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto sb, formats::parse_squashfs4_super(all, /*allow_truncated=*/true));
    Reader4 reader(ctx, all, sb);
    return reader.run();
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_squashfs_be_unpacker() { return std::make_unique<SquashfsBeUnpacker>(); }

}  // namespace iotaudit::unpack
