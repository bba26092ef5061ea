// Linux kernel images built by hand: a MIPS ELF boot wrapper with a packed kernel, an AArch64
// vmlinux with its banner, ARM64 Image (with and without an EFI stub), x86 bzImage; ordinary
// static programs, dynamic programs and truncated images must not be taken for kernels.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "formats/linux_kernel.hpp"
#include "unit/support/buffer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string kernel_text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "kernel code and data " + std::to_string(s.size()) + "\n";
  s.resize(n);
  return s;
}

struct ElfSpec {
  bool big = false;
  bool elf64 = false;
  std::uint16_t machine = 8;  // MIPS
  std::uint64_t entry = 0x80100000;
  bool interp = false;
  std::uint64_t load_off = 0x1000;
  std::string data;           // bytes of the loadable segment
  bool sections = true;       // a section table after the data
};

// A static ELF executable with one PT_LOAD (and optionally a PT_INTERP) holding `data`, followed
// by a two-entry section table; returns the bytes.
std::vector<std::uint8_t> make_elf(const ElfSpec& s) {
  Buffer b(s.big);
  b.raw(0, "\x7f" "ELF");
  b.u8(4, s.elf64 ? 2 : 1);
  b.u8(5, s.big ? 2 : 1);
  b.u8(6, 1);
  b.u16(16, 2);  // ET_EXEC
  b.u16(18, s.machine);
  b.u32(20, 1);
  const std::size_t ph = s.elf64 ? 64 : 52, phsz = s.elf64 ? 56 : 32, shsz = s.elf64 ? 64 : 40;
  const std::uint16_t phnum = s.interp ? 2 : 1;
  std::uint64_t shoff = s.load_off + s.data.size();
  shoff = (shoff + 7) & ~std::uint64_t{7};
  if (s.elf64) {
    b.u64(24, s.entry);
    b.u64(32, ph);
    b.u64(40, s.sections ? shoff : 0);
    b.u16(52, 64);
    b.u16(54, static_cast<std::uint16_t>(phsz));
    b.u16(56, phnum);
    b.u16(58, static_cast<std::uint16_t>(shsz));
    b.u16(60, s.sections ? 2 : 0);
  } else {
    b.u32(24, static_cast<std::uint32_t>(s.entry));
    b.u32(28, static_cast<std::uint32_t>(ph));
    b.u32(32, s.sections ? static_cast<std::uint32_t>(shoff) : 0);
    b.u16(40, 52);
    b.u16(42, static_cast<std::uint16_t>(phsz));
    b.u16(44, phnum);
    b.u16(46, static_cast<std::uint16_t>(shsz));
    b.u16(48, s.sections ? 2 : 0);
  }
  auto phdr = [&](std::size_t at, std::uint32_t type, std::uint64_t off, std::uint64_t size) {
    b.u32(at, type);
    if (s.elf64) {
      b.u32(at + 4, 7);
      b.u64(at + 8, off);
      b.u64(at + 16, s.entry);
      b.u64(at + 24, s.entry);
      b.u64(at + 32, size);
      b.u64(at + 40, size);
    } else {
      b.u32(at + 4, static_cast<std::uint32_t>(off));
      b.u32(at + 8, static_cast<std::uint32_t>(s.entry));
      b.u32(at + 12, static_cast<std::uint32_t>(s.entry));
      b.u32(at + 16, static_cast<std::uint32_t>(size));
      b.u32(at + 20, static_cast<std::uint32_t>(size));
    }
  };
  phdr(ph, 1, s.load_off, s.data.size());
  if (s.interp) {
    b.raw(0x200, "/lib/ld.so.1");
    phdr(ph + phsz, 3, 0x200, 13);
  }
  b.raw(s.load_off, s.data);
  if (s.sections) {
    // [0] NULL, [1] PROGBITS covering the data.
    std::size_t e1 = shoff + shsz;
    b.resize(shoff + 2 * shsz);
    b.u32(e1 + 4, 1);
    if (s.elf64) {
      b.u64(e1 + 24, s.load_off);
      b.u64(e1 + 32, s.data.size());
    } else {
      b.u32(e1 + 16, static_cast<std::uint32_t>(s.load_off));
      b.u32(e1 + 20, static_cast<std::uint32_t>(s.data.size()));
    }
  }
  return b.bytes();
}

// The boot wrapper of a MIPS kernel: loader code, then the gzip'd kernel in its data.
struct Vmlinuz {
  std::vector<std::uint8_t> elf;
  std::string kernel;
  std::size_t packed_at = 0;
};

Vmlinuz make_vmlinuz(bool big = false) {
  Vmlinuz v;
  v.kernel = kernel_text(60000) + "Linux version 6.1.176 (builder@host) (gcc 12) #1 SMP\n";
  auto gz = gzip(v.kernel);
  ElfSpec s;
  s.big = big;
  // "Loader code" holding the magics its decompressors test for (as Linux's do), then the stream.
  std::string loader = std::string(0x100, '\x27') + std::string("\xfd" "7zXZ\0\0\0\0\0", 10) +
                       std::string("\x1f\x8b\x08\0", 4);
  loader.resize(0x800, '\x27');
  s.data = loader + std::string(gz.begin(), gz.end());
  v.packed_at = s.load_off + 0x800;
  v.elf = make_elf(s);
  return v;
}

ByteView view(const std::vector<std::uint8_t>& v) { return ByteView(v.data(), v.size()); }

NodeId find_format(const Tree& t, std::string_view format) {
  for (NodeId id : all_regions(t))
    if (t.at(id).format == format) return id;
  return kNoNode;
}

TEST(LinuxKernel, MipsBootWrapperIsAKernelAndItsPackedKernelIsDecoded) {
  for (bool big : {false, true}) {
    Vmlinuz v = make_vmlinuz(big);
    auto k = formats::parse_kernel_image(view(v.elf), 1u << 20);
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_EQ(k->kind, formats::KernelKind::vmlinuz_elf);
    // The loader's own constants come first; the stream is among the candidates, and only it
    // decodes (checked through the unpacker below).
    bool listed = false;
    for (const auto& c : k->packed) listed = listed || (c.offset == v.packed_at && std::string(c.codec) == "gzip");
    EXPECT_TRUE(listed);
    EXPECT_LT(k->packed.front().offset, v.packed_at);
    auto probe = unpack::find("linux-kernel")->probe(view(v.elf));
    ASSERT_TRUE(probe);
    EXPECT_NE(probe->detail.find(fmt::format("gzip-compressed kernel at {:#x}", v.packed_at)), std::string::npos)
        << probe->detail;
    EXPECT_EQ(k->length, v.elf.size());
    EXPECT_EQ(k->machine, "MIPS");

    // Inside a flash image, after 4 KiB of something else and followed by padding.
    std::vector<std::uint8_t> flash(4096, 0x11);
    flash.insert(flash.end(), v.elf.begin(), v.elf.end());
    flash.resize(flash.size() + 8192, 0xff);
    auto t = unpack_bytes(flash);
    NodeId r = find_format(*t, "linux-kernel");
    ASSERT_NE(r, kNoNode) << diag_dump(*t);
    EXPECT_EQ(t->at(r).origin.offset, 4096u);
    EXPECT_EQ(t->at(r).origin.length, v.elf.size());
    EXPECT_TRUE(has_diag(*t, r, "linux-kernel.header"));
    NodeId g = kNoNode;
    for (NodeId c : regions_of(*t, r))
      if (t->at(c).format == "gzip") g = c;
    ASSERT_NE(g, kNoNode) << diag_dump(*t);
    EXPECT_EQ(t->at(g).origin.offset, v.packed_at);  // from the ELF's first byte
    EXPECT_EQ(content_of(*t, g), v.kernel);
  }
}

TEST(LinuxKernel, VmlinuxBannerGivesTheVersion) {
  ElfSpec s;
  s.elf64 = true;
  s.machine = 183;
  s.entry = 0xffff800008000000ull;
  s.data = kernel_text(20000) + std::string("Linux version 6.1.0-13-arm64 (debian-kernel@lists.debian.org) "
                                            "(gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP Debian 6.1.55-1") +
           '\0' + kernel_text(1000);
  auto elf = make_elf(s);
  auto k = formats::parse_kernel_image(view(elf), 1u << 20);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->kind, formats::KernelKind::vmlinux_elf);
  EXPECT_EQ(k->version, "6.1.0-13-arm64");
  EXPECT_EQ(k->banner.rfind("Linux version 6.1.0-13-arm64 (debian-kernel@", 0), 0u) << k->banner;
  EXPECT_EQ(k->machine, "AArch64");
}

TEST(LinuxKernel, BannerNeedsTheShapeInitVersionPrints) {
  auto none = [](std::string s) {
    return !formats::find_kernel_banner(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_TRUE(none("Linux version %s (%s@%s)"));
  EXPECT_TRUE(none("Linux version unknown"));
  EXPECT_TRUE(none("Linux version 5.4"));  // no " (" after the version
  auto b = formats::find_kernel_banner(view(std::vector<std::uint8_t>{}));
  EXPECT_FALSE(b);
  std::string two = "Linux version %s (x)\nLinux version 2.6.36.4brcmarm (root@h) (gcc 4.5.3) #1\n";
  auto hit = formats::find_kernel_banner(ByteView(reinterpret_cast<const std::uint8_t*>(two.data()), two.size()));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->version, "2.6.36.4brcmarm");
  EXPECT_EQ(hit->offset, two.find("Linux version 2"));
}

TEST(LinuxKernel, UserProgramsAreNotKernels) {
  Vmlinuz v = make_vmlinuz();
  const unpack::Unpacker* u = unpack::find("linux-kernel");
  ASSERT_NE(u, nullptr);
  ASSERT_TRUE(u->probe(view(v.elf)));
  // The same bytes linked at a user address (a static busybox is at 0x400000).
  ElfSpec user;
  user.entry = 0x00400000;
  user.data = std::string(0x800, '\x27') + std::string(reinterpret_cast<const char*>(v.elf.data()) + v.packed_at,
                                                      v.elf.size() - v.packed_at);
  EXPECT_FALSE(u->probe(view(make_elf(user))));
  // A dynamically linked program, even at a kernel-looking address.
  ElfSpec dyn = user;
  dyn.entry = 0x80100000;
  dyn.interp = true;
  EXPECT_FALSE(u->probe(view(make_elf(dyn))));
  // A kernel-space ELF with neither a banner nor a packed kernel.
  ElfSpec bare;
  bare.data = kernel_text(5000);
  EXPECT_FALSE(u->probe(view(make_elf(bare))));
  // A gzip magic that does not start a valid stream.
  ElfSpec fake;
  fake.data = std::string(0x100, '\x27') + std::string("\x1f\x8b\x08\x00garbage that is not deflate", 30) +
              kernel_text(3000);
  EXPECT_FALSE(u->probe(view(make_elf(fake))));
  // Random bytes after the ELF magic.
  std::vector<std::uint8_t> junk(4096);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
  junk[0] = 0x7f, junk[1] = 'E', junk[2] = 'L', junk[3] = 'F';
  EXPECT_FALSE(u->probe(view(junk)));
}

TEST(LinuxKernel, TruncationNeverCrashesAndIsReported) {
  Vmlinuz v = make_vmlinuz();
  for (std::size_t cut : {16u, 52u, 100u, 0x1000u, 0x1800u, 0x2000u}) {
    std::vector<std::uint8_t> part(v.elf.begin(), v.elf.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId r = find_format(*t, "linux-kernel");
    if (r != kNoNode) EXPECT_TRUE(has_diag(*t, r, "linux-kernel.truncated")) << cut;
  }
  // Cut inside the packed kernel: still a kernel, reported as truncated, the stream keeps a prefix.
  std::vector<std::uint8_t> part(v.elf.begin(), v.elf.begin() + static_cast<std::ptrdiff_t>(v.packed_at + 4000));
  auto t = unpack_bytes(part);
  NodeId r = find_format(*t, "linux-kernel");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, r, "linux-kernel.truncated"));
}

std::vector<std::uint8_t> make_arm64_image(bool efi, std::size_t body, std::uint64_t image_size) {
  Buffer b(false);
  b.resize(0x40 + body);
  if (efi) b.raw(0, "MZ");
  b.u64(0x08, 0x80000);     // text_offset
  b.u64(0x10, image_size);  // in-memory size
  b.u64(0x18, 0x0a);        // flags: 4K pages, LE
  b.raw(0x38, "ARM\x64");
  std::string text = kernel_text(body / 2) + "Linux version 6.1.0-9-arm64 (b@h) (gcc) #1 SMP";
  b.raw(0x200, text);
  if (efi) {
    b.u32(0x3c, 0x40);
    b.raw(0x40, std::string("PE\0\0", 4));
    b.u16(0x46, 1);    // one section
    b.u16(0x54, 0);    // no optional header
    // Section header at 0x40 + 24.
    b.u32(0x58 + 16, static_cast<std::uint32_t>(body - 0x100));  // SizeOfRawData
    b.u32(0x58 + 20, 0x200);                                     // PointerToRawData
  }
  b.resize(0x40 + body);
  return b.bytes();
}

TEST(LinuxKernel, Arm64ImageExtentFromPeOrHeader) {
  auto efi = make_arm64_image(true, 40000, 0x200000);
  auto k = formats::parse_kernel_image(view(efi), 1u << 20);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->kind, formats::KernelKind::arm64_image);
  EXPECT_EQ(k->length, 0x200u + 40000u - 0x100u);
  EXPECT_EQ(k->version, "6.1.0-9-arm64");
  auto plain = make_arm64_image(false, 40000, 0x300000);
  k = formats::parse_kernel_image(view(plain), 1u << 20);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->length, 0x300000u);  // only the in-memory size is known
  auto t = unpack_bytes(plain);
  NodeId r = find_format(*t, "linux-kernel");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "linux-kernel.truncated"));
}

TEST(LinuxKernel, X86BzImageSizesAndVersion) {
  Buffer b(false);
  const std::uint8_t setup_sects = 3;
  std::string payload_text = kernel_text(30000);
  auto gz = gzip(payload_text);
  const std::size_t setup = (setup_sects + 1) * 512;
  const std::size_t sys = (0x40 + gz.size() + 15) & ~std::size_t{15};
  b.resize(setup + sys);
  b.u8(0x1f1, setup_sects);
  b.u32(0x1f4, static_cast<std::uint32_t>(sys / 16));
  b.u16(0x1fe, 0xaa55);
  b.raw(0x202, "HdrS");
  b.u16(0x206, 0x020f);
  b.u16(0x20e, 0x300);  // version string at 0x300 + 0x200
  b.raw(0x500, std::string("6.1.0-13-amd64 (debian-kernel@lists.debian.org) #1 SMP\0", 56));
  b.u32(0x248, 0x40);   // payload offset into the protected-mode code
  b.raw(setup + 0x40, std::string(gz.begin(), gz.end()));
  auto img = b.bytes();
  auto k = formats::parse_kernel_image(view(img), 1u << 20);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->kind, formats::KernelKind::x86_bzimage);
  EXPECT_EQ(k->length, setup + sys);
  EXPECT_EQ(k->compressed_at, setup + 0x40);
  EXPECT_EQ(k->version, "6.1.0-13-amd64");
  auto t = unpack_bytes(img);
  NodeId r = find_format(*t, "linux-kernel");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  NodeId g = kNoNode;
  for (NodeId c : regions_of(*t, r))
    if (t->at(c).format == "gzip") g = c;
  ASSERT_NE(g, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(g).origin.offset, setup + 0x40);
  EXPECT_EQ(content_of(*t, g), payload_text);
}

}  // namespace
}  // namespace iotaudit
