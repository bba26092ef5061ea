#pragma once
// ELF identification: class, data encoding, type, machine and the program interpreter.
// Reference: System V gABI, elf(5).
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct ElfHeader {
  unsigned bits = 0;
  Endian endian = Endian::little;
  std::uint16_t type = 0;
  std::uint16_t machine = 0;
  std::string interpreter;
};

bool looks_like_elf(ByteView data);
Result<ElfHeader> parse_elf_header(ByteView data);
const char* elf_machine_name(std::uint16_t machine);
const char* elf_type_name(std::uint16_t type);

}  // namespace iotaudit::formats
