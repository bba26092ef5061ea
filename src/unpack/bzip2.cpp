// bzip2 streams: "BZh" + block size digit, then the first block's magic (pi, 0x314159265359) or,
// for an empty stream, the end-of-stream magic (sqrt(pi), 0x177245385090). Decoded with libbz2.
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

std::vector<Magic> bzip2_magics() {
  std::vector<Magic> out;
  for (char level = '1'; level <= '9'; ++level)
    out.push_back({0, std::string("BZh") + level + std::string("\x31\x41\x59\x26\x53\x59", 6)});
  return out;
}

class Bzip2Unpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "bzip2",
        .description = "bzip2 compressed stream",
        .magics = bzip2_magics(),
        .references = {"bzip2 1.0.8 source (no formal specification); "
                       "https://github.com/dsnet/compress/blob/master/doc/bzip2-format.pdf"},
        .limitations = {"one stream per region (concatenated streams are carved one by one)"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    if (data.size() < 14 || !data.starts_with("BZh") || data.data()[3] < '1' || data.data()[3] > '9')
      return fail(Errc::malformed, "no bzip2 header");
    if (!stream_starts_validly(Codec::bzip2, data)) return fail(Errc::malformed, "bzip2 data does not decode");
    return Probe{};
  }

  Result<std::uint64_t> unpack(Context& ctx) const override { return unpack_stream(ctx, Codec::bzip2, "bzip2"); }
};

}  // namespace

std::unique_ptr<Unpacker> make_bzip2_unpacker() { return std::make_unique<Bzip2Unpacker>(); }

}  // namespace iotaudit::unpack
