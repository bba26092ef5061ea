#pragma once
// Exploit mitigations of one ELF file, as the file itself declares them (checksec's view). Whether
// the running system enforces them also depends on the kernel and the CPU (see the notes in
// analyze/extract/hardening.cpp on per-architecture defaults).
#include <cstdint>
#include <string>
#include <vector>

#include "model/tree.hpp"

namespace iotaudit {

enum class Tristate { yes, no, unknown };
const char* to_string(Tristate t);

// yes: position-independent executable; no: ET_EXEC at a fixed address; dso: a shared library
// (position-independent by nature); rel: a relocatable object such as a kernel module.
enum class PieKind { yes, no, dso, rel, unknown };
const char* to_string(PieKind p);

// partial: PT_GNU_RELRO only (the GOT's lazy-binding part stays writable); full: PT_GNU_RELRO plus
// immediate binding (DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW).
enum class Relro { none, partial, full };
const char* to_string(Relro r);

struct ElfHardening {
  NodeId node = kNoNode;
  std::string path;
  std::string machine_name;  // "MIPS", "ARM", ...
  unsigned bits = 0;
  std::uint16_t type = 0;    // e_type
  bool dynamic = false;      // has PT_DYNAMIC (linked against shared libraries, or is one)

  Tristate nx = Tristate::unknown;   // no: the stack is executable
  std::string exec_stack_reason;     // why nx is no or unknown
  PieKind pie = PieKind::unknown;
  Relro relro = Relro::none;
  bool canary = false;
  std::string canary_symbol;         // the symbol that shows it ("__stack_chk_fail")
  // FORTIFY_SOURCE: __*_chk functions imported, and functions imported plain whose __*_chk
  // variant the C library offers (the image's own libc when found, else a built-in glibc list).
  std::vector<std::string> fortified, unfortified;
  std::string fortify_reference;     // "/lib/libc.so.6", "built-in glibc list" or "" (no _chk in libc)
  std::string rpath, runpath;
  bool stripped = false;             // no .symtab
  bool debug_info = false;           // .debug_* sections present
  std::vector<std::string> dangerous;  // imports such as system, popen, gets, strcpy
  std::string diagnostic;            // parse problems: results may be partial
};

}  // namespace iotaudit
