#pragma once
// Builds small but complete ELF files in memory: program headers (PT_LOAD over the whole file at
// address 0, PT_INTERP, PT_DYNAMIC, PT_GNU_STACK, PT_GNU_RELRO), a dynamic section, dynamic
// symbols with DT_HASH or DT_GNU_HASH, and optionally section headers (.dynstr, .dynsym, .dynamic,
// .symtab, .debug_info). Written with test::Buffer, independently of the parser.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unit/support/buffer.hpp"

namespace iotaudit::test {

struct ElfSym {
  std::string name;
  bool defined = false;
};

struct ElfSpec {
  bool is64 = true;
  bool big = false;
  std::uint16_t type = 3;      // ET_DYN
  std::uint16_t machine = 62;  // x86-64
  std::vector<std::uint32_t> gnu_stack = {6};  // p_flags of each PT_GNU_STACK (RW); empty: none
  bool relro = false;
  std::string interp;          // PT_INTERP when not empty
  bool dynamic = true;         // PT_DYNAMIC and the dynamic section
  std::vector<std::pair<std::int64_t, std::string>> dyn_strings;   // DT_NEEDED, DT_RPATH, ...
  std::vector<std::pair<std::int64_t, std::uint64_t>> dyn_values;  // DT_FLAGS, DT_BIND_NOW, ...
  std::vector<ElfSym> symbols;
  bool sections = true;        // section headers; without them symbols come from the hash table
  bool gnu_hash = false;       // DT_GNU_HASH instead of DT_HASH
  bool symtab = false;         // a .symtab holding the same symbols (not stripped)
  bool debug = false;          // a .debug_info section
};

inline constexpr std::int64_t kDtNeeded = 1, kDtRpath = 15, kDtRunpath = 29, kDtBindNow = 24, kDtFlags = 30,
                              kDtFlags1 = 0x6ffffffb, kDtDebug = 21, kDtSoname = 14;

inline std::vector<std::uint8_t> build_elf(const ElfSpec& s) {
  Buffer b(s.big);
  const std::size_t word = s.is64 ? 8 : 4;
  const std::size_t ehsize = s.is64 ? 64 : 52, phentsize = s.is64 ? 56 : 32, shentsize = s.is64 ? 64 : 40;
  const std::size_t symsize = s.is64 ? 24 : 16, dynsize = 2 * word;
  auto align = [](std::size_t v, std::size_t a) { return (v + a - 1) / a * a; };

  struct Ph {
    std::uint32_t type, flags;
    std::uint64_t off, size;
  };
  std::vector<Ph> phs;
  std::size_t nph = 1 + (s.interp.empty() ? 0 : 1) + (s.dynamic ? 1 : 0) + s.gnu_stack.size() + (s.relro ? 1 : 0);

  // String table: "\0" + names + dynamic strings.
  std::string dynstr(1, '\0');
  auto add_str = [&](const std::string& v) {
    std::size_t at = dynstr.size();
    dynstr += v;
    dynstr += '\0';
    return at;
  };
  std::vector<std::size_t> sym_names;
  for (const auto& sym : s.symbols) sym_names.push_back(add_str(sym.name));
  std::vector<std::pair<std::int64_t, std::uint64_t>> dyn;
  for (const auto& [tag, str] : s.dyn_strings) dyn.emplace_back(tag, add_str(str));
  const std::size_t nsyms = s.symbols.size() + 1;

  std::size_t off = ehsize + nph * phentsize;
  const std::size_t interp_off = off;
  off += s.interp.empty() ? 0 : s.interp.size() + 1;
  const std::size_t dynstr_off = off;
  off = align(off + dynstr.size(), 8);
  const std::size_t dynsym_off = off;
  off += nsyms * symsize;
  const std::size_t hash_off = off;
  const std::size_t hash_size = s.gnu_hash ? 16 + word + 4 + 4 * (nsyms - 1) : 4 * (2 + 1 + nsyms);
  off = align(off + hash_size, 8);
  for (const auto& v : s.dyn_values) dyn.push_back(v);
  dyn.emplace_back(5, dynstr_off);                         // DT_STRTAB
  dyn.emplace_back(10, dynstr.size());                     // DT_STRSZ
  dyn.emplace_back(6, dynsym_off);                         // DT_SYMTAB
  dyn.emplace_back(11, symsize);                           // DT_SYMENT
  dyn.emplace_back(s.gnu_hash ? 0x6ffffef5 : 4, hash_off); // DT_GNU_HASH / DT_HASH
  dyn.emplace_back(0, 0);                                  // DT_NULL
  const std::size_t dyn_off = off;
  if (s.dynamic) off += dyn.size() * dynsize;
  const std::size_t symtab_off = off;
  if (s.symtab) off += nsyms * symsize;
  std::string shstr(1, '\0');
  auto add_sh = [&](const std::string& v) {
    std::size_t at = shstr.size();
    shstr += v;
    shstr += '\0';
    return at;
  };
  const std::size_t n_dynstr = add_sh(".dynstr"), n_dynsym = add_sh(".dynsym"), n_dynamic = add_sh(".dynamic"),
                    n_symtab = add_sh(".symtab"), n_debug = add_sh(".debug_info"), n_shstr = add_sh(".shstrtab");
  const std::size_t shstr_off = off;
  off = align(off + shstr.size(), 8);
  const std::size_t sh_off = off;

  struct Sh {
    std::size_t name;
    std::uint32_t type;
    std::uint64_t off, size;
    std::uint32_t link;
    std::uint64_t entsize;
  };
  std::vector<Sh> shs = {{0, 0, 0, 0, 0, 0}, {n_dynstr, 3, dynstr_off, dynstr.size(), 0, 0},
                         {n_dynsym, 11, dynsym_off, nsyms * symsize, 1, symsize}};
  if (s.dynamic) shs.push_back({n_dynamic, 6, dyn_off, dyn.size() * dynsize, 1, dynsize});
  if (s.symtab) shs.push_back({n_symtab, 2, symtab_off, nsyms * symsize, 1, symsize});
  if (s.debug) shs.push_back({n_debug, 1, 0, 0, 0, 0});
  shs.push_back({n_shstr, 3, shstr_off, shstr.size(), 0, 0});
  const std::size_t total = s.sections ? sh_off + shs.size() * shentsize : sh_off;

  // ELF header.
  b.raw(0, "\x7f" "ELF");
  b.u8(4, s.is64 ? 2 : 1);
  b.u8(5, s.big ? 2 : 1);
  b.u8(6, 1);
  b.u16(16, s.type);
  b.u16(18, s.machine);
  b.u32(20, 1);
  auto hw = [&](std::size_t at, std::uint64_t v) { s.is64 ? b.u64(at, v) : b.u32(at, static_cast<std::uint32_t>(v)); };
  const std::size_t e = s.is64 ? 24 : 24;
  hw(e, 0x1000);                               // e_entry
  hw(e + word, ehsize);                        // e_phoff
  hw(e + 2 * word, s.sections ? sh_off : 0);   // e_shoff
  const std::size_t rest = e + 3 * word;
  b.u32(rest, 0);                              // e_flags
  b.u16(rest + 4, static_cast<std::uint16_t>(ehsize));
  b.u16(rest + 6, static_cast<std::uint16_t>(phentsize));
  b.u16(rest + 8, static_cast<std::uint16_t>(nph));
  b.u16(rest + 10, static_cast<std::uint16_t>(shentsize));
  b.u16(rest + 12, static_cast<std::uint16_t>(s.sections ? shs.size() : 0));
  b.u16(rest + 14, static_cast<std::uint16_t>(s.sections ? shs.size() - 1 : 0));

  phs.push_back({1, 5, 0, total});
  if (!s.interp.empty()) phs.push_back({3, 4, interp_off, s.interp.size() + 1});
  if (s.dynamic) phs.push_back({2, 6, dyn_off, dyn.size() * dynsize});
  for (auto f : s.gnu_stack) phs.push_back({0x6474e551, f, 0, 0});
  if (s.relro) phs.push_back({0x6474e552, 4, dyn_off, dyn.size() * dynsize});
  for (std::size_t i = 0; i < phs.size(); ++i) {
    const std::size_t p = ehsize + i * phentsize;
    const Ph& ph = phs[i];
    b.u32(p, ph.type);
    if (s.is64) {
      b.u32(p + 4, ph.flags);
      b.u64(p + 8, ph.off);
      b.u64(p + 16, ph.off);  // vaddr == offset
      b.u64(p + 24, ph.off);
      b.u64(p + 32, ph.size);
      b.u64(p + 40, ph.size);
      b.u64(p + 48, 8);
    } else {
      b.u32(p + 4, static_cast<std::uint32_t>(ph.off));
      b.u32(p + 8, static_cast<std::uint32_t>(ph.off));
      b.u32(p + 12, static_cast<std::uint32_t>(ph.off));
      b.u32(p + 16, static_cast<std::uint32_t>(ph.size));
      b.u32(p + 20, static_cast<std::uint32_t>(ph.size));
      b.u32(p + 24, ph.flags);
      b.u32(p + 28, 4);
    }
  }
  if (!s.interp.empty()) b.raw(interp_off, s.interp);
  b.raw(dynstr_off, dynstr);
  auto write_syms = [&](std::size_t at) {
    for (std::size_t i = 0; i < s.symbols.size(); ++i) {
      const std::size_t p = at + (i + 1) * symsize;
      const std::uint8_t info = static_cast<std::uint8_t>((1 << 4) | 2);  // STB_GLOBAL, STT_FUNC
      const std::uint16_t shndx = s.symbols[i].defined ? 5 : 0;
      b.u32(p, static_cast<std::uint32_t>(sym_names[i]));
      if (s.is64) {
        b.u8(p + 4, info);
        b.u16(p + 6, shndx);
        b.u64(p + 8, s.symbols[i].defined ? 0x2000 : 0);
      } else {
        b.u32(p + 4, s.symbols[i].defined ? 0x2000 : 0);
        b.u8(p + 12, info);
        b.u16(p + 14, shndx);
      }
    }
  };
  write_syms(dynsym_off);
  if (s.gnu_hash) {
    // One bucket holding every symbol from index 1; the chain ends at the last one.
    b.u32(hash_off, 1);       // nbuckets
    b.u32(hash_off + 4, 1);   // symoffset
    b.u32(hash_off + 8, 1);   // bloom_size
    b.u32(hash_off + 12, 0);  // bloom_shift
    const std::size_t buckets = hash_off + 16 + word;
    b.u32(buckets, nsyms > 1 ? 1 : 0);
    for (std::size_t i = 1; i < nsyms; ++i) b.u32(buckets + 4 + 4 * (i - 1), (i + 1 == nsyms) ? 1 : 0);
  } else {
    b.u32(hash_off, 1);
    b.u32(hash_off + 4, static_cast<std::uint32_t>(nsyms));
  }
  if (s.dynamic)
    for (std::size_t i = 0; i < dyn.size(); ++i) {
      hw(dyn_off + i * dynsize, static_cast<std::uint64_t>(dyn[i].first));
      hw(dyn_off + i * dynsize + word, dyn[i].second);
    }
  if (s.symtab) write_syms(symtab_off);
  b.raw(shstr_off, shstr);
  if (s.sections)
    for (std::size_t i = 0; i < shs.size(); ++i) {
      const std::size_t p = sh_off + i * shentsize;
      const Sh& sh = shs[i];
      b.u32(p, static_cast<std::uint32_t>(sh.name));
      b.u32(p + 4, sh.type);
      if (s.is64) {
        b.u64(p + 24, sh.off);
        b.u64(p + 32, sh.size);
        b.u32(p + 40, sh.link);
        b.u64(p + 56, sh.entsize);
      } else {
        b.u32(p + 16, static_cast<std::uint32_t>(sh.off));
        b.u32(p + 20, static_cast<std::uint32_t>(sh.size));
        b.u32(p + 24, sh.link);
        b.u32(p + 36, static_cast<std::uint32_t>(sh.entsize));
      }
    }
  b.resize(total);
  return b.bytes();
}

inline std::string elf_string(const ElfSpec& s) {
  auto v = build_elf(s);
  return {v.begin(), v.end()};
}

}  // namespace iotaudit::test
