#include "formats/elf_header.hpp"

namespace iotaudit::formats {

bool looks_like_elf(ByteView data) { return data.starts_with("\x7f" "ELF"); }

Result<ElfHeader> parse_elf_header(ByteView data) {
  if (!looks_like_elf(data)) return fail(Errc::malformed, "no ELF magic");
  Reader r(data);
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(std::uint8_t cls, r.u8());
  ASSIGN_OR_RETURN(std::uint8_t enc, r.u8());
  if (cls != 1 && cls != 2) return fail(Errc::malformed, "ELF class invalid");
  if (enc != 1 && enc != 2) return fail(Errc::malformed, "ELF data encoding invalid");
  ElfHeader h;
  h.bits = cls == 1 ? 32 : 64;
  h.endian = enc == 1 ? Endian::little : Endian::big;
  r.set_endian(h.endian);
  TRY(r.seek(16));
  ASSIGN_OR_RETURN(h.type, r.u16());
  ASSIGN_OR_RETURN(h.machine, r.u16());
  TRY(r.skip(4));  // e_version
  std::uint64_t phoff = 0;
  if (h.bits == 32) {
    TRY(r.skip(4));  // e_entry
    ASSIGN_OR_RETURN(std::uint32_t p, r.u32());
    phoff = p;
    TRY(r.skip(4 + 4 + 2));  // shoff, flags, ehsize
  } else {
    TRY(r.skip(8));
    ASSIGN_OR_RETURN(phoff, r.u64());
    TRY(r.skip(8 + 4 + 2));
  }
  ASSIGN_OR_RETURN(std::uint16_t phentsize, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t phnum, r.u16());
  const std::uint16_t want = h.bits == 32 ? 32 : 56;
  if (phnum == 0 || phentsize < want) return h;  // no usable program headers: identification only
  for (std::uint16_t i = 0; i < phnum; ++i) {
    Reader ph(data, h.endian);
    if (!ph.seek(phoff + std::uint64_t{i} * phentsize)) break;
    auto type = ph.u32();
    if (!type) break;
    if (*type != 3) continue;  // PT_INTERP
    std::uint64_t off = 0, size = 0;
    if (h.bits == 32) {
      auto o = ph.u32();
      if (!o || !ph.skip(8)) break;
      auto sz = ph.u32();
      if (!sz) break;
      off = *o;
      size = *sz;
    } else {
      if (!ph.skip(4)) break;
      auto o = ph.u64();
      if (!o || !ph.skip(16)) break;
      auto sz = ph.u64();
      if (!sz) break;
      off = *o;
      size = *sz;
    }
    if (size > 4096) break;
    Reader s(data);
    if (!s.seek(off)) break;
    if (auto str = s.fixed_string(size)) h.interpreter = *str;
    break;
  }
  return h;
}

const char* elf_machine_name(std::uint16_t m) {
  switch (m) {
    case 2: return "SPARC";
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 40: return "ARM";
    case 42: return "SuperH";
    case 62: return "x86-64";
    case 94: return "Xtensa";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    default: return "other";
  }
}

const char* elf_type_name(std::uint16_t t) {
  switch (t) {
    case 1: return "REL";
    case 2: return "EXEC";
    case 3: return "DYN";
    case 4: return "CORE";
    default: return "other";
  }
}

}  // namespace iotaudit::formats
