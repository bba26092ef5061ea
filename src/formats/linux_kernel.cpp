#include "formats/linux_kernel.hpp"

#include "formats/crc32.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

namespace iotaudit::formats {
namespace {

constexpr std::uint16_t kEtExec = 2;
constexpr std::uint32_t kPtDynamic = 2, kPtInterp = 3;
constexpr std::uint32_t kShtNobits = 8;
constexpr std::uint16_t kMaxHeaders = 64;
constexpr std::uint64_t kNotFound = ~std::uint64_t{0};  // kernels have a handful; more is not a kernel

std::uint64_t find(ByteView data, std::string_view needle, std::uint64_t from = 0) {
  if (from >= data.size() || needle.size() > data.size() - from) return kNotFound;
  const auto* begin = reinterpret_cast<const char*>(data.data());
  const void* hit = ::memmem(begin + from, data.size() - from, needle.data(), needle.size());
  return hit == nullptr ? kNotFound : static_cast<std::uint64_t>(static_cast<const char*>(hit) - begin);
}

// Is `entry` an address the kernel of this machine runs at? Loaders and kernels link into the
// kernel's half of the address space; user programs never do.
bool kernel_space(std::uint16_t machine, unsigned bits, std::uint64_t entry) {
  switch (machine) {
    case 8:   // MIPS: KSEG0/KSEG1, or XKPHYS/CKSEG in 64-bit kernels
      return bits == 32 ? entry >= 0x80000000u : (entry >> 63) != 0;
    case 40:  // ARM: PAGE_OFFSET is 0xc0000000 (or 0x80000000/0xbf000000 with other splits)
      return entry >= 0x80000000u;
    case 183:  // AArch64: the top 16 bits set
      return (entry >> 48) == 0xffff;
    case 62:  // x86-64
      return entry >= 0xffffffff80000000ull;
    case 3:   // i386
    case 20:  // PowerPC
      return entry >= 0xc0000000u;
    case 21:  // PowerPC64
      return (entry >> 60) == 0xc;
    default:
      return false;
  }
}

struct Packed {
  const char* codec;
  std::string_view magic;
};
// Magics of the compressions a kernel's boot wrapper can carry (CONFIG_KERNEL_*).
constexpr std::array<Packed, 7> kPacked{{
    {"xz", std::string_view("\xfd" "7zXZ\0", 6)},
    {"gzip", std::string_view("\x1f\x8b\x08", 3)},
    {"zstd", std::string_view("\x28\xb5\x2f\xfd", 4)},
    {"lz4", std::string_view("\x02\x21\x4c\x18", 4)},
    {"lzo", std::string_view("\x89LZO\0", 5)},
    {"bzip2", std::string_view("BZh", 3)},
    {"lzma", std::string_view("\x5d\x00\x00", 3)},
}};

// Packed-stream magics in [from, limit), in file order, at most kMaxPacked. A boot wrapper's own
// code mentions some of them (the xz decompressor holds the xz magic as a constant), so the
// caller tries them in order; the xz stream header's CRC already rules such constants out.
constexpr std::size_t kMaxPacked = 16;

std::vector<PackedStream> packed_candidates(ByteView data, std::uint64_t from, std::uint64_t limit) {
  ByteView window = data.head(std::min<std::uint64_t>(limit, data.size()));
  std::vector<PackedStream> out;
  for (const Packed& p : kPacked) {
    std::uint64_t at = from;
    std::size_t kept = 0;
    while (kept < kMaxPacked) {
      at = find(window, p.magic, at);
      if (at == kNotFound) break;
      const std::string_view codec(p.codec);
      const std::uint8_t* b = window.data() + at;
      const std::uint64_t left = window.size() - at;
      bool plausible = true;
      if (codec == "xz") {
        // Stream flags (2 bytes) and their CRC32.
        plausible = left >= 12 && crc32_update(0, ByteView(b + 6, 2)) ==
                                      (std::uint32_t{b[8]} | std::uint32_t{b[9]} << 8 |
                                       std::uint32_t{b[10]} << 16 | std::uint32_t{b[11]} << 24);
      } else if (codec == "bzip2") {
        // "BZh" + block size digit + block magic.
        plausible = left >= 10 && b[3] >= '1' && b[3] <= '9' && std::memcmp(b + 4, "1AY&SY", 6) == 0;
      } else if (codec == "lzma") {
        // lzma-alone: properties 0x5d, a dictionary size that is a power of two >= 64 KiB.
        plausible = false;
        if (left >= 13) {
          std::uint32_t dict = 0;
          for (int i = 0; i < 4; ++i) dict |= std::uint32_t{b[1 + i]} << (8 * i);
          plausible = dict >= (1u << 16) && (dict & (dict - 1)) == 0;
        }
      }
      if (plausible) {
        out.push_back({at, p.codec});
        ++kept;
      }
      ++at;
    }
  }
  std::sort(out.begin(), out.end(), [](const PackedStream& a, const PackedStream& b) { return a.offset < b.offset; });
  if (out.size() > kMaxPacked) out.resize(kMaxPacked);
  return out;
}

Result<KernelImage> parse_elf_kernel(ByteView data, std::uint64_t scan_limit) {
  Reader r(data);
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(std::uint8_t cls, r.u8());
  ASSIGN_OR_RETURN(std::uint8_t enc, r.u8());
  if ((cls != 1 && cls != 2) || (enc != 1 && enc != 2)) return fail(Errc::malformed, "ELF ident invalid");
  KernelImage k;
  k.bits = cls == 1 ? 32 : 64;
  k.endian = enc == 1 ? Endian::little : Endian::big;
  r.set_endian(k.endian);
  TRY(r.seek(16));
  ASSIGN_OR_RETURN(std::uint16_t type, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t machine, r.u16());
  if (type != kEtExec) return fail(Errc::malformed, "not an ELF executable");
  TRY(r.skip(4));
  std::uint64_t phoff = 0, shoff = 0;
  if (k.bits == 32) {
    ASSIGN_OR_RETURN(std::uint32_t e, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t p, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t s, r.u32());
    k.entry = e;
    phoff = p;
    shoff = s;
  } else {
    ASSIGN_OR_RETURN(k.entry, r.u64());
    ASSIGN_OR_RETURN(phoff, r.u64());
    ASSIGN_OR_RETURN(shoff, r.u64());
  }
  TRY(r.skip(4 + 2));  // flags, ehsize
  ASSIGN_OR_RETURN(std::uint16_t phentsize, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t phnum, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t shentsize, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t shnum, r.u16());
  if (!kernel_space(machine, k.bits, k.entry)) return fail(Errc::malformed, "entry point outside kernel space");
  const std::uint16_t want_ph = k.bits == 32 ? 32 : 56, want_sh = k.bits == 32 ? 40 : 64;
  if (phnum == 0 || phnum > kMaxHeaders || phentsize < want_ph)
    return fail(Errc::malformed, "ELF kernel program headers implausible");
  if (shnum > kMaxHeaders * 4 || (shnum > 0 && shentsize < want_sh))
    return fail(Errc::malformed, "ELF kernel section headers implausible");
  k.machine = machine == 8 ? "MIPS" : machine == 40 ? "ARM" : machine == 183 ? "AArch64" : machine == 62 ? "x86-64"
            : machine == 3 ? "x86" : machine == 20 ? "PowerPC" : "PowerPC64";

  // The file's extent: the furthest byte any program header, section or the section table uses.
  std::uint64_t end = 0;
  auto extend = [&end](std::uint64_t off, std::uint64_t size) -> bool {
    if (off > (1ull << 32) || size > (1ull << 32)) return false;  // kernels are far below 4 GiB
    end = std::max(end, off + size);
    return true;
  };
  std::uint64_t first_load = kNotFound;
  for (std::uint16_t i = 0; i < phnum; ++i) {
    Reader ph(data, k.endian);
    TRY(ph.seek(phoff + std::uint64_t{i} * phentsize));
    ASSIGN_OR_RETURN(std::uint32_t pt, ph.u32());
    if (pt == kPtInterp || pt == kPtDynamic) return fail(Errc::malformed, "dynamically linked: not a kernel");
    std::uint64_t off = 0, filesz = 0;
    if (k.bits == 32) {
      ASSIGN_OR_RETURN(std::uint32_t o, ph.u32());
      TRY(ph.skip(8));
      ASSIGN_OR_RETURN(std::uint32_t fs, ph.u32());
      off = o;
      filesz = fs;
    } else {
      TRY(ph.skip(4));
      ASSIGN_OR_RETURN(off, ph.u64());
      TRY(ph.skip(16));
      ASSIGN_OR_RETURN(filesz, ph.u64());
    }
    if (!extend(off, filesz)) return fail(Errc::malformed, "ELF segment beyond 4 GiB");
    if (pt == 1 && filesz > 0) first_load = std::min(first_load, off);  // PT_LOAD
  }
  if (first_load == kNotFound) return fail(Errc::malformed, "ELF kernel without a loadable segment");
  if (shnum > 0) {
    if (!extend(shoff, std::uint64_t{shnum} * shentsize)) return fail(Errc::malformed, "ELF section table beyond 4 GiB");
    for (std::uint16_t i = 0; i < shnum; ++i) {
      Reader sh(data, k.endian);
      if (!sh.seek(shoff + std::uint64_t{i} * shentsize + 4)) break;  // truncated: the extent stands
      auto st = sh.u32();
      if (!st) break;
      std::uint64_t off = 0, size = 0;
      if (k.bits == 32) {
        if (!sh.skip(8)) break;
        auto o = sh.u32();
        auto s = sh.u32();
        if (!o || !s) break;
        off = *o;
        size = *s;
      } else {
        if (!sh.skip(16)) break;
        auto o = sh.u64();
        auto s = sh.u64();
        if (!o || !s) break;
        off = *o;
        size = *s;
      }
      if (*st != kShtNobits && *st != 0 && !extend(off, size))
        return fail(Errc::malformed, "ELF section beyond 4 GiB");
    }
  }
  k.length = end;
  k.payload_at = first_load;

  ByteView image = data.head(std::min<std::uint64_t>(end, data.size()));
  if (auto b = find_kernel_banner(image.head(std::min<std::uint64_t>(scan_limit, image.size())))) {
    k.kind = KernelKind::vmlinux_elf;
    k.banner = b->line;
    k.version = b->version;
    return k;
  }
  // A boot wrapper: a small loader with the packed kernel in its data, early in the file.
  k.packed = packed_candidates(image, first_load, std::min<std::uint64_t>(scan_limit, first_load + (1u << 20)));
  if (!k.packed.empty()) {
    k.kind = KernelKind::vmlinuz_elf;
    k.compressed_at = k.packed.front().offset;
    k.compression = k.packed.front().codec;
    return k;
  }
  return fail(Errc::malformed, "kernel-space ELF without a Linux banner or a packed kernel");
}

// The bytes a PE/COFF file occupies (the furthest end of a section's raw data), for kernels with
// an EFI stub ("MZ" at 0).
Result<std::uint64_t> pe_file_extent_impl(ByteView data) {
  if (!data.starts_with("MZ")) return fail(Errc::malformed, "no MZ header");
  Reader r(data, Endian::little);
  TRY(r.seek(0x3c));
  ASSIGN_OR_RETURN(std::uint32_t pe_off, r.u32());
  TRY(r.seek(pe_off));
  ASSIGN_OR_RETURN(std::uint32_t sig, r.u32());
  if (sig != 0x00004550) return fail(Errc::malformed, "no PE signature");
  TRY(r.skip(2));
  ASSIGN_OR_RETURN(std::uint16_t nsec, r.u16());
  TRY(r.skip(12));
  ASSIGN_OR_RETURN(std::uint16_t opt, r.u16());
  TRY(r.skip(2 + std::uint64_t{opt}));
  if (nsec == 0 || nsec > 96) return fail(Errc::malformed, "PE section count implausible");
  std::uint64_t end = 0;
  for (std::uint16_t i = 0; i < nsec; ++i) {
    TRY(r.skip(16));
    ASSIGN_OR_RETURN(std::uint32_t raw_size, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t raw_ptr, r.u32());
    TRY(r.skip(16));
    end = std::max<std::uint64_t>(end, std::uint64_t{raw_ptr} + raw_size);
  }
  if (end == 0) return fail(Errc::malformed, "PE without raw data");
  return end;
}

std::optional<std::uint64_t> pe_file_extent(ByteView data) {
  auto r = pe_file_extent_impl(data);
  if (!r) return std::nullopt;
  return *r;
}

Result<KernelImage> parse_arm64_image(ByteView data, std::uint64_t scan_limit) {
  Reader r(data, Endian::little);
  TRY(r.seek(0x08));
  ASSIGN_OR_RETURN(std::uint64_t text_offset, r.u64());
  ASSIGN_OR_RETURN(std::uint64_t image_size, r.u64());
  ASSIGN_OR_RETURN(std::uint64_t flags, r.u64());
  TRY(r.seek(0x38));
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != 0x644d5241) return fail(Errc::malformed, "no ARM64 Image magic");
  if (text_offset > (64u << 20) || (flags >> 4) != 0 || image_size > (512u << 20))
    return fail(Errc::malformed, "ARM64 Image header implausible");
  KernelImage k;
  k.kind = KernelKind::arm64_image;
  k.machine = "AArch64";
  k.bits = 64;
  k.endian = (flags & 1) ? Endian::big : Endian::little;
  k.entry = text_offset;
  // image_size is the size in memory (bss included): an upper bound of the file, 0 in kernels
  // before 3.17. A PE header (EFI stub) names the file's extent exactly.
  std::uint64_t length = image_size;
  if (auto pe_end = pe_file_extent(data)) length = *pe_end;
  k.length = length;
  ByteView image = data.head(std::min<std::uint64_t>({length ? length : data.size(), data.size(), scan_limit}));
  if (auto b = find_kernel_banner(image)) {
    k.banner = b->line;
    k.version = b->version;
  }
  return k;
}

Result<KernelImage> parse_bzimage(ByteView data) {
  Reader r(data, Endian::little);
  TRY(r.seek(0x1f1));
  ASSIGN_OR_RETURN(std::uint8_t setup_sects, r.u8());
  TRY(r.seek(0x1f4));
  ASSIGN_OR_RETURN(std::uint32_t syssize, r.u32());
  TRY(r.seek(0x1fe));
  ASSIGN_OR_RETURN(std::uint16_t boot_flag, r.u16());
  TRY(r.skip(2));  // the jump at 0x200
  ASSIGN_OR_RETURN(std::uint32_t hdrs, r.u32());
  ASSIGN_OR_RETURN(std::uint16_t protocol, r.u16());
  if (boot_flag != 0xaa55 || hdrs != 0x53726448) return fail(Errc::malformed, "no x86 boot header");
  if (setup_sects == 0) setup_sects = 4;
  std::uint64_t setup = (std::uint64_t{setup_sects} + 1) * 512;
  std::uint64_t length = setup + std::uint64_t{syssize} * 16;
  if (syssize == 0 || length > (256u << 20)) return fail(Errc::malformed, "x86 bzImage sizes implausible");
  KernelImage k;
  k.kind = KernelKind::x86_bzimage;
  k.machine = "x86";
  k.length = length;
  k.payload_at = setup;
  if (protocol >= 0x0208) {
    Reader p(data, Endian::little);
    if (p.seek(0x248)) {
      auto payload_offset = p.u32();
      if (payload_offset && setup + *payload_offset < length) k.compressed_at = setup + *payload_offset;
    }
  }
  // kernel_version: a pointer (minus 0x200) to a NUL-terminated version string in the setup code.
  Reader v(data, Endian::little);
  if (v.seek(0x20e)) {
    auto ptr = v.u16();
    if (ptr && *ptr != 0 && std::uint64_t{*ptr} + 0x200 < std::min(setup, data.size())) {
      ByteView s = data.tail(std::uint64_t{*ptr} + 0x200).head(256);
      std::string text;
      for (std::size_t i = 0; i < s.size() && s.data()[i] >= 0x20 && s.data()[i] < 0x7f; ++i)
        text.push_back(static_cast<char>(s.data()[i]));
      if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
        k.banner = text;
        k.version = text.substr(0, text.find(' '));
      }
    }
  }
  return k;
}

}  // namespace

const char* kernel_kind_name(KernelKind k) {
  switch (k) {
    case KernelKind::vmlinux_elf: return "ELF vmlinux";
    case KernelKind::vmlinuz_elf: return "self-decompressing ELF (vmlinuz)";
    case KernelKind::arm64_image: return "Image";
    case KernelKind::x86_bzimage: return "bzImage";
  }
  return "kernel";
}

std::optional<KernelBanner> find_kernel_banner(ByteView data) {
  constexpr std::string_view kPrefix = "Linux version ";
  std::uint64_t at = 0;
  for (int tries = 0; tries < 64; ++tries) {
    at = find(data, kPrefix, at);
    if (at == kNotFound) return std::nullopt;
    std::uint64_t v = at + kPrefix.size();
    // "X.Y" then more version characters, then " (" - what init/version.c prints.
    std::uint64_t e = v;
    while (e < data.size() && e - v < 64) {
      char c = static_cast<char>(data.data()[e]);
      if (c == ' ' || c == '\0' || c == '\n') break;
      ++e;
    }
    std::string version(reinterpret_cast<const char*>(data.data() + v), e - v);
    bool looks = version.size() >= 3 && version[0] >= '0' && version[0] <= '9' &&
                 version.find('.') != std::string::npos && version.find('%') == std::string::npos &&
                 e + 1 < data.size() && data.data()[e] == ' ' && data.data()[e + 1] == '(';
    if (looks) {
      std::uint64_t end = e;
      while (end < data.size() && end - at < 512 && data.data()[end] != '\0' && data.data()[end] != '\n') ++end;
      KernelBanner b;
      b.offset = at;
      b.line.assign(reinterpret_cast<const char*>(data.data() + at), end - at);
      for (char& c : b.line)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
      b.version = std::move(version);
      return b;
    }
    at = v;
  }
  return std::nullopt;
}

Result<KernelImage> parse_kernel_image(ByteView data, std::uint64_t scan_limit) {
  if (data.starts_with("\x7f" "ELF")) return parse_elf_kernel(data, scan_limit);
  if (data.size() >= 0x3c && std::memcmp(data.data() + 0x38, "ARM\x64", 4) == 0)
    return parse_arm64_image(data, scan_limit);
  if (data.size() >= 0x206 && std::memcmp(data.data() + 0x202, "HdrS", 4) == 0) return parse_bzimage(data);
  return fail(Errc::malformed, "no kernel image header");
}

}  // namespace iotaudit::formats
