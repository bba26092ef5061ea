// Exploit mitigations of every ELF file (facts.hardening): NX stack, PIE, RELRO, stack canary,
// FORTIFY_SOURCE, RPATH/RUNPATH, stripping and imports of risky libc functions — what checksec
// reports, read natively for every architecture and byte order.
//
// Executable stack without PT_GNU_STACK. Linux sets executable_stack = EXSTACK_DEFAULT when a
// program has no PT_GNU_STACK (fs/binfmt_elf.c, load_elf_binary), and each architecture's
// elf_read_implies_exec() (arch/*/include/asm/elf.h) decides whether that turns on
// READ_IMPLIES_EXEC, which makes the stack and every readable mapping executable:
//   - x86 32-bit and ia32 compat: yes (mmap_is_ia32() && EXSTACK_DEFAULT).
//   - x86-64 and native AArch64: yes before Linux 5.8; since 5.8 ("Disable automatic
//     READ_IMPLIES_EXEC for 64-bit address spaces") the stack stays non-executable.
//   - 32-bit ARM (arch/arm/kernel/elf.c, arm_elf_read_implies_exec): yes, and on CPUs before
//     ARMv6 always, whatever PT_GNU_STACK says (there is no XN bit).
//   - MIPS (arch/mips/kernel/elf.c, mips_elf_read_implies_exec, Linux 4.8+): yes on CPUs
//     without the RI/XI bits, which most router SoCs (24K, 74K, 1004K) lack. Before 4.8 the MIPS
//     stack was always executable, whatever PT_GNU_STACK said: branch-delay-slot emulation ran on
//     the user stack until "MIPS: use per-mm page to execute branch delay slot instructions" and
//     "MIPS: non-exec stack & heap when non-exec PT_GNU_STACK is present" (Paul Burton, 2016).
//   - 32-bit PowerPC: yes; 64-bit PowerPC: no.
// glibc's loader, independently, makes the whole process stack executable when it loads a shared
// library without PT_GNU_STACK (elf/dl-load.c, _dl_make_stack_executable; DEFAULT_STACK_PERMS
// includes PF_X). A missing PT_GNU_STACK therefore counts as an executable stack everywhere, the
// way checksec and the toolchains treat it, and the reason names the architecture's default.
#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "formats/elf.hpp"

namespace iotaudit::analyze {

namespace {

constexpr std::uint16_t ET_REL = 1, ET_EXEC = 2, ET_DYN = 3;
constexpr std::uint16_t EM_386 = 3, EM_MIPS = 8, EM_PPC = 20, EM_PPC64 = 21, EM_ARM = 40, EM_X86_64 = 62,
                        EM_AARCH64 = 183;
constexpr std::uint64_t DF_1_PIE = 0x08000000;
constexpr std::uint32_t PF_X = 1;

// Symbols a stack-protected object refers to: GCC's -fstack-protector calls __stack_chk_fail
// (glibc, uClibc, musl), reads __stack_chk_guard where the guard is not in TLS (ARM, MIPS,
// AArch64 and PowerPC with uClibc or older glibc), calls __stack_chk_fail_local from i386 PIC
// code; __stack_smash_handler and __guard are from the older ProPolice patches (early uClibc
// toolchains); __intel_security_cookie from ICC.
constexpr std::array<std::string_view, 6> kCanarySymbols = {
    "__stack_chk_fail", "__stack_chk_guard", "__stack_chk_fail_local", "__stack_smash_handler", "__guard",
    "__intel_security_cookie"};

// Imports that often carry memory-safety or command-injection bugs in device firmware.
constexpr std::array<std::string_view, 20> kDangerous = {
    "gets",   "system", "popen",  "strcpy", "strcat", "sprintf", "vsprintf", "stpcpy", "wcscpy",  "wcscat",
    "execl",  "execlp", "execle", "execv",  "execvp", "execvpe", "mktemp",   "tmpnam", "tempnam", "scanf"};

// Functions glibc offers a __*_chk variant of (debug/ in glibc 2.36), used when the image has no
// recognisable C library.
constexpr std::array<std::string_view, 58> kGlibcFortifiable = {
    "confstr",  "dprintf",   "explicit_bzero", "fdelt",    "fgets",     "fgets_unlocked", "fgetws",
    "fprintf",  "fread",     "fread_unlocked", "fwprintf", "getcwd",    "getdomainname",  "getgroups",
    "gethostname", "getlogin_r", "gets",       "getwd",    "longjmp",   "mbsnrtowcs",     "mbsrtowcs",
    "mbstowcs", "memcpy",    "memmove",        "mempcpy",  "memset",    "poll",           "ppoll",
    "pread",    "pread64",   "printf",         "read",     "readlink",  "readlinkat",     "realpath",
    "recv",     "recvfrom",  "snprintf",       "sprintf",  "stpcpy",    "stpncpy",        "strcat",
    "strcpy",   "strncat",   "strncpy",        "swprintf", "syslog",    "ttyname_r",      "vdprintf",
    "vfprintf", "vprintf",   "vsnprintf",      "vsprintf", "vsyslog",   "wcscat",         "wcscpy",
    "wctomb",   "wmemcpy"};

// "__memcpy_chk" -> "memcpy"; "" for anything else (including __stack_chk_fail and __chk_fail).
std::string_view chk_base(std::string_view n) {
  if (n.size() <= 6 || !n.starts_with("__") || !n.ends_with("_chk")) return {};
  return n.substr(2, n.size() - 6);
}

bool interesting_static(std::string_view n) {
  if (!chk_base(n).empty()) return true;
  for (auto c : kCanarySymbols)
    if (n == c) return true;
  for (auto d : kDangerous)
    if (n == d) return true;
  return false;
}

std::string_view basename(std::string_view p) {
  auto s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

// The C library's file: glibc libc.so.6 / libc-2.x.so, uClibc libc.so.0 / libuClibc-0.9.x.so,
// musl ld-musl-<arch>.so.1 (Alpine's libc.musl-<arch>.so.1 is a link to it).
bool libc_file(std::string_view path) {
  std::string_view b = basename(path);
  return b.starts_with("libc.so") || (b.starts_with("libc-") && b.ends_with(".so")) ||
         b.starts_with("libuClibc-") || b.starts_with("ld-musl-") || b.starts_with("libc.musl-");
}

std::string missing_gnu_stack_reason(std::uint16_t machine, unsigned bits) {
  std::string_view why;
  switch (machine) {
    case EM_386: why = "x86 (32-bit) Linux makes the stack and all readable memory executable"; break;
    case EM_X86_64:
    case EM_AARCH64:
      why = "Linux before 5.8 makes the stack executable (5.8 and later do not for 64-bit processes), and "
            "glibc's loader makes it executable when such a library is loaded";
      break;
    case EM_ARM: why = "ARM Linux makes the stack and all readable memory executable"; break;
    case EM_MIPS:
      why = "MIPS Linux makes the stack executable (before 4.8 always; since 4.8 on CPUs without RI/XI)";
      break;
    case EM_PPC: why = "32-bit PowerPC Linux makes the stack executable"; break;
    case EM_PPC64:
      why = bits == 64 ? "glibc's loader makes the stack executable when such a library is loaded"
                       : "32-bit PowerPC Linux makes the stack executable";
      break;
    default: why = "the loader treats the stack as executable"; break;
  }
  return fmt::format("no PT_GNU_STACK: {}", why);
}

bool static_executable(const formats::ElfFile& f) {
  return !f.has_dynamic && (f.type == ET_EXEC || f.type == ET_DYN);
}

ElfHardening assess(const ElfInfo& info, const formats::ElfFile& f) {
  ElfHardening h;
  h.node = info.node;
  h.path = info.path;
  h.machine_name = info.machine_name;
  h.bits = f.bits;
  h.type = f.type;
  h.dynamic = f.has_dynamic;
  h.diagnostic = f.diagnostic;

  if (f.type == ET_REL || f.phnum == 0) {
    h.nx = Tristate::unknown;
    h.exec_stack_reason = f.type == ET_REL ? "relocatable object (e.g. a kernel module): no program headers"
                                           : "no program headers";
  } else if (f.gnu_stack_count == 0) {
    h.nx = Tristate::no;
    h.exec_stack_reason = missing_gnu_stack_reason(f.machine, f.bits);
  } else if (f.gnu_stack_flags & PF_X) {
    h.nx = Tristate::no;
    h.exec_stack_reason = "PT_GNU_STACK asks for an executable stack (RWX)";
  } else {
    h.nx = Tristate::yes;
    if (f.gnu_stack_any_exec)
      h.exec_stack_reason = fmt::format("{} PT_GNU_STACK headers disagree; the last (non-executable) one applies",
                                        f.gnu_stack_count);
  }

  switch (f.type) {
    case ET_REL: h.pie = PieKind::rel; break;
    case ET_EXEC: h.pie = PieKind::no; break;
    case ET_DYN:
      // A PIE executable and a shared library are both ET_DYN. Executables carry DT_FLAGS_1
      // DF_1_PIE (binutils 2.26+), DT_DEBUG for the debugger (on MIPS DT_MIPS_RLD_MAP instead:
      // its .dynamic is read-only), or a program interpreter without a soname.
      if ((f.dt_flags_1 & DF_1_PIE) || f.has_debug || f.has_mips_rld_map || (f.has_interp && f.soname.empty()))
        h.pie = PieKind::yes;
      else
        h.pie = PieKind::dso;
      break;
    default: h.pie = PieKind::unknown; break;
  }

  if (f.has_gnu_relro) h.relro = f.bind_now ? Relro::full : Relro::partial;

  auto find_canary = [&](std::string_view name) {
    for (auto c : kCanarySymbols)
      if (name == c) return true;
    return false;
  };
  for (const auto& s : f.imports)
    if (find_canary(s)) {
      h.canary = true;
      h.canary_symbol = s;
      break;
    }
  // Statically linked binaries and kernel modules: the static symbol table, when not stripped.
  if (!h.canary && !f.has_dynamic)
    for (const auto& s : f.symtab_symbols)
      if (find_canary(s.name)) {
        h.canary = true;
        h.canary_symbol = s.name;
        break;
      }

  h.rpath = f.rpath;
  h.runpath = f.runpath;
  h.stripped = !f.has_symtab;
  h.debug_info = f.has_debug_info;

  std::set<std::string> dangerous;
  auto consider = [&](std::string_view name) {
    for (auto d : kDangerous)
      if (name == d) dangerous.emplace(name);
  };
  // Kernel modules are left out: their strcpy and sprintf are the kernel's. A static executable
  // links in the libc functions it uses: their definitions stand for imports.
  if (f.type != ET_REL)
    for (const auto& s : f.imports) consider(s);
  if (static_executable(f))
    for (const auto& s : f.symtab_symbols) consider(s.name);
  h.dangerous.assign(dangerous.begin(), dangerous.end());
  return h;
}

}  // namespace

void extract_hardening(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  const auto& elves = facts.elves;
  auto parse = [&](std::size_t i, bool exports) {
    formats::ElfParseOptions opt;
    opt.exports = exports;
    opt.symtab_filter = interesting_static;
    BlobPtr b = t.content(elves[i].node);
    return formats::parse_elf(b->view(), opt);
  };

  // FORTIFY_SOURCE reference per filesystem: the __*_chk functions the image's own C library
  // exports. uClibc and musl export none, so nothing in such an image can be fortified through
  // libc (musl's fortify-headers work inline and leave no trace in the imports). The C library
  // is read first, on its own, so that the other files can be assessed as they are parsed and
  // only their compact verdicts kept.
  std::vector<std::size_t> libcs;
  for (std::size_t i = 0; i < elves.size(); ++i)
    if (libc_file(elves[i].path)) libcs.push_back(i);
  std::sort(libcs.begin(), libcs.end(), [&](std::size_t a, std::size_t b) { return elves[a].path < elves[b].path; });
  std::map<NodeId, std::pair<std::string, std::set<std::string, std::less<>>>> libc_by_fs;
  for (std::size_t i : libcs) {
    NodeId fs = t.at(elves[i].node).fs_root;
    if (libc_by_fs.contains(fs)) continue;  // the first by path
    auto f = parse(i, true);
    if (!f || f->exports.empty()) continue;
    auto& [where, chk] = libc_by_fs[fs];
    where = elves[i].path;
    for (const auto& s : f->exports)
      if (auto base = chk_base(s); !base.empty()) chk.emplace(base);
  }
  const std::set<std::string, std::less<>> builtin(kGlibcFortifiable.begin(), kGlibcFortifiable.end());

  std::vector<std::optional<ElfHardening>> out(elves.size());
  ctx.executor.parallel_for(elves.size(), [&](std::size_t i) {
    auto parsed = parse(i, false);
    if (!parsed) return;
    const formats::ElfFile& f = *parsed;
    ElfHardening h = assess(elves[i], f);
    const std::set<std::string, std::less<>>* fortifiable = &builtin;
    h.fortify_reference = "built-in glibc list";
    if (auto it = libc_by_fs.find(t.at(elves[i].node).fs_root); it != libc_by_fs.end()) {
      fortifiable = &it->second.second;
      h.fortify_reference = it->second.second.empty() ? "" : it->second.first;
    }
    std::set<std::string> fortified, unfortified;
    auto consider = [&](std::string_view n, bool defined) {
      if (auto base = chk_base(n); !base.empty())
        fortified.emplace(n);
      else if (!defined && fortifiable->contains(n))
        unfortified.emplace(n);
    };
    if (f.type != ET_REL) {
      for (const auto& s : f.imports) consider(s, false);
      // Static executables: __*_chk definitions show fortified calls; which plain calls remain
      // cannot be told from symbols (libc's own code uses them too).
      if (static_executable(f))
        for (const auto& s : f.symtab_symbols) consider(s.name, true);
    }
    h.fortified.assign(fortified.begin(), fortified.end());
    h.unfortified.assign(unfortified.begin(), unfortified.end());
    out[i] = std::move(h);
  });
  facts.hardening.reserve(elves.size());
  for (auto& h : out)
    if (h) facts.hardening.push_back(std::move(*h));
  // Node ids follow unpacking order, which parallel unpacking may vary: order by logical path so
  // that facts, evidence lists and the CLI table are the same from run to run.
  std::vector<std::pair<std::string, std::size_t>> keys;
  keys.reserve(facts.hardening.size());
  for (std::size_t i = 0; i < facts.hardening.size(); ++i) keys.emplace_back(t.logical_path(facts.hardening[i].node), i);
  std::sort(keys.begin(), keys.end());
  std::vector<ElfHardening> sorted;
  sorted.reserve(keys.size());
  for (const auto& [key, i] : keys) sorted.push_back(std::move(facts.hardening[i]));
  facts.hardening = std::move(sorted);
}

}  // namespace iotaudit::analyze
