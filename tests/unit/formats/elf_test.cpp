#include "formats/elf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "unit/support/elf_image.hpp"

namespace iotaudit::formats {
namespace {

using test::build_elf;
using test::ElfSpec;

bool has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

Result<ElfFile> parse(const std::vector<std::uint8_t>& bytes, const ElfParseOptions& opt = {}) {
  return parse_elf(ByteView(bytes.data(), bytes.size()), opt);
}

ElfSpec hardened64() {
  ElfSpec s;
  s.interp = "/lib64/ld-linux-x86-64.so.2";
  s.relro = true;
  s.dyn_strings = {{test::kDtNeeded, "libc.so.6"}, {test::kDtRunpath, "/opt/lib"}};
  s.dyn_values = {{test::kDtFlags, 0x8}, {test::kDtFlags1, 0x08000001}, {test::kDtDebug, 0}};
  s.symbols = {{"__stack_chk_fail", false}, {"__printf_chk", false}, {"strcpy", false}, {"api_entry", true}};
  return s;
}

TEST(Elf, Hardened64LittleEndian) {
  auto e = parse(build_elf(hardened64()));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->bits, 64u);
  EXPECT_EQ(e->endian, Endian::little);
  EXPECT_EQ(e->gnu_stack_count, 1u);
  EXPECT_EQ(e->gnu_stack_flags, 6u);
  EXPECT_TRUE(e->has_gnu_relro);
  EXPECT_TRUE(e->bind_now);
  EXPECT_TRUE(e->has_interp);
  EXPECT_EQ(e->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_TRUE(e->has_debug);
  EXPECT_EQ(e->dt_flags_1, 0x08000001u);
  EXPECT_EQ(e->runpath, "/opt/lib");
  EXPECT_TRUE(e->rpath.empty());
  ASSERT_EQ(e->needed.size(), 1u);
  EXPECT_EQ(e->needed[0], "libc.so.6");
  EXPECT_EQ(e->dynsym_source, ".dynsym");
  EXPECT_TRUE(has(e->imports, "__stack_chk_fail"));
  EXPECT_TRUE(has(e->imports, "__printf_chk"));
  EXPECT_TRUE(has(e->imports, "strcpy"));
  EXPECT_TRUE(has(e->exports, "api_entry"));
  EXPECT_FALSE(has(e->imports, "api_entry"));
  EXPECT_FALSE(e->has_symtab);
  EXPECT_TRUE(e->diagnostic.empty()) << e->diagnostic;
}

TEST(Elf, Mips32BigEndianWithoutSectionsOrGnuStack) {
  // sstrip-ed OpenWrt style: no section headers, symbols found through DT_HASH.
  ElfSpec s;
  s.is64 = false;
  s.big = true;
  s.machine = 8;
  s.type = 2;  // ET_EXEC
  s.gnu_stack = {};
  s.sections = false;
  s.interp = "/lib/ld-uClibc.so.0";
  s.dyn_strings = {{test::kDtNeeded, "libc.so.0"}, {test::kDtRpath, "/usr/lib:/tmp"}};
  s.symbols = {{"system", false}, {"__stack_chk_guard", false}, {"exported_fn", true}};
  auto e = parse(build_elf(s));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->bits, 32u);
  EXPECT_EQ(e->endian, Endian::big);
  EXPECT_EQ(e->machine, 8);
  EXPECT_EQ(e->gnu_stack_count, 0u);
  EXPECT_FALSE(e->has_gnu_relro);
  EXPECT_EQ(e->shnum, 0u);
  EXPECT_EQ(e->dynsym_source, "DT_HASH");
  EXPECT_EQ(e->rpath, "/usr/lib:/tmp");
  EXPECT_TRUE(has(e->imports, "system"));
  EXPECT_TRUE(has(e->imports, "__stack_chk_guard"));
  EXPECT_TRUE(has(e->exports, "exported_fn"));
  EXPECT_TRUE(e->diagnostic.empty()) << e->diagnostic;
}

TEST(Elf, GnuHashCountsSymbolsWithoutSections) {
  for (bool is64 : {false, true})
    for (bool big : {false, true}) {
      ElfSpec s;
      s.is64 = is64;
      s.big = big;
      s.machine = 40;
      s.sections = false;
      s.gnu_hash = true;
      s.symbols = {{"a", false}, {"b", false}, {"c", true}, {"gets", false}};
      auto e = parse(build_elf(s));
      ASSERT_TRUE(e);
      EXPECT_EQ(e->dynsym_source, "DT_GNU_HASH");
      EXPECT_EQ(e->imports, (std::vector<std::string>{"a", "b", "gets"})) << is64 << big;
      EXPECT_EQ(e->exports, (std::vector<std::string>{"c"}));
    }
}

TEST(Elf, SeveralGnuStackHeadersTheLastCounts) {
  ElfSpec s;
  s.gnu_stack = {7, 6};  // RWX then RW
  auto e = parse(build_elf(s));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->gnu_stack_count, 2u);
  EXPECT_EQ(e->gnu_stack_flags, 6u);
  EXPECT_TRUE(e->gnu_stack_any_exec);
  s.gnu_stack = {6, 7};
  e = parse(build_elf(s));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->gnu_stack_flags, 7u);
}

TEST(Elf, BindNowVariants) {
  for (auto dv : std::vector<std::pair<std::int64_t, std::uint64_t>>{
           {test::kDtBindNow, 0}, {test::kDtFlags, 0x8}, {test::kDtFlags1, 0x1}}) {
    ElfSpec s;
    s.relro = true;
    s.dyn_values = {dv};
    auto e = parse(build_elf(s));
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->bind_now) << dv.first;
  }
  ElfSpec s;
  s.relro = true;
  auto e = parse(build_elf(s));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->bind_now);
}

TEST(Elf, SymtabAndDebugSections) {
  ElfSpec s;
  s.symtab = true;
  s.debug = true;
  s.symbols = {{"__stack_chk_fail", true}, {"other", true}};
  ElfParseOptions opt;
  opt.symtab_filter = [](std::string_view n) { return n.starts_with("__stack"); };
  auto e = parse(build_elf(s), opt);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->has_symtab);
  EXPECT_TRUE(e->has_debug_info);
  ASSERT_EQ(e->symtab_symbols.size(), 1u);
  EXPECT_EQ(e->symtab_symbols[0].name, "__stack_chk_fail");
  EXPECT_TRUE(e->symtab_symbols[0].defined);
}

TEST(Elf, RejectsWhatIsNotElf) {
  EXPECT_FALSE(parse_elf(ByteView(std::string_view("\x7f" "EL"))));
  EXPECT_FALSE(parse_elf(ByteView(std::string_view("\x7f" "ELF\x03\x01"))));
  EXPECT_FALSE(parse_elf(ByteView(std::string_view("\x7f" "ELF\x01\x01\x01"))));  // header truncated
}

TEST(Elf, EveryTruncationIsSafe) {
  for (bool is64 : {false, true}) {
    ElfSpec s = hardened64();
    s.is64 = is64;
    s.symtab = true;
    auto full = build_elf(s);
    ElfParseOptions opt;
    opt.symtab_filter = [](std::string_view) { return true; };
    std::size_t partial = 0;
    for (std::size_t n = 0; n <= full.size(); ++n) {
      std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      auto e = parse(cut, opt);
      if (e && !e->diagnostic.empty()) ++partial;
    }
    EXPECT_GT(partial, 0u);
  }
}

TEST(Elf, LyingCountsAreCapped) {
  auto bytes = build_elf(hardened64());
  // DT_HASH nchain far beyond the file: capped to what fits, with a diagnostic.
  ElfSpec s = hardened64();
  s.sections = false;
  auto v = build_elf(s);
  // Find the hash table through the parser's own view of the good file, then corrupt nchain.
  auto good = parse(v);
  ASSERT_TRUE(good);
  ASSERT_EQ(good->dynsym_source, "DT_HASH");
  bool patched = false;
  // nchain == number of symbols (5): the word after nbucket == 1. Searched from the end, since
  // PT_LOAD's p_type and p_flags (1, 5) near the start look the same.
  for (std::size_t i = (v.size() - 8) & ~std::size_t{3}; i > 0; i -= 4)
    if (v[i] == 1 && v[i + 1] == 0 && v[i + 2] == 0 && v[i + 3] == 0 && v[i + 4] == 5 && v[i + 5] == 0 &&
        v[i + 6] == 0 && v[i + 7] == 0) {
      v[i + 4] = v[i + 5] = v[i + 6] = v[i + 7] = 0xff;
      patched = true;
      break;
    }
  ASSERT_TRUE(patched);
  auto e = parse(v);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->diagnostic.empty());
  EXPECT_TRUE(has(e->imports, "__stack_chk_fail"));

  // A symbol cap smaller than the table.
  ElfParseOptions opt;
  opt.limits.max_symbols = 2;
  e = parse(bytes, opt);
  ASSERT_TRUE(e);
  EXPECT_NE(e->diagnostic.find("symbol limit"), std::string::npos);
  EXPECT_LE(e->imports.size() + e->exports.size(), 2u);

  // A name budget smaller than the names: what fits is kept, the rest noted.
  opt = {};
  opt.limits.max_name_bytes = 20;
  e = parse(bytes, opt);
  ASSERT_TRUE(e);
  EXPECT_NE(e->diagnostic.find("symbol names beyond 20 bytes"), std::string::npos) << e->diagnostic;
  std::size_t kept = 0;
  for (const auto& n : e->imports) kept += n.size();
  for (const auto& n : e->exports) kept += n.size();
  EXPECT_LE(kept, 20u);

  // Program and section header tables that point past the end.
  auto w = bytes;
  for (std::size_t i = 32; i < 48; ++i) w[i] = 0xff;  // e_phoff and e_shoff
  e = parse(w);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->phnum, 0u);
  EXPECT_EQ(e->shnum, 0u);
  EXPECT_FALSE(e->diagnostic.empty());

  // e_phnum and e_shnum at their maximum with entries beyond the file.
  w = bytes;
  w[56] = w[57] = 0xff;  // e_phnum
  w[60] = w[61] = 0xfe;  // e_shnum
  e = parse(w);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->diagnostic.empty());
}

// Host binaries: Debian builds its packages with PIE, RELRO, -fstack-protector-strong,
// _FORTIFY_SOURCE=2 and a non-executable stack.
std::vector<std::uint8_t> read_host(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Elf, DebianHostBinaryIsHardened) {
  // Debian links with -z relro everywhere but adds -z now only where the package asks for it:
  // coreutils' ls has partial RELRO, findutils and bash full.
  for (auto [path, full_relro] : {std::pair{"/bin/ls", false}, std::pair{"/usr/bin/find", true},
                                  std::pair{"/usr/bin/bash", true}}) {
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
    auto bytes = read_host(path);
    auto e = parse(bytes);
    ASSERT_TRUE(e) << path;
    EXPECT_TRUE(e->diagnostic.empty()) << path << ": " << e->diagnostic;
    EXPECT_EQ(e->type, 3) << path;  // ET_DYN
    EXPECT_TRUE(e->has_interp) << path;
    EXPECT_TRUE(e->dt_flags_1 & 0x08000000) << path;  // DF_1_PIE
    EXPECT_EQ(e->gnu_stack_count, 1u) << path;
    EXPECT_EQ(e->gnu_stack_flags & 1, 0u) << path;
    EXPECT_TRUE(e->has_gnu_relro) << path;
    EXPECT_EQ(e->bind_now, full_relro) << path;
    EXPECT_TRUE(has(e->imports, "__stack_chk_fail")) << path;
    EXPECT_TRUE(std::any_of(e->imports.begin(), e->imports.end(),
                            [](const std::string& n) { return n.starts_with("__") && n.ends_with("_chk"); }))
        << path;
    EXPECT_TRUE(has(e->needed, "libc.so.6")) << path;
  }
}

TEST(Elf, HostLibcExportsCheckedFunctions) {
  std::string libc;
  for (const char* p : {"/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6"})
    if (std::filesystem::exists(p)) libc = p;
  if (libc.empty()) GTEST_SKIP() << "no glibc found";
  auto e = parse(read_host(libc.c_str()));
  ASSERT_TRUE(e);
  EXPECT_TRUE(has(e->exports, "__memcpy_chk"));
  EXPECT_TRUE(has(e->exports, "__stack_chk_fail"));
  EXPECT_EQ(e->soname, "libc.so.6");
}

TEST(Elf, HostBinaryHeaderPrefixesAreSafe) {
  if (!std::filesystem::exists("/bin/ls")) GTEST_SKIP();
  auto bytes = read_host("/bin/ls");
  for (std::size_t n : {std::size_t{64}, std::size_t{100}, std::size_t{1000}, std::size_t{4096}, bytes.size() / 2,
                        bytes.size() - 1}) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    auto e = parse(cut);
    ASSERT_TRUE(e) << n;
  }
}

// Writes the fuzz seeds of tests/fuzz/seeds/elf when asked (IOTAUDIT_WRITE_ELF_SEEDS=DIR), so the
// seeds can be regenerated from the same builder.
TEST(Elf, WriteFuzzSeeds) {
  const char* dir = std::getenv("IOTAUDIT_WRITE_ELF_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set IOTAUDIT_WRITE_ELF_SEEDS=DIR to write the fuzz seeds";
  auto put = [&](const std::string& name, const std::vector<std::uint8_t>& v) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
  };
  ElfSpec s = hardened64();
  s.symtab = true;
  s.debug = true;
  put("x86_64_pie_full_relro.elf", build_elf(s));
  s = hardened64();
  s.is64 = false;
  s.big = true;
  s.machine = 8;
  s.sections = false;
  s.gnu_stack = {};
  put("mips32be_sstrip_hash.elf", build_elf(s));
  s.big = false;
  s.machine = 40;
  s.gnu_hash = true;
  s.gnu_stack = {7, 6};
  put("arm32le_gnu_hash_two_stacks.elf", build_elf(s));
  s = hardened64();
  s.big = true;
  s.machine = 21;
  s.type = 2;
  s.dyn_values = {{test::kDtBindNow, 0}};
  put("ppc64be_exec_bindnow.elf", build_elf(s));
}

}  // namespace
}  // namespace iotaudit::formats
