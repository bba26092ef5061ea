// ELF identification and PT_INTERP lookup.
#include <cstddef>
#include <cstdint>

#include "formats/elf_header.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView v(data, size);
  bool magic = formats::looks_like_elf(v);
  auto h = formats::parse_elf_header(v);
  if (!h) return 0;
  if (!magic || (h->bits != 32 && h->bits != 64)) __builtin_trap();
  if (h->interpreter.size() > 4096) __builtin_trap();
  (void)formats::elf_machine_name(h->machine);
  (void)formats::elf_type_name(h->type);
  return 0;
}
