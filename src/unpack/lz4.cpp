// LZ4 frames (magic 0x184D2204) and the legacy format (magic 0x184C2102) the Linux kernel uses
// for LZ4-compressed images and initramfs. Decoded with liblz4.
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

class Lz4Unpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "lz4",
        .description = "LZ4 compressed stream (frame format and legacy format)",
        .magics = {{0, std::string("\x04\x22\x4d\x18", 4)}, {0, std::string("\x02\x21\x4c\x18", 4)}},
        .references = {"https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md",
                       "Linux lib/decompress_unlz4.c (legacy format)"},
        .limitations = {"the legacy format has no end marker: it ends at the first block that "
                        "cannot be one"},
        .filesystem = false};
    return d;
  }

  static Codec codec_of(ByteView d) {
    return d.starts_with(std::string_view("\x02\x21\x4c\x18", 4)) ? Codec::lz4_legacy : Codec::lz4;
  }

  Result<Probe> probe(ByteView data) const override {
    if (data.size() < 8) return fail(Errc::truncated, "lz4 header truncated");
    Codec c = codec_of(data);
    // Frame format: FLG version bits must be 01.
    if (c == Codec::lz4 && (data.data()[4] & 0xC0) != 0x40) return fail(Errc::malformed, "lz4 frame version not 1");
    if (!stream_starts_validly(c, data)) return fail(Errc::malformed, "lz4 data does not decode");
    Probe p;
    p.detail = c == Codec::lz4 ? "frame" : "legacy";
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    Codec c = codec_of(ctx.data->view());
    Decoded d = decode_stream(c, ctx.data->view(), ctx.budget, "lz4");
    std::uint64_t consumed = d.consumed;
    store_decoded(ctx.tree, ctx.budget, ctx.region, std::move(d));
    return consumed;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_lz4_unpacker() { return std::make_unique<Lz4Unpacker>(); }

}  // namespace iotaudit::unpack
