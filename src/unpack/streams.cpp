// Compressed streams decoded with zlib and liblzma directly (rather than through libarchive) because
// carving needs the exact number of compressed bytes a stream occupies, which libarchive's
// filter API does not expose. The decoded bytes become the region's content.
#include <zlib.h>
#include <lzma.h>

#include <cstring>

#include <fmt/format.h>

#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

// Grows the output while enforcing the per-node cap, the total budget and the expansion ratio.
class OutputGuard {
 public:
  OutputGuard(Budget& b) : budget_(b) {}
  // Returns an error message when `out` (the total so far) against `in` consumed breaks a limit.
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

void finish(Context& ctx, std::vector<std::uint8_t> out, const std::optional<Diagnostic>& cut) {
  // Output grows a chunk at a time, so the last chunk may run past the per-node cap: keep the cap.
  out.resize(std::min<std::uint64_t>(out.size(), ctx.budget.limits().max_node_bytes));
  if (!ctx.budget.take_bytes(out.size())) {
    ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.total_bytes",
                                         "total output limit reached; stream discarded"});
    out.clear();
  }
  if (cut) ctx.tree.add_diagnostic(ctx.region, *cut);
  ctx.tree.set_content(ctx.region, make_blob(std::move(out)));
}

class GzipUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "gzip",
        .description = "gzip compressed stream (one member)",
        .magics = {{0, std::string("\x1f\x8b\x08", 3)}},
        .references = {"RFC 1952"},
        .limitations = {"a multi-member file is carved as one region per member"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (data.size() < 18 || !data.starts_with(std::string_view("\x1f\x8b\x08", 3)))
      return fail(Errc::malformed, "no gzip header");
    if ((data.data()[3] & 0xE0) != 0) return fail(Errc::malformed, "gzip reserved flags set");
    // Dry run: inflate the first few KiB; random bytes after a magic fail within a few bytes.
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return fail(Errc::internal, "zlib init");
    std::uint8_t out[16384];
    ByteView head = data.head(8192);
    zs.next_in = const_cast<Bytef*>(head.data());
    zs.avail_in = static_cast<uInt>(head.size());
    zs.next_out = out;
    zs.avail_out = sizeof out;
    int rc = inflate(&zs, Z_SYNC_FLUSH);
    std::uint64_t produced = sizeof out - zs.avail_out;
    inflateEnd(&zs);
    if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && produced > 0))
      return fail(Errc::malformed, "gzip data does not inflate");
    if (produced == 0 && rc != Z_STREAM_END) return fail(Errc::malformed, "gzip data empty");
    return Probe{};
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView in = ctx.data->view();
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return fail(Errc::internal, "zlib init");
    std::vector<std::uint8_t> out;
    std::uint64_t consumed = 0;
    std::optional<Diagnostic> cut;
    OutputGuard guard(ctx.budget);
    int rc = Z_OK;
    while (true) {
      std::uint64_t left = in.size() - consumed;
      zs.next_in = const_cast<Bytef*>(in.data() + consumed);
      zs.avail_in = static_cast<uInt>(std::min<std::uint64_t>(left, 1u << 30));
      std::size_t before = out.size();
      out.resize(before + (1u << 18));
      zs.next_out = out.data() + before;
      zs.avail_out = 1u << 18;
      uInt avail_in_before = zs.avail_in;
      rc = inflate(&zs, Z_NO_FLUSH);
      consumed += avail_in_before - zs.avail_in;
      out.resize(out.size() - zs.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK) {
        cut = Diagnostic{Severity::medium, "gzip.partial",
                         rc == Z_BUF_ERROR ? std::string("gzip stream truncated; partial output kept")
                                           : fmt::format("gzip data error: {}; partial output kept",
                                                         zs.msg ? zs.msg : "corrupt")};
        break;
      }
      if (auto g = guard.check(out.size(), consumed)) {
        cut = *g;
        break;
      }
    }
    inflateEnd(&zs);
    finish(ctx, std::move(out), cut);
    return consumed;
  }
};

class XzUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "xz",
        .description = "xz compressed stream",
        .magics = {{0, std::string("\xfd" "7zXZ\x00", 6)}},
        .references = {"https://tukaani.org/xz/xz-file-format.txt"},
        .limitations = {"streams whose dictionary needs more than 512 MiB of memory are reported "
                        "as unsupported, not decoded"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (data.size() < 32 || !data.starts_with(std::string_view("\xfd" "7zXZ\x00", 6)))
      return fail(Errc::malformed, "no xz header");
    // Stream flags (2 bytes) are protected by a CRC32 in the header.
    std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, data.data() + 6, 2));
    Reader r(data);
    TRY(r.seek(8));
    ASSIGN_OR_RETURN(std::uint32_t stored, r.u32());
    if (crc != stored) return fail(Errc::malformed, "xz stream header CRC mismatch");
    return Probe{};
  }

  // Shared with the containers that name xz for their payload: the same memory cap on the
  // dictionary a header may declare, the same output limits.
  Result<std::uint64_t> unpack(Context& ctx) const override { return unpack_stream(ctx, Codec::xz, "xz"); }
};

}  // namespace

std::unique_ptr<Unpacker> make_gzip_unpacker() { return std::make_unique<GzipUnpacker>(); }
std::unique_ptr<Unpacker> make_xz_unpacker() { return std::make_unique<XzUnpacker>(); }

}  // namespace iotaudit::unpack
