// lzop files (LZO1X blocks in the lzop container), as U-Boot and the Linux kernel use for LZO
// compression. Decoded with liblzo2.
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

class LzopUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "lzop",
        .description = "lzop compressed file (LZO1X)",
        .magics = {{0, std::string("\x89LZO\x00\r\n\x1a\n", 9)}},
        .references = {"lzop 1.04 source (src/lzop.c, p_lzo.c)", "Linux lib/decompress_unlzo.c"},
        .limitations = {"block checksums are not verified"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (!stream_starts_validly(Codec::lzo, data)) return fail(Errc::malformed, "lzop header or data invalid");
    return Probe{};
  }

  Result<std::uint64_t> unpack(Context& ctx) const override { return unpack_stream(ctx, Codec::lzo, "lzop"); }
};

}  // namespace

std::unique_ptr<Unpacker> make_lzop_unpacker() { return std::make_unique<LzopUnpacker>(); }

}  // namespace iotaudit::unpack
