// Exploit mitigations of the executables and shared libraries (facts.hardening): one finding per
// mitigation and filesystem listing the binaries that lack it, and one per binary importing
// functions that are easy to misuse.
#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"

namespace iotaudit::analyze {

namespace {

constexpr std::uint16_t ET_EXEC = 2, ET_DYN = 3;
constexpr std::size_t kMaxListed = 50;  // evidence items per finding; the total is in the facts

// Executables and shared libraries: kernel modules and object files have no program headers and
// get their mitigations from the kernel's own configuration.
bool linked(const ElfHardening& h) { return h.type == ET_EXEC || h.type == ET_DYN; }

struct Mitigation {
  std::string_view check_id;
  std::string_view noun;        // "an executable stack"
  std::string_view description;
  std::string_view remediation;
  std::function<bool(const ElfHardening&)> applies;   // counted as examined
  std::function<bool(const ElfHardening&)> lacking;
  std::function<void(const ElfHardening&, Evidence&)> describe;
  std::function<Severity(const std::vector<const ElfHardening*>&)> severity;
};

CheckOutput per_filesystem(Context& ctx, const Facts& facts, const Mitigation& m) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  // Filesystems in node order, binaries in facts order (logical path order): deterministic output.
  std::map<NodeId, std::pair<std::size_t, std::vector<const ElfHardening*>>> by_fs;
  std::size_t partial = 0;
  for (const ElfHardening& h : facts.hardening) {
    if (!m.applies(h)) continue;
    ++out.run.subjects;
    auto& [examined, lacking] = by_fs[t.at(h.node).fs_root];
    ++examined;
    if (!h.diagnostic.empty()) ++partial;
    if (m.lacking(h)) lacking.push_back(&h);
  }
  if (partial > 0)
    out.run.notes.push_back(fmt::format("{} binaries could be read only in part (malformed or truncated)", partial));
  for (const auto& [fs, entry] : by_fs) {
    const auto& [examined, lacking] = entry;
    if (lacking.empty()) continue;
    Finding f;
    f.check_id = std::string(m.check_id);
    f.severity = m.severity(lacking);
    f.title = fmt::format("{} of {} binaries have {}", lacking.size(), examined, m.noun);
    std::string where = fs != kNoNode ? t.logical_path(fs) : "";
    f.description = fmt::format("{}{}", m.description,
                                lacking.size() > kMaxListed
                                    ? fmt::format(" The first {} of {} are listed.", kMaxListed, lacking.size())
                                    : std::string());
    f.remediation = std::string(m.remediation);
    if (fs != kNoNode) {
      Evidence summary = evidence_at(t, fs);
      summary.path.clear();  // the filesystem as a whole, not a file in it ("/" is no file location)
      summary.facts["binaries_examined"] = std::to_string(examined);
      summary.facts["binaries_affected"] = std::to_string(lacking.size());
      summary.facts["binaries_listed"] = std::to_string(std::min(lacking.size(), kMaxListed));
      f.evidence.push_back(std::move(summary));
    }
    for (std::size_t i = 0; i < lacking.size() && i < kMaxListed; ++i) {
      Evidence e = evidence_at(t, lacking[i]->node);
      e.facts["machine"] = lacking[i]->machine_name;
      m.describe(*lacking[i], e);
      f.evidence.push_back(std::move(e));
    }
    f.fingerprint = fingerprint(f.check_id, where, "");
    out.findings.push_back(std::move(f));
  }
  return out;
}

}  // namespace

CheckOutput check_no_nx(Context& ctx, const Facts& facts) {
  static const Mitigation m{
      "binaries.no_nx",
      "an executable stack",
      "These executables or libraries ask for an executable stack, or do not say (no PT_GNU_STACK header, "
      "which Linux and glibc treat as executable on most architectures). Code injected through a stack "
      "overflow can then run directly; with a shared library, every program that loads it is affected.",
      "Build with the toolchain's default non-executable stack (-Wl,-z,noexecstack; mark assembler sources "
      "with .note.GNU-stack) and remove nested functions that need trampolines.",
      linked,
      [](const ElfHardening& h) { return h.nx == Tristate::no; },
      [](const ElfHardening& h, Evidence& e) {
        e.facts["nx"] = "no";
        e.facts["reason"] = h.exec_stack_reason;
      },
      [](const auto&) { return Severity::high; }};
  return per_filesystem(ctx, facts, m);
}

CheckOutput check_no_pie(Context& ctx, const Facts& facts) {
  static const Mitigation m{
      "binaries.no_pie",
      "no position-independent code (PIE)",
      "These executables are linked at a fixed address (ET_EXEC), so address-space layout randomisation "
      "cannot move their code and data: return-oriented programming gadgets and writable data sit at "
      "addresses known from the firmware file.",
      "Build executables with -fPIE -pie (the default of current GCC and Clang toolchains).",
      [](const ElfHardening& h) { return h.pie == PieKind::yes || h.pie == PieKind::no; },
      [](const ElfHardening& h) { return h.pie == PieKind::no; },
      [](const ElfHardening&, Evidence& e) { e.facts["pie"] = "no"; },
      [](const auto&) { return Severity::medium; }};
  return per_filesystem(ctx, facts, m);
}

CheckOutput check_no_relro(Context& ctx, const Facts& facts) {
  static const Mitigation m{
      "binaries.no_relro",
      "no full RELRO",
      "These dynamically linked binaries leave their global offset table writable at run time: without "
      "PT_GNU_RELRO all of it (relro none), with PT_GNU_RELRO but lazy binding the part holding function "
      "addresses (relro partial). A memory-corruption bug can then redirect calls by overwriting it.",
      "Link with -Wl,-z,relro,-z,now.",
      [](const ElfHardening& h) { return linked(h) && h.dynamic; },
      [](const ElfHardening& h) { return h.relro != Relro::full; },
      [](const ElfHardening& h, Evidence& e) { e.facts["relro"] = to_string(h.relro); },
      [](const std::vector<const ElfHardening*>& lacking) {
        for (const auto* h : lacking)
          if (h->relro == Relro::none) return Severity::medium;
        return Severity::low;
      }};
  return per_filesystem(ctx, facts, m);
}

CheckOutput check_no_canary(Context& ctx, const Facts& facts) {
  static const Mitigation m{
      "binaries.no_canary",
      "no stack canary",
      "These binaries refer to no stack-protector symbol (__stack_chk_fail, __stack_chk_guard or their "
      "uClibc, musl and ProPolice variants), so no function in them checks a canary before returning: a "
      "stack buffer overflow can overwrite the return address unnoticed.",
      "Build with -fstack-protector-strong (or -fstack-protector-all).",
      [](const ElfHardening& h) { return linked(h) && (h.dynamic || !h.stripped); },
      [](const ElfHardening& h) { return !h.canary; },
      [](const ElfHardening& h, Evidence& e) {
        e.facts["canary"] = "no";
        if (!h.dynamic) e.facts["linking"] = "static";
      },
      [](const auto&) { return Severity::medium; }};
  auto out = per_filesystem(ctx, facts, m);
  std::size_t unknown = 0;
  for (const ElfHardening& h : facts.hardening) unknown += linked(h) && !h.dynamic && h.stripped;
  if (unknown > 0) {
    out.run.conclusive = false;
    out.run.notes.push_back(fmt::format(
        "{} statically linked, stripped binaries not assessed: without symbols a canary cannot be seen", unknown));
  }
  return out;
}

CheckOutput check_dangerous_functions(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (const ElfHardening& h : facts.hardening) {
    if (!linked(h)) continue;
    ++out.run.subjects;
    if (h.dangerous.empty()) continue;
    bool gets = std::find(h.dangerous.begin(), h.dangerous.end(), "gets") != h.dangerous.end();
    std::string list;
    for (const auto& d : h.dangerous) list += (list.empty() ? "" : ", ") + d;
    // Network-facing binaries (a daemon of the service graph that listens on the network) come first
    // in a review: their inputs are attacker-controlled.
    std::string where = device_path(t, facts, h.node);
    const Service* daemon = nullptr;
    for (const Service& s : facts.services)
      if (s.network && !s.resolved.empty() && s.resolved == where) {
        daemon = &s;
        break;
      }
    Finding f;
    f.check_id = "binaries.dangerous_functions";
    f.severity = daemon ? (gets ? Severity::medium : Severity::low) : (gets ? Severity::low : Severity::info);
    f.title = fmt::format("{}{} uses {}", h.path, daemon ? fmt::format(" (network-facing: {})", daemon->name) : "", list);
    f.description = fmt::format(
        "{} imports {}. These functions copy without a length limit (gets cannot be used safely at all) or run "
        "a shell command line; they are where buffer overflows and command injection are most often found in "
        "device firmware. Their presence is a pointer for review, not a vulnerability by itself.{}",
        h.path, list,
        daemon ? fmt::format(" This binary runs as the network service {} (started from {} line {}, as {}), so "
                             "review it first.",
                             daemon->name, daemon->source_path, daemon->line, daemon->user)
               : "");
    f.remediation = "Replace unbounded copies with bounded ones (snprintf, strlcpy or explicit length checks) and "
                    "shell invocations with fork/exec of a fixed program and argument vector.";
    Evidence e = evidence_at(t, h.node);
    e.facts["imports"] = list;
    e.facts["machine"] = h.machine_name;
    if (daemon) e.facts["network_service"] = daemon->name;
    if (!h.fortified.empty()) e.facts["fortified_imports"] = std::to_string(h.fortified.size());
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(h.node), list);
    out.findings.push_back(std::move(f));
  }
  return out;
}

extern const CheckInfo check_no_nx_info;  // listed in checks.def
const CheckInfo check_no_nx_info{
    "binaries.no_nx", "Executable stack",
    "Executables and shared libraries whose PT_GNU_STACK header asks for an executable stack, or that have "
    "none. One finding per filesystem lists the binaries (up to 50; the total is in the evidence facts).",
    {"reads what the binary asks for: whether the stack is really non-executable also depends on the CPU "
     "(MIPS cores without RI/XI, ARM before v6 have no execute protection) and the kernel (MIPS before 4.8 "
     "always maps the stack executable)",
     "with several PT_GNU_STACK headers the last one counts, as in the kernel and glibc",
     "kernel modules and object files are not examined"},
    &check_no_nx};

extern const CheckInfo check_no_pie_info;  // listed in checks.def
const CheckInfo check_no_pie_info{
    "binaries.no_pie", "Executable without PIE",
    "Executables linked at a fixed address (ET_EXEC), which ASLR cannot relocate. Shared libraries are "
    "position-independent by construction and not counted.",
    {"an ET_DYN file counts as a PIE executable when it has DF_1_PIE, DT_DEBUG, DT_MIPS_RLD_MAP or an "
     "interpreter without a soname, otherwise as a shared library",
     "whether ASLR is enabled (kernel.randomize_va_space) is not checked"},
    &check_no_pie};

extern const CheckInfo check_no_relro_info;  // listed in checks.def
const CheckInfo check_no_relro_info{
    "binaries.no_relro", "Binary without full RELRO",
    "Dynamically linked executables and libraries without PT_GNU_RELRO (relro none) or without immediate "
    "binding (relro partial). Medium when any has none, low when all have partial RELRO.",
    {"statically linked binaries are not examined",
     "RELRO is read as the file declares it (PT_GNU_RELRO, immediate binding); which sections the segment "
     "really covers (on MIPS, whether the GOT is inside it) is not checked"},
    &check_no_relro};

extern const CheckInfo check_no_canary_info;  // listed in checks.def
const CheckInfo check_no_canary_info{
    "binaries.no_canary", "Binary without stack canary",
    "Executables and libraries that refer to no stack-protector symbol: neither __stack_chk_fail, "
    "__stack_chk_guard, __stack_chk_fail_local, __stack_smash_handler, __guard nor __intel_security_cookie.",
    {"detection by symbols only: a binary without any function that needs a canary (no local arrays) is "
     "listed too, and a statically linked one counts as protected when libc's __stack_chk_fail is linked in",
     "statically linked binaries without a symbol table cannot be assessed (the check says so)",
     "the C library's own definition of __stack_chk_fail does not count as protection"},
    &check_no_canary};

extern const CheckInfo check_dangerous_functions_info;  // listed in checks.def
const CheckInfo check_dangerous_functions_info{
    "binaries.dangerous_functions", "Risky libc functions imported",
    "One finding per executable or library importing gets, system, popen, strcpy, strcat, sprintf, vsprintf, "
    "stpcpy, the exec* family, mktemp, tmpnam, tempnam, scanf or wide-character copies (low with gets, "
    "info otherwise).",
    {"imports only: calls through function pointers or inside statically linked code of a stripped binary "
     "are not seen", "says nothing about whether a call is actually exploitable"},
    &check_dangerous_functions};

}  // namespace iotaudit::analyze
