#pragma once
// Linux kernel images that carry no container header of their own:
//   - ELF kernels: a plain vmlinux (with its "Linux version" banner) and the self-decompressing
//     ELF "vmlinuz" of MIPS and other ports (arch/mips/boot/compressed), a small loader whose
//     data section holds the compressed kernel;
//   - ARM64 "Image" (arch/arm64/kernel/head.S: "ARM\x64" at 0x38, image size at 0x10);
//   - x86 bzImage (arch/x86/boot/header.S: "HdrS" at 0x202, setup sectors and protected-mode size).
// ARM zImage has its own unpacker (zimage). Pure parsing; every offset is bounds-checked.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

struct PackedStream {
  std::uint64_t offset = 0;
  const char* codec = "";  // "xz", "gzip", ...
};

enum class KernelKind { vmlinux_elf, vmlinuz_elf, arm64_image, x86_bzimage };

struct KernelImage {
  KernelKind kind = KernelKind::vmlinux_elf;
  std::uint64_t length = 0;       // bytes the image occupies (0: unknown, runs to the end)
  std::uint64_t payload_at = 0;   // where the kernel proper (or its compressed form) starts
  std::string machine;            // "MIPS", "ARM", "AArch64", "x86", ...
  Endian endian = Endian::little;
  unsigned bits = 0;
  std::uint64_t entry = 0;        // ELF entry point / load offset
  std::string compression;        // vmlinuz: codec of the packed kernel ("xz", "gzip", ...)
  std::uint64_t compressed_at = 0;  // vmlinuz: offset of the packed kernel
  // vmlinuz: every plausible packed-stream start near the loader, in file order; the first that
  // decodes is the kernel (compression/compressed_at name the first candidate until then).
  std::vector<PackedStream> packed;
  std::string version;            // from a "Linux version " banner in the bytes, when present
  std::string banner;             // the whole banner line, when present
};

const char* kernel_kind_name(KernelKind k);

// Recognises a kernel image at the start of `data`. `scan_limit` bounds how many bytes are
// searched for a banner or a packed stream (the probe uses a small value; extraction the whole).
Result<KernelImage> parse_kernel_image(ByteView data, std::uint64_t scan_limit);

// Finds the first "Linux version X.Y.Z..." banner in `data` (as printed by init/version.c) and
// returns the line; version is the "X.Y.Z..." token.
struct KernelBanner {
  std::uint64_t offset = 0;
  std::string line;
  std::string version;
};
std::optional<KernelBanner> find_kernel_banner(ByteView data);

}  // namespace iotaudit::formats
