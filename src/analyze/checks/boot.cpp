// Bootloader environments: an autoboot anyone on the serial console can interrupt into a U-Boot
// shell (which reads and writes flash and boots anything), and kernel command lines that start a
// shell instead of init or boot single-user.
#include <algorithm>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"

namespace iotaudit::analyze {

namespace {

const std::string* var(const BootEnv& e, std::string_view name) {
  for (const auto& [k, v] : e.vars)
    if (k == name) return &v;
  return nullptr;
}

Evidence env_evidence(const Tree& t, const BootEnv& e, std::string excerpt) {
  Evidence ev = evidence_at(t, e.node);
  ev.offset = e.offset;
  ev.excerpt = std::move(excerpt);
  ev.facts["environment"] = e.origin;
  ev.facts["variables"] = std::to_string(e.vars.size());
  return ev;
}

}  // namespace

CheckOutput check_bootloader_console(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (const BootEnv& e : facts.boot_envs) {
    ++out.run.subjects;
    bool keyed = false;
    for (const char* k : {"bootstopkey", "bootstopkey2", "bootstopkeysha256", "bootdelaykey", "bootdelaykey2",
                          "iotaudit.autoboot_keyed"})
      keyed = keyed || var(e, k) != nullptr;
    if (keyed) {
      out.run.notes.push_back(fmt::format("{}: autoboot needs a stop key", t.logical_path(e.node)));
      continue;
    }
    const std::string* delay = var(e, "bootdelay");
    if (delay && *delay == "-2") continue;  // autoboot without looking for a key press
    if (!delay && e.origin == "environment partition") continue;  // the compiled default decides
    bool forever = delay && *delay == "-1";
    Finding f;
    f.check_id = "boot.console_interrupt";
    f.title = forever ? "U-Boot does not autoboot: the serial console stays at a bootloader prompt"
                      : fmt::format("U-Boot autoboot can be interrupted from the serial console (bootdelay={})",
                                    delay ? *delay : "compiled default");
    f.severity = forever ? Severity::high : Severity::medium;
    f.description = fmt::format(
        "The {} sets bootdelay={} and no stop key or password (bootstopkey, bootstopkeysha256, "
        "CONFIG_AUTOBOOT_KEYED): anyone with the serial console — usually a UART header on the board — gets the "
        "U-Boot shell, from which flash can be read and rewritten and any kernel booted, bypassing every control of "
        "the running system.",
        e.origin, delay ? *delay : "(not set: the compiled-in default)");
    f.remediation = "Set bootdelay=-2 (or 0 with CONFIG_ZERO_BOOTDELAY_CHECK off), or require a stop key with "
                    "CONFIG_AUTOBOOT_KEYED and a SHA-256 protected password; disable the console in production "
                    "(CONFIG_SILENT_CONSOLE, CONFIG_DISABLE_CONSOLE) and enable verified boot.";
    f.evidence.push_back(env_evidence(t, e, delay ? fmt::format("bootdelay={}", *delay) : "bootdelay not set"));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(e.node), std::to_string(e.offset));
    out.findings.push_back(std::move(f));
  }
  if (facts.boot_envs.empty()) {
    out.run.conclusive = false;
    out.run.notes.push_back("no bootloader environment in the input");
  }
  return out;
}

CheckOutput check_kernel_cmdline(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (const BootEnv& e : facts.boot_envs) {
    for (const auto& [k, v] : e.vars) {
      if (k != "bootargs" && !k.ends_with("args")) continue;
      ++out.run.subjects;
      std::string why;
      Severity sev = Severity::high;
      std::size_t i = 0;
      while (i < v.size()) {
        std::size_t j = v.find(' ', i);
        if (j == std::string::npos) j = v.size();
        std::string_view w = std::string_view(v).substr(i, j - i);
        i = j + 1;
        if (w.starts_with("init=") || w.starts_with("rdinit=")) {
          std::string_view prog = w.substr(w.find('=') + 1);
          std::string_view base = prog.substr(prog.rfind('/') == std::string_view::npos ? 0 : prog.rfind('/') + 1);
          if (base == "sh" || base == "ash" || base == "bash" || base == "hush") {
            why = fmt::format("'{}' starts a root shell instead of init", w);
            sev = Severity::critical;
          }
        } else if ((w == "single" || w == "S" || w == "emergency") && why.empty()) {
          why = fmt::format("'{}' boots single-user mode, a root shell on the console", w);
        }
      }
      if (why.empty()) continue;
      Finding f;
      f.check_id = "boot.kernel_cmdline";
      f.title = fmt::format("Kernel command line gives a root shell ({})", k);
      f.severity = sev;
      f.description = fmt::format("The {} sets {}: {}, without any login.", e.origin, k, why);
      f.remediation = "Boot the normal init with a login on the console; never ship debug boot arguments.";
      f.evidence.push_back(env_evidence(t, e, fmt::format("{}={}", k, v.substr(0, 160))));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(e.node), k);
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

CheckOutput check_verified_boot(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  out.run.conclusive = false;
  // Something that boots must be in the input for the question to make sense.
  bool bootable = !facts.boot_envs.empty();
  std::vector<std::string> signs;
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.format == "linux-kernel" || n.format == "uimage" || n.format == "fdt" || n.format == "android-boot")
      bootable = true;
    if (n.format == "fdt") {
      ++out.run.subjects;
      BlobPtr b = t.content(id);
      if (!b) continue;
      std::string_view v = b->view().as_chars();
      // FIT signature nodes (and the public keys of a U-Boot control device tree) carry a
      // key-name-hint property; "required" marks keys U-Boot must verify with.
      if (v.find("key-name-hint") != std::string_view::npos)
        signs.push_back(fmt::format("signed FIT or verification key in {}", t.logical_path(id)));
    }
    if ((n.type == NodeType::region || n.type == NodeType::image) && n.format.find("vbmeta") != std::string::npos)
      signs.push_back(fmt::format("Android verified boot metadata in {}", t.logical_path(id)));
  }
  for (const BootEnv& e : facts.boot_envs)
    for (const auto& [k, v] : e.vars)
      if (k.ends_with("args") && v.find("verity") != std::string::npos)
        signs.push_back(fmt::format("dm-verity on the kernel command line ({} of the {})", k, e.origin));
  if (!signs.empty()) {
    out.run.conclusive = true;
    for (const auto& s : signs) out.run.notes.push_back(s);
    return out;
  }
  if (!bootable) {
    out.run.notes.push_back("no kernel, bootloader or device tree in the input: verified boot cannot be judged");
    return out;
  }
  out.run.notes.push_back("secure boot rooted in the SoC's ROM and fuses cannot be seen in a firmware image");
  Finding f;
  f.check_id = "boot.verified_boot";
  f.title = "No evidence of verified boot in the firmware";
  f.severity = Severity::low;
  f.description = "The image holds a kernel, bootloader or device tree, but no signed FIT image or verification key "
                  "(key-name-hint), no dm-verity on the kernel command line and no Android verified-boot metadata: "
                  "nothing in it shows that the device checks the software it boots, so modified firmware written "
                  "to flash (by an attacker with physical access or through an unsigned update) would run. Secure "
                  "boot rooted in the SoC's ROM cannot be seen from here; the manufacturer's documentation decides.";
  f.remediation = "Sign the kernel and device tree (U-Boot FIT signatures with a required key in the control DTB, "
                  "or the SoC vendor's secure boot), protect the root filesystem with dm-verity, and document it.";
  Evidence e = evidence_at(t, t.root());
  e.facts["searched"] = "FIT signature nodes, U-Boot verification keys, dm-verity bootargs, Android vbmeta";
  f.evidence.push_back(std::move(e));
  f.fingerprint = fingerprint(f.check_id, t.logical_path(t.root()), "");
  out.findings.push_back(std::move(f));
  return out;
}

extern const CheckInfo check_verified_boot_info;
const CheckInfo check_verified_boot_info{
    "boot.verified_boot", "Verified-boot evidence",
    "Looks for signs that the device verifies what it boots: FIT images with signature nodes or U-Boot control "
    "device trees with verification keys, dm-verity on the kernel command line, Android vbmeta. Reports their "
    "absence (low) when the input contains something bootable; never informs a provision on its own, since ROM "
    "secure boot is invisible in a firmware image.",
    {"SoC vendor secure-boot headers (NXP HAB, Qualcomm, Broadcom) are not parsed yet",
     "a signed image is not proof that the bootloader enforces the signature (required keys are not evaluated)"},
    &check_verified_boot};

extern const CheckInfo check_bootloader_console_info;
const CheckInfo check_bootloader_console_info{
    "boot.console_interrupt", "Bootloader shell reachable from the serial console",
    "U-Boot environments (partitions and the default compiled into the bootloader) whose bootdelay lets a key "
    "press interrupt autoboot (anything but -2) with no stop key or password configured.",
    {"whether the UART is reachable on the board is not known from the firmware",
     "U-Boot builds with the console disabled at compile time are not recognised"},
    &check_bootloader_console};

extern const CheckInfo check_kernel_cmdline_info;
const CheckInfo check_kernel_cmdline_info{
    "boot.kernel_cmdline", "Kernel command line with a shell or single-user boot",
    "bootargs (and other *args variables) of U-Boot environments with init=/bin/sh-style shells or single-user "
    "mode.",
    {"command lines built into the kernel (CONFIG_CMDLINE) or device trees are not yet read"},
    &check_kernel_cmdline};

}  // namespace iotaudit::analyze
