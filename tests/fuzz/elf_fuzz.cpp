// ELF structure for hardening analysis: program headers, dynamic section, dynamic symbols with and
// without section headers, and the static symbol table.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "formats/elf.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView v(data, size);
  formats::ElfParseOptions opt;
  opt.limits.max_symbols = 100'000;  // keeps one input within the fuzzer's time budget
  opt.symtab_filter = [](std::string_view n) { return n.size() < 64; };
  auto e = formats::parse_elf(v, opt);
  if (!e) return 0;
  if (e->bits != 32 && e->bits != 64) __builtin_trap();
  if (e->imports.size() + e->exports.size() + e->symtab_symbols.size() > opt.limits.max_symbols) __builtin_trap();
  if (e->gnu_stack_count > e->phnum) __builtin_trap();
  if (e->interpreter.size() > opt.limits.max_string) __builtin_trap();
  for (const auto& n : e->needed)
    if (n.size() > opt.limits.max_string) __builtin_trap();
  if (!std::is_sorted(e->imports.begin(), e->imports.end())) __builtin_trap();
  return 0;
}
