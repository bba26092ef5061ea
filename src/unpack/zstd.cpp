// Zstandard frames (magic 0xFD2FB528). Decoded with libzstd, window capped at 128 MiB.
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

class ZstdUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "zstd",
        .description = "Zstandard compressed frame",
        .magics = {{0, std::string("\x28\xb5\x2f\xfd", 4)}},
        .references = {"RFC 8878 (Zstandard Compression and the application/zstd Media Type)"},
        .limitations = {"one frame per region; frames needing a window above 128 MiB are refused"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (data.size() < 9) return fail(Errc::truncated, "zstd frame header truncated");
    // Frame header descriptor: bit 3 is reserved and must be zero (RFC 8878 3.1.1.1.1).
    if ((data.data()[4] & 0x08) != 0) return fail(Errc::malformed, "zstd reserved bit set");
    if (!stream_starts_validly(Codec::zstd, data)) return fail(Errc::malformed, "zstd data does not decode");
    return Probe{};
  }

  Result<std::uint64_t> unpack(Context& ctx) const override { return unpack_stream(ctx, Codec::zstd, "zstd"); }
};

}  // namespace

std::unique_ptr<Unpacker> make_zstd_unpacker() { return std::make_unique<ZstdUnpacker>(); }

}  // namespace iotaudit::unpack
