#include "formats/elf_header.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "unit/support/buffer.hpp"

namespace iotaudit::formats {
namespace {

using test::Buffer;

constexpr std::uint16_t kMips = 8, kAArch64 = 183;

// ELF32 header (52 bytes) + one PT_PHDR + one PT_INTERP program header + the interpreter string.
Buffer elf32(bool big, std::uint16_t machine, std::uint16_t type, const std::string& interp) {
  Buffer b(big);
  b.raw(0, "\x7f" "ELF");
  b.u8(4, 1);           // ELFCLASS32
  b.u8(5, big ? 2 : 1); // ELFDATA2MSB / LSB
  b.u8(6, 1);           // EV_CURRENT
  b.u16(16, type);
  b.u16(18, machine);
  b.u32(20, 1);
  b.u32(24, 0x400000);  // entry
  b.u32(28, 52);        // phoff
  b.u32(32, 0);         // shoff
  b.u32(36, 0x70001007);
  b.u16(40, 52);
  b.u16(42, 32);        // phentsize
  b.u16(44, 2);         // phnum
  // phdr 0: PT_PHDR
  b.u32(52, 6);
  b.u32(56, 52);
  b.u32(68, 64);
  // phdr 1: PT_INTERP
  const std::uint32_t str_off = 52 + 2 * 32;
  b.u32(84, 3);
  b.u32(88, str_off);
  b.u32(92, 0x400000 + str_off);
  b.u32(96, 0x400000 + str_off);
  b.u32(100, static_cast<std::uint32_t>(interp.size() + 1));
  b.u32(104, static_cast<std::uint32_t>(interp.size() + 1));
  b.u32(108, 4);
  b.u32(112, 1);
  b.raw(str_off, interp);
  b.u8(str_off + interp.size(), 0);
  return b;
}

// ELF64 header (64 bytes) + PT_LOAD + PT_INTERP (56 bytes each) + the interpreter string.
Buffer elf64(bool big, std::uint16_t machine, std::uint16_t type, const std::string& interp) {
  Buffer b(big);
  b.raw(0, "\x7f" "ELF");
  b.u8(4, 2);
  b.u8(5, big ? 2 : 1);
  b.u8(6, 1);
  b.u16(16, type);
  b.u16(18, machine);
  b.u32(20, 1);
  b.u64(24, 0x1000);  // entry
  b.u64(32, 64);      // phoff
  b.u64(40, 0);       // shoff
  b.u32(48, 0);
  b.u16(52, 64);
  b.u16(54, 56);      // phentsize
  b.u16(56, 2);       // phnum
  // phdr 0: PT_LOAD
  b.u32(64, 1);
  b.u32(68, 5);
  // phdr 1: PT_INTERP
  const std::uint64_t str_off = 64 + 2 * 56;
  const std::size_t p = 64 + 56;
  b.u32(p, 3);
  b.u32(p + 4, 4);                 // flags
  b.u64(p + 8, str_off);           // offset
  b.u64(p + 16, str_off);          // vaddr
  b.u64(p + 24, str_off);          // paddr
  b.u64(p + 32, interp.size() + 1);  // filesz
  b.u64(p + 40, interp.size() + 1);  // memsz
  b.u64(p + 48, 1);
  b.raw(str_off, interp);
  b.u8(str_off + interp.size(), 0);
  return b;
}

ByteView view(Buffer& b) { return {b.bytes().data(), b.size()}; }

TEST(ElfHeader, Mips32BigEndian) {
  auto b = elf32(true, kMips, 2, "/lib/ld-uClibc.so.0");
  auto h = parse_elf_header(view(b));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->bits, 32u);
  EXPECT_EQ(h->endian, Endian::big);
  EXPECT_EQ(h->machine, kMips);
  EXPECT_STREQ(elf_machine_name(h->machine), "MIPS");
  EXPECT_EQ(h->type, 2);
  EXPECT_STREQ(elf_type_name(h->type), "EXEC");
  EXPECT_EQ(h->interpreter, "/lib/ld-uClibc.so.0");
}

TEST(ElfHeader, AArch64LittleEndian) {
  auto b = elf64(false, kAArch64, 3, "/lib/ld-linux-aarch64.so.1");
  auto h = parse_elf_header(view(b));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->bits, 64u);
  EXPECT_EQ(h->endian, Endian::little);
  EXPECT_EQ(h->machine, kAArch64);
  EXPECT_STREQ(elf_machine_name(h->machine), "AArch64");
  EXPECT_EQ(h->type, 3);
  EXPECT_STREQ(elf_type_name(h->type), "DYN");
  EXPECT_EQ(h->interpreter, "/lib/ld-linux-aarch64.so.1");
}

TEST(ElfHeader, ByteOrderComesFromEIdent) {
  // The same MIPS header written little-endian must not read as big-endian, and vice versa.
  auto le = elf32(false, kMips, 2, "/lib/ld.so.1");
  auto h = parse_elf_header(view(le));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->endian, Endian::little);
  EXPECT_EQ(h->machine, kMips);
  EXPECT_EQ(h->interpreter, "/lib/ld.so.1");
  auto be64 = elf64(true, 21, 2, "/lib64/ld64.so.1");
  auto g = parse_elf_header(view(be64));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->endian, Endian::big);
  EXPECT_EQ(g->bits, 64u);
  EXPECT_EQ(g->machine, 21);
  EXPECT_EQ(g->interpreter, "/lib64/ld64.so.1");
}

TEST(ElfHeader, StaticBinaryHasNoInterpreter) {
  auto b = elf32(true, kMips, 2, "x");
  b.u32(84, 1);  // PT_INTERP becomes PT_LOAD
  auto h = parse_elf_header(view(b));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->interpreter, "");
  auto c = elf64(false, kAArch64, 2, "x");
  c.u16(56, 0);  // no program headers at all
  auto g = parse_elf_header(view(c));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->interpreter, "");
  EXPECT_EQ(g->machine, kAArch64);
}

TEST(ElfHeader, TruncatedHeaderRejected) {
  auto full = elf64(false, kAArch64, 3, "/lib/ld-linux-aarch64.so.1");
  // Every cut inside the 64-byte file header fails; none may crash or read past the end.
  for (std::size_t n = 0; n < 58; ++n) {
    ByteView v(full.bytes().data(), n);
    EXPECT_FALSE(parse_elf_header(v)) << "cut at " << n;
  }
  auto full32 = elf32(true, kMips, 2, "/lib/ld-uClibc.so.0");
  for (std::size_t n = 0; n < 46; ++n) {
    ByteView v(full32.bytes().data(), n);
    EXPECT_FALSE(parse_elf_header(v)) << "cut at " << n;
  }
}

TEST(ElfHeader, TruncatedProgramHeadersKeepIdentification) {
  // Header intact, program headers or interpreter string cut: identification still works and no
  // interpreter is invented from bytes past the end.
  auto full = elf64(false, kAArch64, 3, "/lib/ld-linux-aarch64.so.1");
  for (std::size_t n : {std::size_t{64}, std::size_t{100}, std::size_t{64 + 56 + 20}, std::size_t{64 + 112 + 5}}) {
    ByteView v(full.bytes().data(), n);
    auto h = parse_elf_header(v);
    ASSERT_TRUE(h) << "cut at " << n;
    EXPECT_EQ(h->machine, kAArch64);
    EXPECT_EQ(h->interpreter, "") << "cut at " << n;
  }
}

TEST(ElfHeader, HostileProgramHeaderFieldsDoNotCrash) {
  auto b = elf64(false, kAArch64, 3, "/lib/ld");
  b.u64(32, ~0ull - 8);  // phoff near 2^64
  EXPECT_TRUE(parse_elf_header(view(b)));
  auto c = elf64(false, kAArch64, 3, "/lib/ld");
  c.u64(64 + 56 + 8, ~0ull);  // interpreter offset
  auto h = parse_elf_header(view(c));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->interpreter, "");
  auto d = elf32(true, kMips, 2, "/lib/ld");
  d.u32(100, 0xffffffff);  // interpreter size
  auto g = parse_elf_header(view(d));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->interpreter, "");
}

TEST(ElfHeader, InvalidIdentRejected) {
  auto b = elf32(true, kMips, 2, "/lib/ld");
  b.u8(4, 3);  // class
  EXPECT_FALSE(parse_elf_header(view(b)));
  auto c = elf32(true, kMips, 2, "/lib/ld");
  c.u8(5, 0);  // data encoding
  EXPECT_FALSE(parse_elf_header(view(c)));
  auto d = elf32(true, kMips, 2, "/lib/ld");
  d.raw(0, "\x7f" "ELG");
  EXPECT_FALSE(looks_like_elf(view(d)));
  EXPECT_FALSE(parse_elf_header(view(d)));
}

TEST(ElfHeader, HostBinaryMatchesHostArchitecture) {
  // An independent check against a real binary: the test executable itself.
  auto blob = map_file("/proc/self/exe");
  if (!blob) {
    // /proc/self/exe is a symlink and map_file refuses links; use the resolved path.
    blob = map_file(std::filesystem::read_symlink("/proc/self/exe").string());
  }
  ASSERT_TRUE(blob);
  auto h = parse_elf_header((*blob)->view());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->bits, sizeof(void*) * 8);
  EXPECT_EQ(h->endian, Endian::little);
#if defined(__x86_64__)
  EXPECT_STREQ(elf_machine_name(h->machine), "x86-64");
  EXPECT_EQ(h->interpreter, "/lib64/ld-linux-x86-64.so.2");
#elif defined(__aarch64__)
  EXPECT_STREQ(elf_machine_name(h->machine), "AArch64");
  EXPECT_EQ(h->interpreter, "/lib/ld-linux-aarch64.so.1");
#endif
}

}  // namespace
}  // namespace iotaudit::formats
