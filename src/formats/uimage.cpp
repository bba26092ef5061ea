#include "formats/uimage.hpp"

#include <array>

#include "formats/crc32.hpp"

namespace iotaudit::formats {

namespace {
// Names as in U-Boot's common/image.c tables (uimage_os, uimage_arch, uimage_type, uimage_comp).
std::string lookup(std::uint8_t v, const char* const* names, std::size_t count, const char* what) {
  if (v < count && names[v] != nullptr && names[v][0] != '\0') return names[v];
  return std::string(what) + " " + std::to_string(v);
}
}  // namespace

std::string UImageHeader::os_name() const {
  static const char* const k[] = {"invalid", "openbsd", "netbsd", "freebsd", "4_4bsd", "linux",
                                  "svr4", "esix", "solaris", "irix", "sco", "dell", "ncr", "lynxos",
                                  "vxworks", "psos", "qnx", "u-boot", "rtems", "artos", "unity",
                                  "integrity", "ose", "plan9", "openrtos", "arm-trusted-firmware",
                                  "tee", "opensbi", "efi"};
  return lookup(os, k, std::size(k), "os");
}

std::string UImageHeader::arch_name() const {
  static const char* const k[] = {"invalid", "alpha", "arm", "x86", "ia64", "mips", "mips64",
                                  "ppc", "s390", "sh", "sparc", "sparc64", "m68k", "nios",
                                  "microblaze", "nios2", "blackfin", "avr32", "st200", "sandbox",
                                  "nds32", "openrisc", "arm64", "arc", "x86_64", "xtensa", "riscv"};
  return lookup(arch, k, std::size(k), "arch");
}

std::string UImageHeader::type_name() const {
  static const char* const k[] = {"invalid", "standalone", "kernel", "ramdisk", "multi", "firmware",
                                  "script", "filesystem", "flat_dt", "kwbimage", "imximage",
                                  "ublimage", "omapimage", "aisimage", "kernel_noload", "pblimage",
                                  "mxsimage", "gpimage", "atmelimage", "socfpgaimage", "x86_setup",
                                  "lpc32xximage", "loadable", "rkimage", "rksd", "rkspi",
                                  "zynqimage", "zynqmpimage", "zynqmpbif", "fpga", "vybridimage",
                                  "tee", "firmware_ivt", "pmmc", "stm32image", "socfpgaimage_v1",
                                  "mtk_image", "copro", "sunxi_egon"};
  return lookup(type, k, std::size(k), "type");
}

std::string UImageHeader::comp_name() const {
  static const char* const k[] = {"none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd"};
  return lookup(comp, k, std::size(k), "compression");
}

Result<UImageHeader> parse_uimage_header(ByteView data) {
  ASSIGN_OR_RETURN(ByteView hdr, data.sub(0, kUImageHeaderSize));
  Reader r(hdr, Endian::big);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kUImageMagic) return fail(Errc::malformed, "no uImage magic");
  UImageHeader h;
  ASSIGN_OR_RETURN(h.header_crc, r.u32());
  ASSIGN_OR_RETURN(h.time, r.u32());
  ASSIGN_OR_RETURN(h.size, r.u32());
  ASSIGN_OR_RETURN(h.load, r.u32());
  ASSIGN_OR_RETURN(h.entry, r.u32());
  ASSIGN_OR_RETURN(h.data_crc, r.u32());
  ASSIGN_OR_RETURN(h.os, r.u8());
  ASSIGN_OR_RETURN(h.arch, r.u8());
  ASSIGN_OR_RETURN(h.type, r.u8());
  ASSIGN_OR_RETURN(h.comp, r.u8());
  ASSIGN_OR_RETURN(h.name, r.fixed_string(32));
  std::array<std::uint8_t, kUImageHeaderSize> copy{};
  for (std::size_t i = 0; i < copy.size(); ++i) copy[i] = hdr.data()[i];
  for (std::size_t i = 4; i < 8; ++i) copy[i] = 0;
  h.header_crc_ok = crc32(ByteView(copy.data(), copy.size())) == h.header_crc;
  return h;
}

Result<std::vector<UImagePart>> parse_uimage_multi(ByteView payload, std::size_t max_parts) {
  Reader r(payload, Endian::big);
  std::vector<std::uint32_t> sizes;
  while (true) {
    ASSIGN_OR_RETURN(std::uint32_t s, r.u32());
    if (s == 0) break;
    if (sizes.size() >= max_parts) return fail(Errc::malformed, "multi-file size table too long");
    sizes.push_back(s);
  }
  std::vector<UImagePart> parts;
  std::uint64_t off = r.pos();
  for (std::uint32_t s : sizes) {
    parts.push_back({off, s});
    off += (static_cast<std::uint64_t>(s) + 3) & ~std::uint64_t{3};
  }
  return parts;
}

}  // namespace iotaudit::formats
