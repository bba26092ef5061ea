// Android sparse images (the format of system.img / vendor.img in factory images and of fastboot
// flashing). The region's content is the expanded image, so carving then finds the ext4 or
// squashfs inside. DONT_CARE holes become zeros; the per-node size cap, the expansion-ratio cap
// and the total budget apply before anything is allocated, so a header claiming terabytes of
// FILL is refused with a limit diagnostic rather than allocated.
#include <cstring>

#include <fmt/format.h>

#include "formats/android_sparse.hpp"
#include "formats/crc32.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

class AndroidSparseUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "android-sparse",
        .description = "Android sparse image (RAW, FILL, DONT_CARE and CRC32 chunks)",
        .magics = {{0, std::string("\x3a\xff\x26\xed", 4)}},
        .references = {"AOSP system/core/libsparse/sparse_format.h", "AOSP system/core/libsparse/sparse_read.cpp"},
        .limitations = {"the whole expanded image is held in memory; an image whose expanded size exceeds the "
                        "per-node limit (--max-file-size, 2 GiB by default) is reported but not expanded at all",
                        "a chunk header that contradicts the image ends the chunk list; the chunks before it are "
                        "expanded, the rest of the image is left zero",
                        "the optional image checksum in the header is not verified; CRC32 chunks are"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto s, formats::parse_android_sparse(data));
    if (s.chunks.empty()) return fail(Errc::malformed, "Android sparse image without chunks");
    Probe p;
    // A cut or contradictory image is left open-ended, so unpack sees (and reports) the fault.
    p.length = s.truncated || !s.bad_chunk.empty() ? 0 : s.length;
    p.detail = fmt::format("{} blocks of {} bytes in {} chunks", s.total_blks, s.blk_sz, s.total_chunks);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView in = ctx.data->view();
    ASSIGN_OR_RETURN(auto s, formats::parse_android_sparse(in));
    Tree& t = ctx.tree;
    const Limits& lim = ctx.budget.limits();
    const std::uint64_t out_size = std::uint64_t{s.total_blks} * s.blk_sz;
    t.add_diagnostic(ctx.region, {Severity::info, "android-sparse.header",
                                  fmt::format("v{}.{}, {} blocks of {} bytes ({} bytes), {} chunks", s.major, s.minor,
                                              s.total_blks, s.blk_sz, out_size, s.total_chunks)});
    if (s.truncated)
      t.add_diagnostic(ctx.region, {Severity::high, "android-sparse.truncated",
                                    fmt::format("the input ends after {} of {} chunks", s.chunks.size(), s.total_chunks)});
    if (!s.bad_chunk.empty())
      t.add_diagnostic(ctx.region, {Severity::high, "android-sparse.chunk",
                                    fmt::format("{} of {} chunks read; stopped at {}", s.chunks.size(),
                                                s.total_chunks, s.bad_chunk)});
    else if (!s.truncated && s.output_blocks < s.total_blks)
      t.add_diagnostic(ctx.region, {Severity::medium, "android-sparse.short",
                                    fmt::format("the {} chunks cover {} of {} blocks; the rest is left zero",
                                                s.total_chunks, s.output_blocks, s.total_blks)});
    if (out_size > lim.max_node_bytes) {
      t.add_diagnostic(ctx.region, {Severity::high, "limit.node_bytes",
                                    fmt::format("expanded image of {} bytes exceeds the per-node limit of {} bytes; "
                                                "not expanded", out_size, lim.max_node_bytes)});
      t.set_content(ctx.region, make_blob(std::string_view()));
      return s.length;
    }
    if (out_size > lim.ratio_floor_bytes && s.length > 0 && out_size / s.length > lim.max_expansion_ratio) {
      t.add_diagnostic(ctx.region, {Severity::high, "limit.ratio",
                                    fmt::format("{} bytes expand to {} (above {}:1; a decompression bomb?); not expanded",
                                                s.length, out_size, lim.max_expansion_ratio)});
      t.set_content(ctx.region, make_blob(std::string_view()));
      return s.length;
    }
    if (!ctx.budget.take_bytes(out_size)) {
      t.add_diagnostic(ctx.region, {Severity::high, "limit.total_bytes", "total output limit reached; image not expanded"});
      t.set_content(ctx.region, make_blob(std::string_view()));
      return s.length;
    }
    std::vector<std::uint8_t> out(out_size, 0);
    std::uint64_t block = 0, crc_done = 0;
    std::uint32_t crc = 0;  // of the expanded image so far, holes as zeros
    for (const auto& c : s.chunks) {
      const std::uint64_t at = block * s.blk_sz, len = std::uint64_t{c.blocks} * s.blk_sz;
      if (ctx.budget.expired()) {
        t.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached while expanding; rest left zero"});
        break;
      }
      ByteView payload = in.tail(c.data_at).head(c.data_len);
      switch (c.type) {
        case formats::SparseChunkType::raw:
          if (!payload.empty())  // a cut chunk keeps its prefix; an empty one copies nothing
            std::memcpy(out.data() + at, payload.data(), payload.size());
          break;
        case formats::SparseChunkType::fill:
          if (payload.size() == 4)
            for (std::uint64_t k = 0; k < len; k += 4) std::memcpy(out.data() + at + k, payload.data(), 4);
          break;
        case formats::SparseChunkType::dont_care:
          break;
        case formats::SparseChunkType::crc32:
          crc = formats::crc32_update(crc, ByteView(out.data() + crc_done, at - crc_done));
          crc_done = at;
          if (payload.size() == 4) {
            std::uint32_t want = std::uint32_t{payload.data()[0]} | std::uint32_t{payload.data()[1]} << 8 |
                                 std::uint32_t{payload.data()[2]} << 16 | std::uint32_t{payload.data()[3]} << 24;
            if (want != crc)
              t.add_diagnostic(ctx.region, {Severity::medium, "android-sparse.crc",
                                            fmt::format("CRC32 chunk {:#010x} does not match the data before it "
                                                        "({:#010x})", want, crc)});
          }
          break;
      }
      block += c.blocks;
    }
    t.set_content(ctx.region, make_blob(std::move(out)));
    return s.length;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_android_sparse_unpacker() { return std::make_unique<AndroidSparseUnpacker>(); }

}  // namespace iotaudit::unpack
