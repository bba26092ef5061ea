// ARM Linux zImage: a self-decompressing kernel whose header (arch/arm/boot/compressed/head.S)
// holds the magic 0x016f2818 at 0x24 and the image's start and end addresses at 0x28 and 0x2c.
// The region spans start..end; its content is the image after that header, so carving finds the
// compressed kernel inside (gzip, xz, lzma, lzo, lz4 or zstd, per CONFIG_KERNEL_*).
#include <fmt/format.h>

#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

constexpr std::uint64_t kHeaderEnd = 0x30;
constexpr std::uint32_t kMaxImage = 128u << 20;

class ZImageUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "zimage",
        .description = "ARM Linux zImage (self-decompressing kernel)",
        .magics = {{0x24, std::string("\x18\x28\x6f\x01", 4)}, {0x24, std::string("\x01\x6f\x28\x18", 4)}},
        .references = {"Linux arch/arm/boot/compressed/head.S (zImage header)",
                       "Linux Documentation/arch/arm/booting.rst"},
        .limitations = {"the decompressor itself is not analysed; the compressed kernel inside is "
                        "found by carving"},
        .filesystem = false};
    return d;
  }

  // Big-endian kernels (CONFIG_CPU_BIG_ENDIAN) store the header words in their own byte order.
  static Endian endian_of(ByteView data) {
    return data.has_at(0x24, std::string_view("\x01\x6f\x28\x18", 4)) ? Endian::big : Endian::little;
  }

  Result<Probe> probe(ByteView data) const override {
    Reader r(data, endian_of(data));
    TRY(r.seek(0x24));
    ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t start, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t end, r.u32());
    if (magic != 0x016f2818) return fail(Errc::malformed, "no zImage magic");
    if (end <= start || end - start < kHeaderEnd + 64 || end - start > kMaxImage)
      return fail(Errc::malformed, "zImage start/end implausible");
    Probe p;
    p.length = end - start;
    p.detail = fmt::format("{}start {:#x}, end {:#x}", r.endian() == Endian::big ? "big-endian, " : "", start, end);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    Reader r(all, endian_of(all));
    TRY(r.seek(0x28));
    ASSIGN_OR_RETURN(std::uint32_t start, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t end, r.u32());
    std::uint64_t length = end - start;
    ctx.tree.add_diagnostic(ctx.region, {Severity::info, "zimage.header",
                                         fmt::format("ARM {}zImage, start {:#x}, end {:#x} ({} bytes)",
                                                     r.endian() == Endian::big ? "big-endian " : "", start, end,
                                                     length)});
    if (length > all.size())
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "zimage.truncated",
                                           fmt::format("image declares {} bytes but only {} are present", length,
                                                       all.size())});
    std::uint64_t have = std::min<std::uint64_t>(length, all.size());
    // Carving the content from 0 would find this header again; the payload starts after it.
    ctx.tree.set_content(ctx.region, slice_blob(ctx.data, kHeaderEnd, have - kHeaderEnd), kHeaderEnd);
    return have;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_zimage_unpacker() { return std::make_unique<ZImageUnpacker>(); }

}  // namespace iotaudit::unpack
