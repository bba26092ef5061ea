// lzma-alone streams (.lzma, "LZMA_Alone"): 13-byte header (properties byte, dictionary size,
// uncompressed size or -1) then raw LZMA1 data. There is no magic; carving uses the header bytes
// most encoders write (lc/lp/pb 3/0/2 = 0x5d, 4/0/2 = 0x5e, OpenWrt's ar71xx kernels 1/2/2 = 0x6d,
// DD-WRT's 2/2/2 = 0x6e) followed by
// a power-of-two dictionary size, and the probe decodes the first KiB.
#include <fmt/format.h>

#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

// Larger claims are not kernels or filesystems but misread bytes.
constexpr std::uint64_t kMaxUncompressed = 4ULL << 30;

std::vector<Magic> lzma_magics() {
  std::vector<Magic> out;
  for (char props : {'\x5d', '\x5e', '\x6d', '\x6e'})
    for (unsigned log = 16; log <= 26; ++log) {
      std::uint32_t dict = 1u << log;
      std::string m(5, '\0');
      m[0] = props;
      for (int i = 0; i < 4; ++i) m[1 + i] = static_cast<char>((dict >> (8 * i)) & 0xff);
      out.push_back({0, m});
    }
  return out;
}

class LzmaUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "lzma",
        .description = "lzma-alone compressed stream (LZMA1 with 13-byte header)",
        .magics = lzma_magics(),
        .references = {"LZMA SDK lzma.txt (.lzma file format)", "xz-utils liblzma lzma_alone_decoder"},
        .limitations = {"carved only with properties 0x5d, 0x5e, 0x6d or 0x6e and a power-of-two dictionary "
                        "of 64 KiB to 64 MiB; other headers are decoded when a container names the "
                        "compression"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    Reader r(data, Endian::little);
    ASSIGN_OR_RETURN(std::uint8_t props, r.u8());
    ASSIGN_OR_RETURN(std::uint32_t dict, r.u32());
    ASSIGN_OR_RETURN(std::uint64_t size, r.u64());
    if (props >= 225) return fail(Errc::malformed, "lzma properties byte out of range");
    if (dict < 4096 || dict > (1u << 29)) return fail(Errc::malformed, "lzma dictionary size implausible");
    if (size != UINT64_MAX && (size == 0 || size > kMaxUncompressed))
      return fail(Errc::malformed, "lzma uncompressed size implausible");
    if (!stream_starts_validly(Codec::lzma, data)) return fail(Errc::malformed, "lzma data does not decode");
    Probe p;
    p.detail = size == UINT64_MAX ? fmt::format("dictionary {} bytes, size unknown", dict)
                                  : fmt::format("dictionary {} bytes, {} bytes uncompressed", dict, size);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override { return unpack_stream(ctx, Codec::lzma, "lzma"); }
};

}  // namespace

std::unique_ptr<Unpacker> make_lzma_unpacker() { return std::make_unique<LzmaUnpacker>(); }

}  // namespace iotaudit::unpack
