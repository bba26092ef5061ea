// Stream decoders over the Debian libraries (zlib, liblzma, libbz2, libzstd, liblz4, liblzo2),
// called directly rather than through libarchive because carving needs the exact compressed
// length. Output grows a chunk at a time so that every limit is checked between chunks.
#include "unpack/codecs.hpp"

#include <bzlib.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>

#include <fmt/format.h>

namespace iotaudit::unpack {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::none: return "none";
    case Codec::gzip: return "gzip";
    case Codec::bzip2: return "bzip2";
    case Codec::lzma: return "lzma";
    case Codec::xz: return "xz";
    case Codec::lzo: return "lzo";
    case Codec::lz4: return "lz4";
    case Codec::lz4_legacy: return "lz4";
    case Codec::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<Codec> codec_from_uboot(std::uint8_t comp) {
  switch (comp) {
    case 0: return Codec::none;
    case 1: return Codec::gzip;
    case 2: return Codec::bzip2;
    case 3: return Codec::lzma;
    case 4: return Codec::lzo;
    case 5: return Codec::lz4;
    case 6: return Codec::zstd;
    default: return std::nullopt;
  }
}

std::optional<Codec> codec_from_name(std::string_view n) {
  if (n == "none") return Codec::none;
  if (n == "gzip") return Codec::gzip;
  if (n == "bzip2") return Codec::bzip2;
  if (n == "lzma") return Codec::lzma;
  if (n == "lzo") return Codec::lzo;
  if (n == "lz4") return Codec::lz4;
  if (n == "zstd") return Codec::zstd;
  if (n == "xz") return Codec::xz;
  return std::nullopt;
}

namespace {

constexpr std::size_t kChunk = 1u << 18;
// liblzma allocates the dictionary the header asks for; beyond this the stream is refused.
constexpr std::uint64_t kLzmaMemLimit = 512ULL << 20;
// zstd frames may ask for windows up to 2 GiB (windowLog 31); 2^27 is libzstd's default cap.
constexpr int kZstdWindowLogMax = 27;
// lzop writes blocks of at most 64 MiB (MAX_BLOCK_SIZE in lzop.c); the LZ4 legacy format 8 MiB.
constexpr std::uint32_t kLzopMaxBlock = 64u << 20;
constexpr std::uint32_t kLz4LegacyBlock = 8u << 20;

class Guard {
 public:
  explicit Guard(Budget& b) : budget_(b) {}
  std::optional<Diagnostic> check(std::uint64_t out, std::uint64_t in) const {
    const Limits& l = budget_.limits();
    if (out > l.max_node_bytes)
      return Diagnostic{Severity::high, "limit.node_bytes",
                        fmt::format("decoded size exceeds the per-node limit of {} bytes; output cut", l.max_node_bytes)};
    if (out > l.ratio_floor_bytes && in > 0 && out / in > l.max_expansion_ratio)
      return Diagnostic{Severity::high, "limit.ratio",
                        fmt::format("expansion ratio above {}:1 (decompression bomb?); output cut", l.max_expansion_ratio)};
    if (budget_.expired())
      return Diagnostic{Severity::high, "limit.time", "time limit reached while decoding; output cut"};
    return std::nullopt;
  }

 private:
  Budget& budget_;
};

Diagnostic partial(std::string_view label, const char* codec, std::string what) {
  return Diagnostic{Severity::medium, fmt::format("{}.partial", label),
                    fmt::format("{} stream {}; partial output kept", codec, what)};
}
Diagnostic truncated(std::string_view label, const char* codec) {
  return Diagnostic{Severity::medium, fmt::format("{}.truncated", label),
                    fmt::format("{} stream truncated; partial output kept", codec)};
}

Decoded decode_gzip(ByteView in, Budget& budget, std::string_view label) {
  Decoded d;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    d.cut = partial(label, "gzip", "could not be initialised");
    return d;
  }
  Guard guard(budget);
  while (true) {
    std::uint64_t left = in.size() - d.consumed;
    zs.next_in = const_cast<Bytef*>(in.data() + d.consumed);
    zs.avail_in = static_cast<uInt>(std::min<std::uint64_t>(left, 1u << 30));
    std::size_t before = d.bytes.size();
    d.bytes.resize(before + kChunk);
    zs.next_out = d.bytes.data() + before;
    zs.avail_out = kChunk;
    uInt avail_before = zs.avail_in;
    int rc = inflate(&zs, Z_NO_FLUSH);
    d.consumed += avail_before - zs.avail_in;
    d.bytes.resize(d.bytes.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      d.complete = true;
      break;
    }
    if (rc == Z_BUF_ERROR || (rc == Z_OK && d.consumed == in.size() && zs.avail_out != 0)) {
      d.cut = truncated(label, "gzip");
      break;
    }
    if (rc != Z_OK) {
      d.cut = partial(label, "gzip", fmt::format("data error ({})", zs.msg ? zs.msg : "corrupt"));
      break;
    }
    if (auto g = guard.check(d.bytes.size(), d.consumed)) {
      d.cut = *g;
      break;
    }
  }
  inflateEnd(&zs);
  return d;
}

// xz (.xz container) and lzma-alone (.lzma: 13-byte header, raw LZMA1 data) share liblzma.
Decoded decode_liblzma(ByteView in, Budget& budget, std::string_view label, bool alone) {
  Decoded d;
  const char* name = alone ? "lzma" : "xz";
  lzma_stream zs = LZMA_STREAM_INIT;
  lzma_ret init = alone ? lzma_alone_decoder(&zs, kLzmaMemLimit)
                        : lzma_stream_decoder(&zs, kLzmaMemLimit, 0);
  if (init != LZMA_OK) {
    d.cut = partial(label, name, "could not be initialised");
    return d;
  }
  Guard guard(budget);
  zs.next_in = in.data();
  zs.avail_in = in.size();
  while (true) {
    std::size_t before = d.bytes.size();
    d.bytes.resize(before + kChunk);
    zs.next_out = d.bytes.data() + before;
    zs.avail_out = kChunk;
    // LZMA_RUN, not LZMA_FINISH: liblzma reports input that ends inside a stream as a data error
    // under LZMA_FINISH, and without the output decoded so far. Input used up while output space
    // is left means the stream is cut.
    lzma_ret rc = lzma_code(&zs, LZMA_RUN);
    d.bytes.resize(d.bytes.size() - zs.avail_out);
    if (rc == LZMA_STREAM_END) {
      d.complete = true;
      break;
    }
    if (rc == LZMA_BUF_ERROR || (rc == LZMA_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
      d.cut = truncated(label, name);
      break;
    }
    if (rc == LZMA_MEMLIMIT_ERROR) {
      d.cut = Diagnostic{Severity::medium, fmt::format("{}.unsupported", label),
                         fmt::format("{} stream needs more than {} MiB of dictionary; not decoded", name,
                                     kLzmaMemLimit >> 20)};
      break;
    }
    if (rc != LZMA_OK) {
      d.cut = partial(label, name, fmt::format("data error ({})", static_cast<int>(rc)));
      break;
    }
    if (auto g = guard.check(d.bytes.size(), zs.total_in)) {
      d.cut = *g;
      break;
    }
  }
  d.consumed = zs.total_in;
  lzma_end(&zs);
  return d;
}

Decoded decode_bzip2(ByteView in, Budget& budget, std::string_view label) {
  Decoded d;
  bz_stream bs{};
  if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK) {
    d.cut = partial(label, "bzip2", "could not be initialised");
    return d;
  }
  Guard guard(budget);
  while (true) {
    std::uint64_t left = in.size() - d.consumed;
    bs.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + d.consumed));
    bs.avail_in = static_cast<unsigned>(std::min<std::uint64_t>(left, 1u << 30));
    std::size_t before = d.bytes.size();
    d.bytes.resize(before + kChunk);
    bs.next_out = reinterpret_cast<char*>(d.bytes.data() + before);
    bs.avail_out = kChunk;
    unsigned avail_before = bs.avail_in;
    int rc = BZ2_bzDecompress(&bs);
    d.consumed += avail_before - bs.avail_in;
    d.bytes.resize(d.bytes.size() - bs.avail_out);
    if (rc == BZ_STREAM_END) {
      d.complete = true;
      break;
    }
    if (rc != BZ_OK) {
      d.cut = partial(label, "bzip2", fmt::format("data error ({})", rc));
      break;
    }
    if (d.consumed == in.size() && bs.avail_out != 0) {
      d.cut = truncated(label, "bzip2");
      break;
    }
    if (auto g = guard.check(d.bytes.size(), d.consumed)) {
      d.cut = *g;
      break;
    }
  }
  BZ2_bzDecompressEnd(&bs);
  return d;
}

Decoded decode_zstd(ByteView in, Budget& budget, std::string_view label) {
  Decoded d;
  ZSTD_DCtx* z = ZSTD_createDCtx();
  if (z == nullptr) {
    d.cut = partial(label, "zstd", "could not be initialised");
    return d;
  }
  ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, kZstdWindowLogMax);
  Guard guard(budget);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  while (true) {
    std::size_t before = d.bytes.size();
    d.bytes.resize(before + kChunk);
    ZSTD_outBuffer ob{d.bytes.data() + before, kChunk, 0};
    std::size_t in_before = ib.pos;
    std::size_t rc = ZSTD_decompressStream(z, &ob, &ib);
    d.bytes.resize(before + ob.pos);
    if (ZSTD_isError(rc)) {
      d.cut = partial(label, "zstd", fmt::format("data error ({})", ZSTD_getErrorName(rc)));
      break;
    }
    if (rc == 0) {  // a frame ended and everything was flushed
      d.complete = true;
      break;
    }
    if (ib.pos == ib.size && ob.pos < kChunk) {
      d.cut = truncated(label, "zstd");
      break;
    }
    if (ib.pos == in_before && ob.pos == 0) {  // no progress with room on both sides
      d.cut = partial(label, "zstd", "stalled");
      break;
    }
    if (auto g = guard.check(d.bytes.size(), ib.pos)) {
      d.cut = *g;
      break;
    }
  }
  d.consumed = ib.pos;
  ZSTD_freeDCtx(z);
  return d;
}

Decoded decode_lz4_frame(ByteView in, Budget& budget, std::string_view label) {
  Decoded d;
  LZ4F_dctx* z = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&z, LZ4F_VERSION))) {
    d.cut = partial(label, "lz4", "could not be initialised");
    return d;
  }
  Guard guard(budget);
  while (true) {
    std::size_t before = d.bytes.size();
    d.bytes.resize(before + kChunk);
    std::size_t dst = kChunk;
    std::size_t src = in.size() - d.consumed;
    std::size_t rc = LZ4F_decompress(z, d.bytes.data() + before, &dst, in.data() + d.consumed, &src, nullptr);
    d.consumed += src;
    d.bytes.resize(before + dst);
    if (LZ4F_isError(rc)) {
      d.cut = partial(label, "lz4", fmt::format("data error ({})", LZ4F_getErrorName(rc)));
      break;
    }
    if (rc == 0) {
      d.complete = true;
      break;
    }
    if (d.consumed == in.size() && dst < kChunk) {
      d.cut = truncated(label, "lz4");
      break;
    }
    if (src == 0 && dst == 0) {
      d.cut = partial(label, "lz4", "stalled");
      break;
    }
    if (auto g = guard.check(d.bytes.size(), d.consumed)) {
      d.cut = *g;
      break;
    }
  }
  LZ4F_freeDecompressionContext(z);
  return d;
}

std::uint32_t le32(ByteView v, std::uint64_t at) {
  return load_endian<std::uint32_t>(v.data() + at, Endian::little);
}

// The legacy LZ4 format (lz4 -l, the Linux kernel's LZ4 images): magic 0x184C2102 then blocks of
// [u32 LE compressed size][data], each decoding to at most 8 MiB. There is no end marker: the
// stream ends at the end of the input, at a size no block can have, or where a block does not
// decode (the kernel build appends the uncompressed size there).
Decoded decode_lz4_legacy(ByteView in, Budget& budget, std::string_view label) {
  Decoded d;
  if (in.size() < 4 || le32(in, 0) != 0x184C2102) {
    d.cut = partial(label, "lz4", "has no legacy magic");
    return d;
  }
  Guard guard(budget);
  std::uint64_t pos = 4;
  std::size_t blocks = 0;
  while (true) {
    if (in.size() - pos < 4) {
      d.complete = true;
      break;
    }
    std::uint32_t csize = le32(in, pos);
    if (csize == 0x184C2102) {  // concatenated legacy streams
      pos += 4;
      continue;
    }
    if (csize == 0 || csize > static_cast<std::uint32_t>(LZ4_compressBound(kLz4LegacyBlock))) {
      d.complete = true;
      break;
    }
    if (csize > in.size() - pos - 4) {
      if (blocks == 0 || csize <= in.size()) d.cut = truncated(label, "lz4");
      else d.complete = true;
      break;
    }
    std::size_t before = d.bytes.size();
    d.bytes.resize(before + kLz4LegacyBlock);
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + pos + 4),
                                reinterpret_cast<char*>(d.bytes.data() + before), static_cast<int>(csize),
                                static_cast<int>(kLz4LegacyBlock));
    if (n < 0) {
      d.bytes.resize(before);
      if (blocks == 0) d.cut = partial(label, "lz4", "block does not decode");
      else d.complete = true;
      break;
    }
    d.bytes.resize(before + static_cast<std::size_t>(n));
    pos += 4 + csize;
    ++blocks;
    if (auto g = guard.check(d.bytes.size(), pos)) {
      d.cut = *g;
      break;
    }
  }
  d.consumed = pos;
  return d;
}

// lzop (.lzo) container around LZO1X blocks, as written by lzop and read by U-Boot's
// lib/lzo/lzo1x_decompress.c lzop_decompress(). All fields are big-endian.
constexpr std::uint32_t kLzopAdler32D = 0x1, kLzopAdler32C = 0x2, kLzopExtraField = 0x40,
                        kLzopCrc32D = 0x100, kLzopCrc32C = 0x200, kLzopFilter = 0x800;

struct LzopHeader {
  std::uint64_t length = 0;  // bytes up to the first block
  std::uint32_t flags = 0;
  std::uint8_t method = 0;
};

Result<LzopHeader> parse_lzop_header(ByteView in) {
  static constexpr std::string_view kMagic("\x89LZO\x00\r\n\x1a\n", 9);
  if (!in.starts_with(kMagic)) return fail(Errc::malformed, "no lzop magic");
  Reader r(in, Endian::big);
  TRY(r.skip(9));
  ASSIGN_OR_RETURN(std::uint16_t version, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t lib_version, r.u16());
  (void)lib_version;
  if (version < 0x0900) return fail(Errc::malformed, "lzop version too old");
  if (version >= 0x0940) {
    ASSIGN_OR_RETURN(std::uint16_t needed, r.u16());
    if (needed > 0x1090 || needed < 0x0900) return fail(Errc::malformed, "lzop needs an unknown version");
  }
  LzopHeader h;
  ASSIGN_OR_RETURN(h.method, r.u8());
  if (h.method < 1 || h.method > 3) return fail(Errc::malformed, "lzop method is not LZO1X");
  if (version >= 0x0940) TRY(r.skip(1));  // level
  ASSIGN_OR_RETURN(h.flags, r.u32());
  if (h.flags & kLzopFilter) TRY(r.skip(4));
  TRY(r.skip(8));  // mode, mtime low
  if (version >= 0x0940) TRY(r.skip(4));  // mtime high
  ASSIGN_OR_RETURN(std::uint8_t name_len, r.u8());
  TRY(r.skip(name_len));
  std::uint64_t checked_end = r.pos();
  ASSIGN_OR_RETURN(std::uint32_t hsum, r.u32());
  // Header checksum over everything after the magic: CRC32 when F_H_CRC32 (0x1000), else Adler-32.
  ByteView hdr = in.sub(9, checked_end - 9).value();
  std::uint32_t want = (h.flags & 0x1000)
                           ? static_cast<std::uint32_t>(crc32(0, hdr.data(), static_cast<uInt>(hdr.size())))
                           : static_cast<std::uint32_t>(adler32(1, hdr.data(), static_cast<uInt>(hdr.size())));
  if (want != hsum) return fail(Errc::malformed, "lzop header checksum mismatch");
  if (h.flags & kLzopExtraField) {
    ASSIGN_OR_RETURN(std::uint32_t extra, r.u32());
    TRY(r.skip(extra));
    TRY(r.skip(4));
  }
  h.length = r.pos();
  return h;
}

Decoded decode_lzop(ByteView in, Budget& budget, std::string_view label) {
  Decoded d;
  auto hdr = parse_lzop_header(in);
  if (!hdr) {
    d.cut = hdr.error().code == Errc::truncated ? truncated(label, "lzo")
                                                 : partial(label, "lzo", hdr.error().message);
    return d;
  }
  if (lzo_init() != LZO_E_OK) {
    d.cut = partial(label, "lzo", "could not be initialised");
    return d;
  }
  Guard guard(budget);
  Reader r(in, Endian::big);
  (void)r.seek(hdr->length);
  std::uint64_t pos = hdr->length;
  auto fail_at = [&](Diagnostic diag) { d.cut = std::move(diag); };
  while (true) {
    pos = r.pos();
    auto dst_len = r.u32();
    if (!dst_len) {
      fail_at(truncated(label, "lzo"));
      break;
    }
    if (*dst_len == 0) {  // end of stream
      d.complete = true;
      pos = r.pos();
      break;
    }
    auto src_len = r.u32();
    if (!src_len) {
      fail_at(truncated(label, "lzo"));
      break;
    }
    if (*dst_len > kLzopMaxBlock || *src_len > kLzopMaxBlock || *src_len == 0) {
      fail_at(partial(label, "lzo", "has an impossible block size"));
      break;
    }
    unsigned sums = ((hdr->flags & kLzopAdler32D) ? 1 : 0) + ((hdr->flags & kLzopCrc32D) ? 1 : 0);
    if (*src_len < *dst_len)
      sums += ((hdr->flags & kLzopAdler32C) ? 1 : 0) + ((hdr->flags & kLzopCrc32C) ? 1 : 0);
    auto data = r.skip(4u * sums).and_then([&]() { return r.bytes(*src_len); });
    if (!data) {
      fail_at(truncated(label, "lzo"));
      break;
    }
    std::size_t before = d.bytes.size();
    if (*src_len == *dst_len) {
      d.bytes.insert(d.bytes.end(), data->data(), data->data() + data->size());
    } else if (*src_len > *dst_len) {
      fail_at(partial(label, "lzo", "has a block larger than its output"));
      break;
    } else {
      d.bytes.resize(before + *dst_len);
      lzo_uint out_len = *dst_len;
      int rc = lzo1x_decompress_safe(data->data(), data->size(), d.bytes.data() + before, &out_len, nullptr);
      if (rc != LZO_E_OK || out_len != *dst_len) {
        d.bytes.resize(before + std::min<lzo_uint>(out_len, *dst_len));
        fail_at(partial(label, "lzo", fmt::format("data error ({})", rc)));
        break;
      }
    }
    if (auto g = guard.check(d.bytes.size(), r.pos())) {
      pos = r.pos();
      fail_at(*g);
      break;
    }
  }
  d.consumed = d.complete ? pos : r.pos();
  return d;
}

}  // namespace

Decoded decode_stream(Codec codec, ByteView in, Budget& budget, std::string_view label) {
  switch (codec) {
    case Codec::none: {
      Decoded d;
      d.bytes.assign(in.data(), in.data() + in.size());
      d.consumed = in.size();
      d.complete = true;
      return d;
    }
    case Codec::gzip: return decode_gzip(in, budget, label);
    case Codec::bzip2: return decode_bzip2(in, budget, label);
    case Codec::lzma: return decode_liblzma(in, budget, label, true);
    case Codec::xz: return decode_liblzma(in, budget, label, false);
    case Codec::lzo: return decode_lzop(in, budget, label);
    case Codec::lz4: return decode_lz4_frame(in, budget, label);
    case Codec::lz4_legacy: return decode_lz4_legacy(in, budget, label);
    case Codec::zstd: return decode_zstd(in, budget, label);
  }
  return {};
}

bool stream_starts_validly(Codec codec, ByteView in) {
  // Small limits: a probe decodes at most a few KiB of input into at most 64 KiB.
  Limits l;
  l.max_node_bytes = 64u << 10;
  l.max_seconds = 5;
  Budget b(l);
  ByteView head = in.head(codec == Codec::lz4_legacy ? (1u << 20) : 8192);
  Decoded d = decode_stream(codec, head, b, "probe");
  if (d.complete) return true;
  if (!d.cut) return false;
  if (d.cut->code == "limit.node_bytes") return true;  // decoded more than enough
  if (d.cut->code != "probe.truncated") return false;
  // The head ran out before the stream ended. Streaming decoders (deflate, LZMA) must have
  // produced output by then; block codecs only emit whole blocks, so for them reading the head
  // without a data error is the evidence.
  bool block_codec = codec == Codec::bzip2 || codec == Codec::zstd || codec == Codec::lz4 ||
                     codec == Codec::lz4_legacy || codec == Codec::lzo;
  return block_codec || !d.bytes.empty();
}

void store_decoded(Tree& tree, Budget& budget, NodeId node, Decoded d) {
  d.bytes.resize(std::min<std::uint64_t>(d.bytes.size(), budget.limits().max_node_bytes));
  if (!budget.take_bytes(d.bytes.size())) {
    tree.add_diagnostic(node, {Severity::high, "limit.total_bytes", "total output limit reached; stream discarded"});
    d.bytes.clear();
  }
  if (d.cut) tree.add_diagnostic(node, *d.cut);
  tree.set_content(node, make_blob(std::move(d.bytes)));
}

NodeId add_part_region(Tree& tree, Budget& budget, NodeId parent, std::string name, std::string format,
                       std::uint64_t offset, std::uint64_t length, BlobPtr content, std::string unpacker) {
  if (!budget.take_node()) {
    tree.add_diagnostic(parent, {Severity::high, "limit.nodes", "node limit reached; part not recorded"});
    return kNoNode;
  }
  Node n;
  n.parent = parent;
  n.name = std::move(name);
  n.type = NodeType::region;
  n.format = std::move(format);
  n.origin = {parent, offset, length, std::move(unpacker)};
  n.size = content ? content->view().size() : 0;
  n.content = std::move(content);
  return tree.add(std::move(n));
}

Result<std::uint64_t> unpack_stream(Context& ctx, Codec codec, std::string_view label) {
  Decoded d = decode_stream(codec, ctx.data->view(), ctx.budget, label);
  std::uint64_t consumed = d.consumed;
  store_decoded(ctx.tree, ctx.budget, ctx.region, std::move(d));
  return consumed;
}

}  // namespace iotaudit::unpack
