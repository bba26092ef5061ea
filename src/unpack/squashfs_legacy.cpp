// SquashFS 1.x, 2.x and 3.x, read by hand: no maintained library reads these any more, and the
// vendor builds that dominate old router firmware replaced zlib with LZMA in several mutually
// incompatible ways that no stock tool reads at all. The compression of a block is therefore
// detected by trying, per block, the encodings seen in the wild (the first one that works is
// tried first from then on):
//   zlib                      stock squashfs-tools (all versions before 4.0)
//   LZMA "alone" header       props + dict + 64-bit size, then the raw stream (OpenWrt/Ralink
//                             squashfs-lzma patches, e.g. the "shsq" images of RT305x SDKs)
//   LZMA props + dict only    5-byte header without the size (Broadcom BCM63xx SDK, 7-Zip coder)
//   DD-WRT 4-byte header      pb, lc, lp, fast-bytes, then the raw stream, with properties chosen
//                             per block by a brute-force encoder ("tqsh" images of v24-sp2)
//   headerless LZMA           raw stream with fixed properties, lc=3 lp=0 pb=2 (DD-WRT v24
//                             "hsqt"/"tqsh"); other small property sets are tried as well
// All LZMA variants go through liblzma's raw LZMA1 decoder; a candidate is accepted only when it
// ends where the block's known length says it must (end marker, declared size, or the exact
// uncompressed size of a data block), which keeps wrong guesses from producing garbage.
#include <lzma.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "formats/squashfs_legacy.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::kSqlMetadataSize;
using formats::kSqlNoFragment;
using formats::kSqlNoTable;
using formats::SqlInode;
using formats::SqlKind;
using formats::SquashfsLegacySuper;

constexpr const char* kId = "squashfs-legacy";
constexpr std::uint64_t kMaxTableBytes = 64ull << 20;   // one uncompressed metadata table
constexpr std::uint64_t kMaxFragmentCache = 64ull << 20;

enum class Method { zlib, lzma_alone, lzma_props5, lzma_ddwrt, lzma_raw };

struct Attempt {
  Method method = Method::zlib;
  std::uint8_t lc = 3, lp = 0, pb = 2;  // lzma_raw only
  bool operator==(const Attempt& o) const {
    return method == o.method && (method != Method::lzma_raw || (lc == o.lc && lp == o.lp && pb == o.pb));
  }
};

std::string describe(const Attempt& a) {
  switch (a.method) {
    case Method::zlib: return "zlib";
    case Method::lzma_alone: return "lzma (13-byte lzma-alone header per block)";
    case Method::lzma_props5: return "lzma (5-byte properties header per block, Broadcom)";
    case Method::lzma_ddwrt: return "lzma (4-byte pb/lc/lp header per block, DD-WRT)";
    case Method::lzma_raw: return fmt::format("lzma (headerless, lc={} lp={} pb={})", a.lc, a.lp, a.pb);
  }
  return "unknown";
}

std::uint32_t le32(const std::uint8_t* p) { return load_endian<std::uint32_t>(p, Endian::little); }
std::uint64_t le64(const std::uint8_t* p) { return load_endian<std::uint64_t>(p, Endian::little); }

// Decodes compressed blocks, learning the image's encoding from the first block that decodes.
class BlockDecoder {
 public:
  explicit BlockDecoder(std::uint64_t waste_cap, std::optional<Attempt> learned = std::nullopt)
      : learned_(learned), waste_cap_(waste_cap) {}
  ~BlockDecoder() { lzma_end(&strm_); }
  BlockDecoder(const BlockDecoder&) = delete;
  BlockDecoder& operator=(const BlockDecoder&) = delete;

  // `exact`: the size the output must have (0 when unknown: metadata and fragment blocks, which
  // hold at most `max` bytes).
  bool decode(ByteView in, std::size_t exact, std::size_t max, std::vector<std::uint8_t>& out) {
    if (in.empty() || max == 0) return false;
    if (learned_ && run(*learned_, in, exact, max, /*strict=*/false, out)) return true;
    // Work spent on failed guesses is bounded: hostile images can make every block fail.
    if (waste_ > waste_cap_) return false;
    for (const Attempt& a : candidates(in)) {
      if (learned_ && a == *learned_) continue;
      if (run(a, in, exact, max, /*strict=*/a.method == Method::lzma_raw, out)) {
        learned_ = a;
        return true;
      }
      if (waste_ > waste_cap_) {
        gave_up_ = true;
        return false;
      }
    }
    return false;
  }
  const std::optional<Attempt>& learned() const { return learned_; }
  bool gave_up() const { return gave_up_; }

 private:
  static std::vector<Attempt> candidates(ByteView in) {
    std::vector<Attempt> c;
    const std::uint8_t* b = in.data();
    const std::size_t n = in.size();
    if (n >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0)
      c.push_back({Method::zlib});
    // A range-coded LZMA stream always begins with a zero byte; the headers sit in front of it.
    if (n > 13 && b[0] < 225 && b[13] == 0) c.push_back({Method::lzma_alone});
    if (n > 5 && b[0] < 225 && b[5] == 0) c.push_back({Method::lzma_props5});
    if (n > 4 && b[0] <= 4 && b[1] <= 8 && b[2] <= 4 && b[1] + b[2] <= 4 && b[4] == 0)
      c.push_back({Method::lzma_ddwrt});
    if (b[0] == 0) {
      c.push_back({Method::lzma_raw, 3, 0, 2});
      for (unsigned pb : {2u, 0u, 1u})
        for (unsigned lc = 0; lc <= 4; ++lc)
          for (unsigned lp = 0; lp <= 2 && lc + lp <= 4; ++lp)
            if (!(lc == 3 && lp == 0 && pb == 2))
              c.push_back({Method::lzma_raw, static_cast<std::uint8_t>(lc), static_cast<std::uint8_t>(lp),
                           static_cast<std::uint8_t>(pb)});
    }
    return c;
  }

  bool run(const Attempt& a, ByteView in, std::size_t exact, std::size_t max, bool strict,
           std::vector<std::uint8_t>& out) {
    const std::uint8_t* b = in.data();
    switch (a.method) {
      case Method::zlib: return run_zlib(in, exact, max, out);
      case Method::lzma_alone: {
        if (in.size() <= 13 || b[0] >= 225) return false;
        std::uint64_t size = le64(b + 5);
        return run_props(b[0], le32(b + 1), size, in.tail(13), exact, max, strict, out);
      }
      case Method::lzma_props5:
        if (in.size() <= 5 || b[0] >= 225) return false;
        return run_props(b[0], le32(b + 1), LZMA_VLI_UNKNOWN, in.tail(5), exact, max, strict, out);
      case Method::lzma_ddwrt:
        if (in.size() <= 4 || b[0] > 4 || b[1] > 8 || b[2] > 4 || b[1] + b[2] > 4) return false;
        return run_lzma(in.tail(4), b[1], b[2], b[0], 1u << 23, LZMA_VLI_UNKNOWN, exact, max, strict, out);
      case Method::lzma_raw:
        return run_lzma(in, a.lc, a.lp, a.pb, 1u << 23, LZMA_VLI_UNKNOWN, exact, max, strict, out);
    }
    return false;
  }

  bool run_props(std::uint8_t props, std::uint32_t dict, std::uint64_t size, ByteView payload, std::size_t exact,
                 std::size_t max, bool strict, std::vector<std::uint8_t>& out) {
    unsigned lc = props % 9, lp = (props / 9) % 5, pb = props / 45;
    if (lc + lp > 4) return false;
    return run_lzma(payload, lc, lp, pb, dict, size, exact, max, strict, out);
  }

  bool run_zlib(ByteView in, std::size_t exact, std::size_t max, std::vector<std::uint8_t>& out) {
    const std::size_t cap = exact ? exact : max;
    out.resize(cap);
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return false;
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(cap);
    int rc = inflate(&z, Z_FINISH);
    const std::size_t produced = cap - z.avail_out;
    inflateEnd(&z);
    out.resize(produced);
    bool ok = rc == Z_STREAM_END && (exact == 0 || produced == exact);
    if (!ok) waste_ += produced + in.size();
    return ok;
  }

  bool run_lzma(ByteView payload, unsigned lc, unsigned lp, unsigned pb, std::uint64_t dict, std::uint64_t size,
                std::size_t exact, std::size_t max, bool strict, std::vector<std::uint8_t>& out) {
    if (size != LZMA_VLI_UNKNOWN) {
      // A declared size must agree with what the block is known to hold.
      if (size > max || (exact != 0 && size != exact)) return false;
    } else if (exact != 0) {
      size = exact;  // streams without an end marker stop at the known size
    }
    lzma_options_lzma opt{};
    // The dictionary never needs to exceed one block's output; a smaller one saves memory.
    opt.dict_size = static_cast<std::uint32_t>(
        std::clamp<std::uint64_t>(dict, LZMA_DICT_SIZE_MIN, std::max<std::uint64_t>(max, LZMA_DICT_SIZE_MIN)));
    opt.lc = lc;
    opt.lp = lp;
    opt.pb = pb;
    opt.ext_flags = LZMA_LZMA1EXT_ALLOW_EOPM;
    opt.ext_size_low = static_cast<std::uint32_t>(size);
    opt.ext_size_high = static_cast<std::uint32_t>(size >> 32);
    lzma_filter filters[2] = {{LZMA_FILTER_LZMA1EXT, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
    if (lzma_raw_decoder(&strm_, filters) != LZMA_OK) return false;
    const std::size_t cap = size != LZMA_VLI_UNKNOWN ? static_cast<std::size_t>(size) : max;
    out.resize(cap);
    strm_.next_in = payload.data();
    strm_.avail_in = payload.size();
    strm_.next_out = out.data();
    strm_.avail_out = cap;
    lzma_ret rc;
    do {
      rc = lzma_code(&strm_, LZMA_FINISH);
    } while (rc == LZMA_OK);
    const std::size_t produced = cap - strm_.avail_out;
    const std::size_t trailing = strm_.avail_in;
    out.resize(produced);
    bool ok = false;
    if (rc == LZMA_STREAM_END) {
      // Ended by the end marker or the known size: a clean block.
      ok = (exact == 0 || produced == exact) && trailing <= 16 && produced > 0;
    } else if (rc == LZMA_BUF_ERROR && exact == 0) {
      if (strm_.avail_out == 0) {
        // Output full with the stream's flush bytes left: a full 8 KiB metadata block or a full
        // fragment block written without end marker or size.
        ok = trailing <= (strict ? 8u : 16u);
      } else {
        // Input exhausted without an end: only trusted for the encoding already learned (the
        // last block of a table); a few garbage bytes past the real end are never referenced.
        ok = !strict && trailing == 0 && produced > 0;
      }
    }
    if (!ok) waste_ += produced + payload.size();
    return ok;
  }

  lzma_stream strm_ = LZMA_STREAM_INIT;
  std::optional<Attempt> learned_;
  std::uint64_t waste_ = 0, waste_cap_;
  bool gave_up_ = false;
};

// One uncompressed metadata table (inodes or directories) and where each block starts in it.
struct Table {
  std::vector<std::uint8_t> bytes;
  std::map<std::uint64_t, std::uint64_t> index;            // block offset in table -> position
  std::vector<std::pair<std::uint64_t, std::uint64_t>> bad;  // undecodable [begin, end) ranges
  std::uint64_t blocks = 0;
  std::optional<Diagnostic> stop;  // why reading stopped before the table's end
};

NodeType node_type(SqlKind k) {
  switch (k) {
    case SqlKind::directory: return NodeType::directory;
    case SqlKind::file: return NodeType::file;
    case SqlKind::symlink: return NodeType::symlink;
    case SqlKind::block_device: return NodeType::block_device;
    case SqlKind::char_device: return NodeType::char_device;
    case SqlKind::fifo: return NodeType::fifo;
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

class Reader3 {
 public:
  // Decoding work a decoder may spend on failed guesses before it stops guessing.
  static std::uint64_t waste_cap(ByteView img) { return std::max<std::uint64_t>(32ull << 20, img.size() * 8); }

  Reader3(Context& ctx, ByteView img, const SquashfsLegacySuper& sb)
      : ctx_(ctx), img_(img), sb_(sb), dec_(waste_cap(img)) {}

  Result<std::uint64_t> run();

 private:
  void diag(NodeId n, Severity s, std::string code, std::string msg) {
    ctx_.tree.add_diagnostic(n, {s, std::move(code), std::move(msg)});
  }
  std::string code(std::string_view what) const { return fmt::format("{}.{}", kId, what); }

  // Reads the metadata block at absolute offset `pos`; `next` receives the following block's
  // offset. Returns false (and a reason) when the block cannot be read.
  bool read_meta_block(std::uint64_t pos, std::vector<std::uint8_t>& out, std::uint64_t& next, std::string& why) {
    auto h = formats::parse_sql_meta_header(img_.tail(pos), sb_);
    if (!h) {
      why = fmt::format("metadata block header at {:#x} beyond the end of the data", pos);
      return false;
    }
    next = pos + h->header_bytes + h->size;
    auto payload = img_.sub(pos + h->header_bytes, h->size);
    if (!payload) {
      why = fmt::format("metadata block at {:#x} ({} bytes) cut short", pos, h->size);
      next = ~std::uint64_t{0};
      return false;
    }
    if (!h->compressed) {
      if (h->size > kSqlMetadataSize) {
        why = fmt::format("uncompressed metadata block at {:#x} claims {} bytes", pos, h->size);
        next = ~std::uint64_t{0};  // the length word itself is implausible: no way to go on
        return false;
      }
      out.assign(payload->data(), payload->data() + payload->size());
      return true;
    }
    if (!dec_.decode(*payload, 0, kSqlMetadataSize, out)) {
      why = fmt::format("metadata block at {:#x} ({} bytes) could not be decompressed", pos, h->size);
      return false;
    }
    return true;
  }

  Table read_table(std::uint64_t start, std::uint64_t end, std::string_view what) {
    Table t;
    std::uint64_t pos = start;
    std::vector<std::uint8_t> block;
    while (pos < end) {
      if (ctx_.budget.expired()) {
        t.stop = Diagnostic{Severity::high, "limit.time", fmt::format("time limit reached reading the {} table", what)};
        break;
      }
      std::uint64_t next = 0;
      std::string why;
      t.index[pos - start] = t.bytes.size();
      ++t.blocks;
      if (read_meta_block(pos, block, next, why)) {
        t.bytes.insert(t.bytes.end(), block.begin(), block.end());
      } else {
        if (next == ~std::uint64_t{0} || next <= pos) {
          t.stop = Diagnostic{Severity::medium, code("truncated"), fmt::format("{} table: {}", what, why)};
          break;
        }
        // Every block but the last holds exactly 8 KiB, so the table keeps its shape around
        // an undecodable block; references into it are reported, the rest stays readable.
        std::uint64_t b = t.bytes.size();
        t.bytes.resize(b + kSqlMetadataSize);
        t.bad.emplace_back(b, t.bytes.size());
        if (!t.stop)
          t.stop = Diagnostic{Severity::medium, code("metadata"), fmt::format("{} table: {}", what, why)};
      }
      if (t.bytes.size() > kMaxTableBytes) {
        t.stop = Diagnostic{Severity::high, "limit.metadata",
                            fmt::format("{} table larger than {} MiB uncompressed; rest not read", what,
                                        kMaxTableBytes >> 20)};
        break;
      }
      pos = next;
    }
    return t;
  }

  // Position of (block, offset) inside a table, or an error.
  Result<std::uint64_t> locate(const Table& t, std::uint64_t block, std::uint64_t offset, std::string_view what) const {
    auto it = t.index.find(block);
    if (it == t.index.end())
      return fail(Errc::malformed, fmt::format("{} reference {:#x}:{} does not start a metadata block", what, block, offset));
    std::uint64_t pos = it->second + offset;
    if (pos >= t.bytes.size())
      return fail(Errc::truncated, fmt::format("{} reference {:#x}:{} beyond the readable table", what, block, offset));
    for (const auto& [b, e] : t.bad)
      if (pos >= b && pos < e)
        return fail(Errc::malformed, fmt::format("{} {:#x}:{} lies in an undecodable metadata block", what, block, offset));
    return pos;
  }

  Result<SqlInode> inode_at(std::uint64_t block, std::uint64_t offset, std::uint64_t& pos) const {
    ASSIGN_OR_RETURN(pos, locate(inodes_, block, offset, "inode"));
    return formats::parse_sql_inode(ByteView(inodes_.bytes.data(), inodes_.bytes.size()).tail(pos), sb_);
  }

  std::vector<std::uint32_t> read_ids(std::uint64_t start, unsigned count, std::string_view what) {
    std::vector<std::uint32_t> ids;
    Reader r(img_, sb_.endian);
    if (!r.seek(start)) count = 0;
    for (unsigned i = 0; i < count; ++i) {
      auto v = r.u32();
      if (!v) {
        diag(ctx_.region, Severity::medium, code("id_table"),
             fmt::format("{} table cut short after {} of {} entries", what, i, count));
        break;
      }
      ids.push_back(*v);
    }
    return ids;
  }

  void load_fragments();
  // Thread-safe: file contents are read by several workers, each with its own decoder.
  std::shared_ptr<const std::vector<std::uint8_t>> fragment_block(std::uint32_t index, std::string& why,
                                                                  BlockDecoder& dec);
  std::vector<std::uint8_t> read_file(const SqlInode& in, std::uint64_t inode_pos, std::uint64_t want,
                                      std::string& why, BlockDecoder& dec);
  // A regular file whose content is read after the listing, in parallel with the others.
  struct FileJob {
    SqlInode inode;
    std::uint64_t inode_pos, want;
    NodeId node;
  };
  void read_contents(std::vector<FileJob>& jobs);

  std::uint64_t dir_table_end() const;

  Context& ctx_;
  ByteView img_;
  const SquashfsLegacySuper& sb_;
  BlockDecoder dec_;
  Table inodes_, dirs_;
  std::vector<std::uint32_t> uids_, gids_;
  std::vector<std::uint8_t> fragment_table_;  // uncompressed fragment entries
  std::mutex frag_mu_;  // guards the fragment cache
  std::unordered_map<std::uint32_t, std::shared_ptr<const std::vector<std::uint8_t>>> frag_cache_;
  std::uint64_t frag_cache_bytes_ = 0;
  bool gave_up_ = false;  // some worker's decoder stopped guessing
  std::optional<Attempt> learned_;  // the encoding blocks decoded as (metadata first, else data)
  std::uint64_t errors_ = 0;
};

// The directory table ends where the next table starts; which one follows depends on the version
// and options, so the nearest of all known table starts is taken.
std::uint64_t Reader3::dir_table_end() const {
  std::uint64_t end = sb_.bytes_used;
  auto consider = [&](std::uint64_t v) {
    if (v > sb_.directory_table_start && v < end) end = v;
  };
  consider(sb_.uid_start);
  if (sb_.no_guids > 0) consider(sb_.guid_start);
  if (sb_.major >= 2) consider(sb_.fragment_table_start);
  if (sb_.lookup_table_start != kSqlNoTable) consider(sb_.lookup_table_start);
  // The fragment and export tables' metadata blocks precede their index arrays; the first index
  // entry points at the first such block.
  auto first_pointer = [&](std::uint64_t table) {
    Reader r(img_, sb_.endian);
    if (!r.seek(table)) return;
    if (sb_.major == 2) {
      if (auto v = r.u32()) consider(*v);
    } else if (auto v = r.u64()) {
      consider(*v);
    }
  };
  if (sb_.has_fragments()) first_pointer(sb_.fragment_table_start);
  if (sb_.lookup_table_start != kSqlNoTable) first_pointer(sb_.lookup_table_start);
  return end;
}

void Reader3::load_fragments() {
  if (!sb_.has_fragments()) return;
  const std::uint64_t entry = sb_.fragment_entry_bytes(), ptr = sb_.fragment_index_bytes();
  std::uint64_t count = sb_.fragments;
  if (count > sb_.inodes || count * entry > kMaxTableBytes) {
    diag(ctx_.region, Severity::medium, code("fragment_table"),
         fmt::format("fragment count {} implausible for {} inodes; fragments not read", count, sb_.inodes));
    return;
  }
  const std::uint64_t blocks = (count * entry + kSqlMetadataSize - 1) / kSqlMetadataSize;
  Reader r(img_, sb_.endian);
  if (!r.seek(sb_.fragment_table_start)) {
    diag(ctx_.region, Severity::medium, code("fragment_table"), "fragment table index beyond the end of the data");
    return;
  }
  std::vector<std::uint8_t> block;
  for (std::uint64_t i = 0; i < blocks; ++i) {
    std::uint64_t at = 0;
    if (ptr == 4) {
      auto v = r.u32();
      if (!v) break;
      at = *v;
    } else {
      auto v = r.u64();
      if (!v) break;
      at = *v;
    }
    std::uint64_t next = 0;
    std::string why;
    if (!read_meta_block(at, block, next, why)) {
      diag(ctx_.region, Severity::medium, code("fragment_table"), fmt::format("fragment table: {}", why));
      break;
    }
    // Every block but the last is full; keep entry positions aligned even if one is short.
    block.resize(kSqlMetadataSize);
    fragment_table_.insert(fragment_table_.end(), block.begin(), block.end());
  }
  if (fragment_table_.size() < count * entry)
    diag(ctx_.region, Severity::medium, code("fragment_table"),
         fmt::format("fragment table incomplete ({} of {} entries readable); small files may be missing",
                     fragment_table_.size() / entry, count));
}

std::shared_ptr<const std::vector<std::uint8_t>> Reader3::fragment_block(std::uint32_t index, std::string& why,
                                                                          BlockDecoder& dec) {
  {
    std::lock_guard lock(frag_mu_);
    if (auto it = frag_cache_.find(index); it != frag_cache_.end()) {
      if (!it->second) why = fmt::format("fragment {} unreadable", index);
      return it->second;
    }
  }
  // Decoded outside the lock: two workers may decode the same block once each, never wrongly.
  std::shared_ptr<const std::vector<std::uint8_t>> result;
  const std::uint64_t entry = sb_.fragment_entry_bytes();
  ByteView table(fragment_table_.data(), fragment_table_.size());
  Result<formats::SqlFragment> f = fail(Errc::malformed, "index beyond the fragment count");
  if (index < sb_.fragments) f = formats::parse_sql_fragment(table.tail(std::uint64_t{index} * entry), sb_);
  if (!f) {
    why = fmt::format("fragment {}: {}", index, f.error().message);
  } else if (f->size > std::max<std::uint32_t>(sb_.block_size, kSqlMetadataSize) + 1024) {
    why = fmt::format("fragment {} claims {} stored bytes", index, f->size);
  } else if (auto data = img_.sub(f->start, f->size); !data) {
    why = fmt::format("fragment {} at {:#x} beyond the end of the data", index, f->start);
  } else if (!f->compressed) {
    result = std::make_shared<const std::vector<std::uint8_t>>(data->data(), data->data() + std::min<std::size_t>(data->size(), sb_.block_size));
  } else {
    std::vector<std::uint8_t> out;
    if (dec.decode(*data, 0, sb_.block_size, out))
      result = std::make_shared<const std::vector<std::uint8_t>>(std::move(out));
    else
      why = fmt::format("fragment {} at {:#x} could not be decompressed", index, f->start);
  }
  std::lock_guard lock(frag_mu_);
  if (frag_cache_bytes_ > kMaxFragmentCache) {
    frag_cache_.clear();
    frag_cache_bytes_ = 0;
  }
  if (frag_cache_.emplace(index, result).second) frag_cache_bytes_ += result ? result->size() : 0;
  return result;
}

std::vector<std::uint8_t> Reader3::read_file(const SqlInode& in, std::uint64_t inode_pos, std::uint64_t want,
                                             std::string& why, BlockDecoder& dec) {
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(want, 16ull << 20)));
  const std::uint64_t bs = sb_.block_size;
  ByteView table(inodes_.bytes.data(), inodes_.bytes.size());
  ByteView list_bytes = table.tail(inode_pos + in.header_bytes);
  std::uint64_t count = in.block_count;
  if (count > list_bytes.size() / sb_.block_entry_bytes()) {
    why = fmt::format("block list of {} entries extends beyond the inode table", count);
    count = list_bytes.size() / sb_.block_entry_bytes();
  }
  auto blocks = formats::parse_sql_block_list(list_bytes, count, sb_);
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
    const formats::SqlBlock& b = (*blocks)[i];
    const std::uint64_t expected = std::min<std::uint64_t>(bs, in.file_size - i * bs);
    if (b.size == 0) {  // sparse: a hole of zeros
      out.resize(out.size() + expected);
      continue;
    }
    auto data = img_.sub(pos, b.size);
    if (!data) {
      why = fmt::format("data block {} at {:#x} beyond the end of the data; content cut after {} of {} bytes", i,
                        pos, out.size(), in.file_size);
      return out;
    }
    if (!b.compressed) {
      if (data->size() < expected) why = fmt::format("stored block {} shorter than the file needs", i);
      ByteView use = data->head(expected);
      out.insert(out.end(), use.data(), use.data() + use.size());
    } else if (dec.decode(*data, static_cast<std::size_t>(expected), bs, buf)) {
      out.insert(out.end(), buf.begin(), buf.end());
    } else {
      why = fmt::format("data block {} at {:#x} could not be decompressed; content cut after {} of {} bytes", i, pos,
                        out.size(), in.file_size);
      return out;
    }
    pos += b.size;
  }
  if (!why.empty()) return out;
  if (in.tail_bytes > 0 && out.size() < want) {
    auto frag = fragment_block(in.fragment, why, dec);
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

// File contents are independent: each file is a task, largest first, decoded with a decoder of
// the thread's that starts from the encoding the metadata taught (a 2.5 MB LZMA image: 168 ms
// serial).
void Reader3::read_contents(std::vector<FileJob>& jobs) {
  learned_ = dec_.learned();
  std::stable_sort(jobs.begin(), jobs.end(), [](const FileJob& a, const FileJob& b) { return a.want > b.want; });
  std::uint64_t total = 0;
  for (const auto& j : jobs) total += j.want;
  struct Done {
    std::vector<std::uint8_t> content;
    std::string why;
  };
  std::vector<Done> done(jobs.size());
  auto make_decoder = [&] { return std::make_unique<BlockDecoder>(waste_cap(img_), dec_.learned()); };
  // Each call takes the next file in size order, whichever index it was given.
  std::atomic<std::size_t> next{0};
  auto read_one = [&](BlockDecoder& dec, std::size_t) {
    const std::size_t i = next++;
    if (i < jobs.size()) done[i].content = read_file(jobs[i].inode, jobs[i].inode_pos, jobs[i].want, done[i].why, dec);
  };
  std::vector<std::unique_ptr<BlockDecoder>> decoders;
  if (ctx_.executor != nullptr && total >= (256u << 10)) {  // below, not worth a second decoder
    decoders = parallel_for_with_state<BlockDecoder>(*ctx_.executor, jobs.size(), make_decoder, read_one);
  } else {
    decoders.push_back(make_decoder());
    for (std::size_t i = 0; i < jobs.size(); ++i) read_one(*decoders.back(), i);
  }
  for (const auto& dec : decoders) {
    if (!learned_ && dec->learned()) learned_ = dec->learned();
    gave_up_ = gave_up_ || dec->gave_up();
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ctx_.tree.set_content(jobs[i].node, make_blob(std::move(done[i].content)));
    if (!done[i].why.empty()) {
      diag(jobs[i].node, Severity::medium, ctx_.budget.expired() ? "limit.time" : code("file_data"), done[i].why);
      ++errors_;
    }
  }
}

Result<std::uint64_t> Reader3::run() {
  const Limits& lim = ctx_.budget.limits();
  if (sb_.bytes_used > img_.size())
    diag(ctx_.region, Severity::high, code("truncated"),
         fmt::format("image declares {} bytes but only {} are present; extraction is partial", sb_.bytes_used,
                     img_.size()));
  img_ = img_.head(sb_.bytes_used);

  inodes_ = read_table(sb_.inode_table_start, sb_.directory_table_start, "inode");
  if (inodes_.stop) ctx_.tree.add_diagnostic(ctx_.region, *inodes_.stop);
  dirs_ = read_table(sb_.directory_table_start, dir_table_end(), "directory");
  if (dirs_.stop) ctx_.tree.add_diagnostic(ctx_.region, *dirs_.stop);
  uids_ = read_ids(sb_.uid_start, sb_.no_uids, "uid");
  gids_ = read_ids(sb_.guid_start, sb_.no_guids, "gid");
  load_fragments();

  bool bad_ids = false;
  auto uid_of = [&](const SqlInode& in) -> std::uint32_t {
    if (in.uid_index < uids_.size()) return uids_[in.uid_index];
    bad_ids = true;
    return 0;
  };
  auto gid_of = [&](const SqlInode& in) -> std::uint32_t {
    if (in.gid_from_uid) return uid_of(in);
    if (in.gid_index < gids_.size()) return gids_[in.gid_index];
    bad_ids = true;
    return 0;
  };

  std::uint64_t root_pos = 0;
  auto root = inode_at(sb_.root_block, sb_.root_offset, root_pos);
  if (!root) return fail(root.error().code, fmt::format("root inode: {}", root.error().message));
  if (root->kind != SqlKind::directory) return fail(Errc::malformed, "root inode is not a directory");

  FsBuilder fs(ctx_.tree, ctx_.budget, ctx_.region, kId);
  {
    Node& r = ctx_.tree.mut(fs.root());
    r.mode = S_IFDIR | (root->mode & 07777u);
    r.uid = uid_of(*root);
    r.gid = gid_of(*root);
    r.mtime = root->mtime.value_or(sb_.mkfs_time);
  }

  const std::uint64_t ratio = std::max<std::uint64_t>(lim.max_expansion_ratio, 1);
  const std::uint64_t ratio_cap = std::max<std::uint64_t>(
      lim.ratio_floor_bytes, img_.size() > ~std::uint64_t{0} / ratio ? ~std::uint64_t{0} : img_.size() * ratio);

  struct Pending {
    std::string path;
    SqlInode inode;
    NodeId node;
    unsigned depth;
  };
  auto key = [](std::uint64_t block, std::uint64_t offset) { return (block << 16) | (offset & 0xffff); };
  std::vector<Pending> stack{{"", *root, fs.root(), 0}};
  std::set<std::uint64_t> visited{key(sb_.root_block, sb_.root_offset)};
  std::unordered_map<std::uint64_t, std::string> first_name;  // hard links share an inode
  bool stop = false;
  std::vector<FileJob> jobs;
  std::uint64_t planned = 0;  // bytes the jobs will read

  while (!stack.empty() && !fs.stopped() && !stop) {
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
    auto at = locate(dirs_, cur.inode.dir_block, cur.inode.dir_offset, "directory");
    if (!at) {
      diag(cur.node, Severity::medium, code("directory"), fmt::format("directory unreadable: {}", at.error().message));
      ++errors_;
      continue;
    }
    auto listing = formats::parse_sql_directory(ByteView(dirs_.bytes.data(), dirs_.bytes.size()).tail(*at),
                                                cur.inode.dir_listing_bytes, sb_);
    if (listing.error) {
      diag(cur.node, Severity::medium, code("directory"),
           fmt::format("listing cut short after {} entries: {}", listing.entries.size(), listing.error->message));
      ++errors_;
    }
    for (const auto& ent : listing.entries) {
      if (fs.stopped() || stop) break;
      const std::string& name = ent.name;
      if (name.find('/') != std::string::npos || name == "." || name == ".." || name.find('\0') != std::string::npos)
        diag(cur.node, Severity::high, "path.traversal",
             fmt::format("entry name '{}' is not a single path component", name));
      std::string path = cur.path + "/" + name;
      std::uint64_t ipos = 0;
      auto in = inode_at(ent.inode_block, ent.inode_offset, ipos);
      if (!in) {
        diag(cur.node, Severity::medium, code("inode"),
             fmt::format("inode of '{}' unreadable: {}", name, in.error().message));
        ++errors_;
        continue;
      }
      FsBuilder::Entry en;
      en.path = path;
      en.type = node_type(in->kind);
      en.mode = type_bits(en.type) | (in->mode & 07777u);
      en.uid = uid_of(*in);
      en.gid = gid_of(*in);
      en.mtime = in->mtime.value_or(sb_.mkfs_time);
      en.offset = in->kind == SqlKind::file ? in->start_block : 0;
      std::string why, why_code = code("file_data");
      bool ratio_hit = false, queued = false;
      switch (in->kind) {
        case SqlKind::symlink:
          en.link_target = in->target;
          en.size = in->target.size();
          break;
        case SqlKind::block_device:
        case SqlKind::char_device:
          en.rdev_major = (in->rdev >> 8) & 0xffu;
          en.rdev_minor = in->rdev & 0xffu;
          break;
        case SqlKind::file: {
          en.size = in->file_size;
          const std::uint64_t k = key(ent.inode_block, ent.inode_offset);
          if (auto it = first_name.find(k); it != first_name.end()) {
            en.type = NodeType::hardlink;
            en.link_target = it->second;
            break;
          }
          first_name.emplace(k, path);
          std::uint64_t want = in->file_size;
          if (want > lim.max_node_bytes) {
            want = lim.max_node_bytes;
            why = fmt::format("file of {} bytes truncated to the per-file limit", in->file_size);
            why_code = "limit.node_bytes";
          }
          const std::uint64_t out_so_far = fs.bytes_out() + planned;
          if (out_so_far + want > ratio_cap) {
            want = ratio_cap > out_so_far ? ratio_cap - out_so_far : 0;
            why = fmt::format("file of {} bytes truncated: expansion ratio above {}:1", in->file_size,
                              lim.max_expansion_ratio);
            why_code = "limit.ratio";
            ratio_hit = true;
          }
          if (!ctx_.budget.take_bytes(want)) {
            why = "total output limit reached; content not read";
            why_code = "limit.total_bytes";
            want = 0;
            stop = true;
          }
          // Read after the listing (FileJob); an empty content until then.
          en.content = make_blob(std::string_view{});
          if (want > 0) {
            jobs.push_back({*in, ipos, want, kNoNode});
            planned += want;
            queued = true;
          }
          break;
        }
        default:
          break;
      }
      const bool is_dir = in->kind == SqlKind::directory;
      NodeId id = fs.add(std::move(en));
      if (queued) {
        if (id == kNoNode) {
          planned -= jobs.back().want;
          jobs.pop_back();
        } else {
          jobs.back().node = id;
        }
      }
      if (id == kNoNode) {
        if (fs.stopped()) break;
        continue;
      }
      if (!why.empty()) diag(id, Severity::medium, why_code, why);
      if (ratio_hit) {
        diag(ctx_.region, Severity::high, "limit.ratio",
             fmt::format("expansion ratio above {}:1; remaining entries not read", lim.max_expansion_ratio));
        stop = true;
        break;
      }
      if (is_dir) {
        if (!visited.insert(key(ent.inode_block, ent.inode_offset)).second) {
          diag(id, Severity::high, code("cycle"), "directory inode already visited (cycle); not descended");
          continue;
        }
        stack.push_back({path, *in, id, cur.depth + 1});
      }
    }
  }
  read_contents(jobs);
  if (bad_ids)
    diag(ctx_.region, Severity::medium, code("id_table"), "uid/gid index outside the id tables; reported as 0");
  if (dec_.gave_up() || gave_up_)
    diag(ctx_.region, Severity::medium, code("compression"),
         "too many blocks failed to decompress with any known encoding; further guessing abandoned");
  if (learned_)
    diag(ctx_.region, Severity::info, code("compression"), fmt::format("blocks decoded as {}", describe(*learned_)));
  if (errors_ > 0)
    diag(ctx_.region, Severity::medium, code("partial"), fmt::format("{} read errors; extraction is partial", errors_));
  return sb_.bytes_used;
}

class SquashfsLegacyUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = kId,
        .description = "SquashFS 1.x/2.x/3.x (both byte orders), including vendor LZMA variants",
        .magics = {{0, "hsqs"}, {0, "sqsh"}, {0, "hsqt"}, {0, "tqsh"}, {0, "shsq"}, {0, "qshs"}},
        .references = {"squashfs-tools squashfs_compat.h, unsquash-1.c, unsquash-2.c, unsquash-3.c",
                       "Linux 2.6.x fs/squashfs/inode.c (squashfs 3.x kernel patch)",
                       "sasquatch lzma_wrapper.c and LZMA/lzmawrt (vendor LZMA block formats)"},
        .limitations = {"LZMA block encodings are recognised by trying the known vendor variants; "
                        "others (e.g. LZMA with a 4-byte prefix, non-standard zlib) are not read",
                        "the NFS export table and directory indexes are not used (not needed to extract)",
                        "version 4.0 is left to the squashfs unpacker"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto sb, formats::parse_squashfs_legacy_super(data, /*allow_truncated=*/true));
    // The first inode-table block must have a plausible length word when it is present.
    if (sb.inode_table_start + 3 <= data.size()) {
      ASSIGN_OR_RETURN(auto h, formats::parse_sql_meta_header(data.tail(sb.inode_table_start), sb));
      if (h.size > 2 * kSqlMetadataSize) return fail(Errc::malformed, "first inode block length implausible");
    }
    Probe p;
    p.length = sb.bytes_used;
    p.detail = fmt::format("{}, {}-byte blocks, {} inodes", sb.describe(), sb.block_size, sb.inodes);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto sb, formats::parse_squashfs_legacy_super(all, /*allow_truncated=*/true));
    Reader3 reader(ctx, all, sb);
    return reader.run();
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_squashfs_legacy_unpacker() { return std::make_unique<SquashfsLegacyUnpacker>(); }

}  // namespace iotaudit::unpack
