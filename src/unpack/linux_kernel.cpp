// Linux kernel images without a container header: ELF vmlinux, the self-decompressing ELF
// vmlinuz of MIPS (and other) ports, ARM64 Image and x86 bzImage. The region is labelled as a
// kernel; its content is the image after its own header, so carving finds the packed kernel
// (and, inside the decoded kernel, an embedded initramfs). ARM zImage is the zimage unpacker.
#include <fmt/format.h>

#include "formats/linux_kernel.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

// How far a probe looks for a "Linux version" banner: a whole vmlinux (tens of MiB) is searched
// only once its ELF header passed every check, which ordinary programs never do.
constexpr std::uint64_t kScanLimit = 128u << 20;

std::string endian_name(Endian e) { return e == Endian::big ? "big-endian" : "little-endian"; }

class LinuxKernelUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "linux-kernel",
        .description = "Linux kernel image: ELF vmlinux, self-decompressing ELF vmlinuz, ARM64 Image, x86 bzImage",
        .magics = {{0, std::string("\x7f" "ELF", 4)}, {0x38, std::string("ARM\x64", 4)}, {0x202, "HdrS"}},
        .references = {"Linux arch/mips/boot/compressed (ELF vmlinuz boot wrapper)",
                       "Linux Documentation/arch/arm64/booting.rst (Image header)",
                       "Linux Documentation/arch/x86/boot.rst (bzImage setup header)",
                       "Linux init/version.c (banner)"},
        .limitations = {"an ELF counts as a kernel when it is a static executable linked into the "
                        "kernel's address space and holds a \"Linux version\" banner or, near its "
                        "start, a packed stream (gzip, xz, lzma, lzo, lz4, zstd, bzip2); a "
                        "bare-metal ELF of another OS built the same way would be taken for a "
                        "kernel boot wrapper",
                        "raw (headerless) kernel binaries are not labelled; their compressed "
                        "streams are still found by carving",
                        "ARM64 Images without an EFI stub claim their in-memory size"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto k, parse(data));
    Probe p;
    p.length = k.length;
    p.detail = describe(k);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto k, parse(all));
    Tree& t = ctx.tree;
    t.add_diagnostic(ctx.region, {Severity::info, "linux-kernel.header", describe(k)});
    std::uint64_t have = k.length ? std::min<std::uint64_t>(k.length, all.size()) : all.size();
    if (k.length > all.size())
      t.add_diagnostic(ctx.region, {Severity::high, "linux-kernel.truncated",
                                    fmt::format("image declares {} bytes but only {} are present", k.length,
                                                all.size())});
    // The content starts after the image's own header, or carving would find it again.
    std::uint64_t from = std::min<std::uint64_t>(std::max<std::uint64_t>(k.payload_at, 0x40), have);
    t.set_content(ctx.region, slice_blob(ctx.data, from, have - from), from);
    return have;
  }

 private:
  // The kernel image, with a boot wrapper's packed kernel confirmed by decoding its start.
  static Result<formats::KernelImage> parse(ByteView data) {
    ASSIGN_OR_RETURN(auto k, formats::parse_kernel_image(data, kScanLimit));
    if (k.kind != formats::KernelKind::vmlinuz_elf) return k;
    for (const auto& c : k.packed) {
      auto codec = codec_from_name(c.codec);
      if (codec && stream_starts_validly(*codec, data.tail(c.offset))) {
        k.compressed_at = c.offset;
        k.compression = c.codec;
        return k;
      }
    }
    return fail(Errc::malformed, "kernel-space ELF without a packed stream that decodes");
  }

  static std::string describe(const formats::KernelImage& k) {
    std::string s = k.kind == formats::KernelKind::x86_bzimage
                        ? fmt::format("x86 {}", formats::kernel_kind_name(k.kind))
                        : fmt::format("{} {} {}-bit {}", k.machine, endian_name(k.endian), k.bits,
                                      formats::kernel_kind_name(k.kind));
    if (k.kind == formats::KernelKind::vmlinux_elf || k.kind == formats::KernelKind::vmlinuz_elf)
      s += fmt::format(", entry {:#x}", k.entry);
    if (k.kind == formats::KernelKind::arm64_image) s += fmt::format(", text offset {:#x}", k.entry);
    if (!k.compression.empty()) s += fmt::format(", {}-compressed kernel at {:#x}", k.compression, k.compressed_at);
    else if (k.compressed_at) s += fmt::format(", compressed kernel at {:#x}", k.compressed_at);
    if (k.length) s += fmt::format(", {} bytes", k.length);
    if (!k.banner.empty()) s += fmt::format(": \"{}\"", k.banner);
    return s;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_linux_kernel_unpacker() { return std::make_unique<LinuxKernelUnpacker>(); }

}  // namespace iotaudit::unpack
