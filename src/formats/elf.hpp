#pragma once
// ELF structure for hardening analysis: program headers, the dynamic section, dynamic symbols
// (from .dynsym, or from DT_SYMTAB/DT_HASH/DT_GNU_HASH when the section headers are stripped, as
// OpenWrt's sstrip does) and the section headers. ELF32 and ELF64, both byte orders.
// Reference: System V gABI (program headers, dynamic section, symbol table), the GNU extensions
// (PT_GNU_STACK, PT_GNU_RELRO, DT_GNU_HASH, DT_FLAGS_1) and the MIPS psABI (DT_MIPS_SYMTABNO,
// DT_MIPS_RLD_MAP).
//
// The bytes are hostile: every offset, size and count is checked against the file, counts are
// capped (ElfLimits), and a broken structure ends only the part that needs it. The result holds
// whatever could be read plus `diagnostic`, a one-line account of what could not.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct ElfLimits {
  std::uint64_t max_symbols = 1'000'000;         // dynamic plus static symbols read, together
  std::uint64_t max_dynamic_entries = 65'536;
  std::uint64_t max_sections = 65'536;
  std::uint64_t max_program_headers = 65'536;
  std::uint64_t max_loads = 1024;                // PT_LOAD segments used for address lookups
  std::uint64_t max_needed = 1024;               // DT_NEEDED entries kept
  std::size_t max_string = 4096;                 // longest name or path kept
  // Bytes of symbol names kept in all: overlapping names in one string table (every suffix of a
  // long string is a name) could otherwise turn 1M symbols into gigabytes.
  std::uint64_t max_name_bytes = 32ULL << 20;
};

struct ElfParseOptions {
  ElfLimits limits;
  // Keep the names of defined dynamic symbols (only needed for libraries whose exports matter,
  // such as the C library; a large library has tens of thousands).
  bool exports = true;
  // Names from .symtab (the static symbol table) are kept only when this accepts them: statically
  // linked binaries and kernel modules carry their imports there, but a whole .symtab is large.
  std::function<bool(std::string_view)> symtab_filter;
};

struct ElfSymbolRef {
  std::string name;
  bool defined = false;
  friend bool operator<(const ElfSymbolRef& a, const ElfSymbolRef& b) {
    return a.name != b.name ? a.name < b.name : a.defined < b.defined;
  }
  friend bool operator==(const ElfSymbolRef&, const ElfSymbolRef&) = default;
};

struct ElfFile {
  unsigned bits = 0;  // 32 or 64
  Endian endian = Endian::little;
  std::uint16_t type = 0;
  std::uint16_t machine = 0;
  std::uint32_t flags = 0;  // e_flags

  // Program headers.
  std::uint32_t phnum = 0;             // program headers read
  std::uint32_t gnu_stack_count = 0;   // PT_GNU_STACK headers seen
  std::uint32_t gnu_stack_flags = 0;   // p_flags of the last PT_GNU_STACK (the one loaders use)
  bool gnu_stack_any_exec = false;     // PF_X in any PT_GNU_STACK
  bool has_gnu_relro = false;
  bool has_interp = false;
  bool has_dynamic = false;            // PT_DYNAMIC (or, without program headers, SHT_DYNAMIC)
  std::string interpreter;

  // Dynamic section.
  std::vector<std::string> needed;     // DT_NEEDED, in order
  std::string soname, rpath, runpath;
  bool bind_now = false;               // DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW
  std::uint64_t dt_flags = 0, dt_flags_1 = 0;
  bool has_debug = false;              // DT_DEBUG
  bool has_mips_rld_map = false;       // DT_MIPS_RLD_MAP / DT_MIPS_RLD_MAP_REL (MIPS's DT_DEBUG)
  bool textrel = false;                // DT_TEXTREL or DF_TEXTREL

  // Dynamic symbols, sorted and unique.
  std::vector<std::string> imports;    // undefined global/weak symbols
  std::vector<std::string> exports;    // defined global/weak symbols (when ElfParseOptions::exports)
  std::string dynsym_source;           // ".dynsym", "DT_HASH", "DT_GNU_HASH", "DT_MIPS_SYMTABNO" or ""

  // Section headers.
  std::uint32_t shnum = 0;             // section headers read
  bool has_symtab = false;             // SHT_SYMTAB: not stripped
  bool has_debug_info = false;         // a .debug_* or .zdebug_* section
  std::vector<ElfSymbolRef> symtab_symbols;  // .symtab names accepted by the filter, sorted, unique

  std::string diagnostic;              // empty when everything declared could be read
};

// Fails only when there is no ELF header to speak of (no magic, bad class or data encoding, or
// fewer bytes than the header); every later problem yields a partial result with a diagnostic.
Result<ElfFile> parse_elf(ByteView data, const ElfParseOptions& options = {});

}  // namespace iotaudit::formats
