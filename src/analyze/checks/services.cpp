// Judgments over the static service graph (facts.services): remote shells, shells on the serial
// console, debug daemons, daemons left running as root, SSH servers that accept root passwords.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analyze/analyzer.hpp"
#include "analyze/services_data.hpp"
#include "core/text.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {

std::string_view base(std::string_view p) {
  auto s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

bool is_shell(std::string_view prog) {
  auto b = base(prog);
  return b == "sh" || b == "ash" || b == "bash" || b == "hush" || b == "msh" || b == "dash" || b == "zsh" ||
         b == "ksh";
}

Evidence service_evidence(const Tree& t, const Service& s) {
  Evidence e = evidence_at(t, s.source);
  e.path = s.source_path;
  if (s.line > 0) e.line = s.line;
  e.excerpt = s.command;
  e.facts["service"] = s.name;
  e.facts["binary"] = s.binary;
  if (!s.resolved.empty()) e.facts["resolved"] = s.resolved;
  e.facts["arguments"] = fmt::format("{}", fmt::join(s.args, " "));
  e.facts["started_by"] = s.started_by;
  e.facts["user"] = s.user;
  e.facts["user_decided_by"] = s.user_how;
  if (!s.console.empty()) e.facts["console"] = s.console;
  if (s.conditional) e.facts["conditional"] = "started only under a condition in the script: review when it applies";
  return e;
}

// The value of an option ("-l" "/bin/sh" or "-l/bin/sh").
std::optional<std::string> option(const Service& s, std::string_view flag) {
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    if (s.args[i] == flag && i + 1 < s.args.size()) return s.args[i + 1];
    if (s.args[i].size() > flag.size() && s.args[i].starts_with(flag) && flag.size() == 2) return s.args[i].substr(2);
  }
  return std::nullopt;
}

bool has_flag(const Service& s, char f) {
  // short options may be grouped ("-wg"); stop at the first non-option argument of a value flag
  for (const auto& a : s.args)
    if (a.size() >= 2 && a[0] == '-' && a[1] != '-' && a.find(f) != std::string::npos) return true;
  return false;
}

Finding make(std::string_view id, std::string title, Severity sev, std::string desc, std::string fix) {
  Finding f;
  f.check_id = std::string(id);
  f.title = std::move(title);
  f.severity = sev;
  f.description = std::move(desc);
  f.remediation = std::move(fix);
  return f;
}

}  // namespace

CheckOutput check_telnet(Context& ctx, const Facts& facts) {
  CheckOutput out;
  for (const Service& s : facts.services) {
    if (s.name != "telnetd" && s.name != "utelnetd") continue;
    ++out.run.subjects;
    auto login = option(s, "-l");
    bool shell = login && is_shell(*login);
    Finding f = make(
        "services.telnet",
        shell ? fmt::format("telnetd gives an unauthenticated root shell ({} -l {})", s.name, *login)
              : fmt::format("telnetd is started at boot{} ({})", s.conditional ? " under a condition" : "", s.source_path),
        shell ? Severity::critical : Severity::high,
        shell ? fmt::format("{} line {} starts {} with '-l {}': anyone who can reach TCP port 23 gets a shell as {} "
                            "without any password. Telnet also sends everything, passwords included, in clear text.",
                            s.source_path, s.line, s.binary, *login, s.user)
              : fmt::format("{} line {} starts {}: a clear-text remote login service listening on TCP port 23. "
                            "Telnet exposes credentials to anyone on the path and is the first service botnets "
                            "such as Mirai try with default passwords.",
                            s.source_path, s.line, s.binary),
        "Do not start telnetd in production firmware; if remote administration is needed, use SSH with per-device "
        "or user-set credentials (or keys) and disable root password logins.");
    Evidence e = service_evidence(ctx.tree, s);
    e.facts["login_program"] = login.value_or("/bin/login (default)");
    e.facts["unauthenticated_shell"] = shell ? "true" : "false";
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(s.source), fmt::format("{}:{}", s.line, s.binary));
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_console_shell(Context& ctx, const Facts& facts) {
  CheckOutput out;
  for (const Service& s : facts.services) {
    if (s.started_by != "inittab") continue;
    ++out.run.subjects;
    if (!is_shell(s.binary)) continue;
    bool serial = s.console.starts_with("ttyS") || s.console.starts_with("ttyAMA") || s.console.starts_with("ttyO") ||
                  s.console.starts_with("ttyMSM") || s.console.starts_with("ttyHS") || s.console.starts_with("ttymxc") ||
                  s.console.starts_with("ttyUSB") || s.console == "console";
    Finding f = make(
        "services.console_shell",
        fmt::format("Root shell without login on {} ({})", s.console, s.source_path),
        Severity::high,
        fmt::format("{} line {} runs {} on {} ({} action '{}') without a login prompt: whoever connects to {} — "
                    "on most devices a UART header on the board — gets a root shell without a password.",
                    s.source_path, s.line, s.binary, s.console, s.started_by, s.action,
                    serial ? "the serial console" : "this terminal"),
        "Run a getty/login (with a per-device or user-set password) on the console, or nothing at all in production "
        "builds; disable the UART console in the bootloader and kernel command line.");
    Evidence e = service_evidence(ctx.tree, s);
    e.facts["action"] = s.action;
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(s.source), fmt::format("{}:{}", s.line, s.console));
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_debug_daemon(Context& ctx, const Facts& facts) {
  CheckOutput out;
  std::set<std::pair<NodeId, std::string>> started;
  for (const Service& s : facts.services) {
    if (s.kind != "debug") continue;
    ++out.run.subjects;
    started.insert({s.fs_root, s.name});
    std::string listen = s.args.empty() ? "" : s.args.front();
    Finding f = make("services.debug_daemon", fmt::format("Debug service {} is started at boot", s.name),
                     Severity::critical,
                     fmt::format("{} line {} starts {}{}: a debugger or debug bridge reachable over the network lets "
                                 "anyone run and inspect code on the device as {}.",
                                 s.source_path, s.line, s.binary,
                                 listen.empty() ? "" : fmt::format(" listening on {}", listen), s.user),
                     "Remove debug daemons (gdbserver, adbd) from production firmware or build them only into "
                     "engineering images.");
    Evidence e = service_evidence(ctx.tree, s);
    if (!listen.empty()) e.facts["listen"] = listen;
    f.evidence.push_back(std::move(e));
    if (!s.resolved.empty()) {
      NodeId bin = ctx.tree.resolve(s.fs_root, s.resolved);
      if (bin != kNoNode) {
        Evidence b = evidence_at(ctx.tree, bin);
        b.path = s.resolved;
        b.facts["role"] = "the debug program";
        f.evidence.push_back(std::move(b));
      }
    }
    f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(s.source), fmt::format("{}:{}", s.line, s.name));
    out.findings.push_back(std::move(f));
  }
  // Shipped but not started: still a finding (anyone with a shell can start it), lower severity.
  for (NodeId root : facts.rootfs) {
    for (const char* p : {"usr/bin/gdbserver", "bin/gdbserver", "usr/sbin/gdbserver", "sbin/adbd", "usr/bin/adbd",
                          "usr/sbin/adbd"}) {
      NodeId n = ctx.tree.resolve(root, p);
      if (n == kNoNode || ctx.tree.at(n).type != NodeType::file) continue;
      std::string name(base(p));
      ++out.run.subjects;
      if (started.contains({root, name})) continue;
      Finding f = make("services.debug_daemon", fmt::format("Debug program {} is shipped in the firmware", name),
                       Severity::medium,
                       fmt::format("/{} is present although nothing found starts it at boot; together with any shell "
                                   "access it lets an attacker debug and modify running services.",
                                   p),
                       "Remove debug programs from production firmware.");
      Evidence e = evidence_at(ctx.tree, n);
      e.path = ctx.tree.path_within(root, n);
      e.facts["started_at_boot"] = "false";
      f.evidence.push_back(std::move(e));
      f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(n), name);
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

CheckOutput check_root_daemon(Context& ctx, const Facts& facts) {
  CheckOutput out;
  for (const Service& s : facts.services) {
    if (s.kind.empty() || s.kind == "debug") continue;  // unknown programs: no basis to judge
    ++out.run.subjects;
    if (s.user != "root" && s.user != "0") continue;
    if (s.needs_root) continue;
    Finding f = make(
        "services.root_daemon", fmt::format("{} runs as root although it does not need to", s.name),
        s.network ? Severity::medium : Severity::low,
        fmt::format("{} (started from {} line {}) keeps uid 0: {}. {} can run as an unprivileged user, so a "
                    "vulnerability in it would otherwise give an attacker the whole device{}.",
                    s.binary, s.source_path, s.line, s.user_how, s.name,
                    s.network ? fmt::format(" over the network ({})", fmt::join(s.ports, ", ")) : ""),
        fmt::format("Run {} as a dedicated unprivileged user (its own option or configuration, or start-stop-daemon "
                    "-c / su / chpst in the init script).",
                    s.name));
    Evidence e = service_evidence(ctx.tree, s);
    if (!s.config.empty()) e.facts["config"] = s.config;
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(s.source), fmt::format("{}:{}", s.line, s.name));
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_ssh_root_login(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (const Service& s : facts.services) {
    if (s.name == "dropbear") {
      ++out.run.subjects;
      // -w: disallow root logins; -g: disable password logins for root; -s: disable password logins.
      if (has_flag(s, 'w') || has_flag(s, 'g') || has_flag(s, 's')) continue;
      bool dynamic = std::any_of(s.args.begin(), s.args.end(), [](const std::string& a) { return a.find('$') != std::string::npos; });
      std::string uci_note;
      if (dynamic) {
        // OpenWrt builds the options from /etc/config/dropbear: RootPasswordAuth off -> -g,
        // PasswordAuth off -> -s, RootLogin 0 -> -w. Both default to on.
        NodeId uci = t.resolve(s.fs_root, "etc/config/dropbear");
        BlobPtr ub = uci == kNoNode ? nullptr : t.content(uci);
        if (!ub || !formats::looks_like_text(ub->view().as_chars())) {
          out.run.conclusive = false;
          out.run.notes.push_back(fmt::format("dropbear options in {} line {} are built at run time", s.source_path, s.line));
          continue;
        }
        bool locked = false;
        for (const auto& e : formats::parse_conf(ub->view().as_chars(), 10000)) {
          auto w = formats::split_words(e.value, 4);
          if (e.key != "option" || w.size() < 2) continue;
          if ((w[0] == "RootPasswordAuth" || w[0] == "PasswordAuth") && (w[1] == "off" || w[1] == "0")) locked = true;
          if (w[0] == "RootLogin" && (w[1] == "off" || w[1] == "0")) locked = true;
        }
        if (locked) continue;
        uci_note = " (options from /etc/config/dropbear, where RootPasswordAuth and PasswordAuth are on or default to on)";
      }
      Finding f = make(
          "services.ssh_root_password",
          "SSH server accepts root logins with a password (dropbear without -w, -g or -s)", Severity::high,
          fmt::format("{} line {} starts dropbear with '{}'{}: none of -w (no root logins), -g (no root password "
                      "logins) or -s (no password logins) is given, so root may log in over SSH with a password — "
                      "and any weak or default root password becomes remotely exploitable.",
                      s.source_path, s.line, fmt::join(s.args, " "), uci_note),
          "Start dropbear with -w or -g (or -s with key-only logins) and give administrators their own accounts.");
      Evidence e = service_evidence(t, s);
      e.facts["dropbear_flags"] = fmt::format("{}", fmt::join(s.args, " "));
      f.evidence.push_back(std::move(e));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(s.source), fmt::format("{}:dropbear", s.line));
      out.findings.push_back(std::move(f));
    } else if (s.name == "sshd") {
      ++out.run.subjects;
      NodeId cn = s.config.empty() ? kNoNode : t.resolve(s.fs_root, s.config);
      if (cn == kNoNode) continue;
      BlobPtr b = t.content(cn);
      if (!b || !formats::looks_like_text(b->view().as_chars())) continue;
      std::string root_login, password_auth, empty;
      std::uint64_t root_line = 0, empty_line = 0;
      bool in_match = false;
      for (const auto& e : formats::parse_conf(b->view().as_chars())) {
        const std::string k = ascii_lower(e.key);
        if (k == "match") in_match = true;
        if (in_match) continue;  // conditional blocks: not the global default
        // sshd uses the first value it reads for each keyword
        if (k == "permitrootlogin" && root_login.empty()) {
          root_login = e.value;
          root_line = e.line;
        }
        if (k == "passwordauthentication" && password_auth.empty()) password_auth = e.value;
        if (k == "permitemptypasswords" && empty.empty()) {
          empty = e.value;
          empty_line = e.line;
        }
      }
      bool pw = password_auth.empty() || password_auth == "yes";
      if (root_login == "yes" && pw) {
        Finding f = make("services.ssh_root_password",
                         "SSH server accepts root logins with a password (PermitRootLogin yes)", Severity::high,
                         fmt::format("{} line {} sets PermitRootLogin yes with password authentication enabled: root "
                                     "may log in over SSH with a password.",
                                     s.config, root_line),
                         "Set PermitRootLogin no (or prohibit-password) and give administrators their own accounts.");
        Evidence e = evidence_at(t, cn);
        e.path = s.config;
        e.line = root_line;
        e.excerpt = "PermitRootLogin yes";
        f.evidence.push_back(std::move(e));
        f.evidence.push_back(service_evidence(t, s));
        f.fingerprint = fingerprint(f.check_id, t.logical_path(cn), "PermitRootLogin");
        out.findings.push_back(std::move(f));
      }
      if (empty == "yes" && pw) {
        Finding f = make("services.ssh_root_password", "SSH server accepts empty passwords (PermitEmptyPasswords yes)",
                         Severity::critical,
                         fmt::format("{} line {} sets PermitEmptyPasswords yes: accounts without a password can log "
                                     "in over SSH.",
                                     s.config, empty_line),
                         "Set PermitEmptyPasswords no.");
        Evidence e = evidence_at(t, cn);
        e.path = s.config;
        e.line = empty_line;
        e.excerpt = "PermitEmptyPasswords yes";
        f.evidence.push_back(std::move(e));
        f.fingerprint = fingerprint(f.check_id, t.logical_path(cn), "PermitEmptyPasswords");
        out.findings.push_back(std::move(f));
      }
    }
  }
  return out;
}

extern const CheckInfo check_telnet_info;
const CheckInfo check_telnet_info{
    "services.telnet", "Telnet server started at boot",
    "telnetd or utelnetd started from inittab, a boot script, procd, systemd or inetd; critical when its login "
    "program is a shell (-l /bin/sh).",
    {"services started only by vendor binaries (not by scripts or configuration) are not seen"},
    &check_telnet};

extern const CheckInfo check_console_shell_info;
const CheckInfo check_console_shell_info{
    "services.console_shell", "Shell without login on a console",
    "inittab entries (or BusyBox init's built-in default) that run a shell instead of getty/login on a terminal, "
    "typically the serial console.",
    {"whether the UART is physically reachable is not known from the firmware",
     "kernel command lines that disable the console are not yet taken into account"},
    &check_console_shell};

extern const CheckInfo check_debug_daemon_info;
const CheckInfo check_debug_daemon_info{
    "services.debug_daemon", "Debug service started or shipped",
    "gdbserver or adbd started at boot (critical) or present in the root filesystem (medium).",
    {"debug CGI endpoints are a separate check (web.command_injection_cgi)"},
    &check_debug_daemon};

extern const CheckInfo check_root_daemon_info;
const CheckInfo check_root_daemon_info{
    "services.root_daemon", "Daemon runs as root without needing to",
    "Known daemons (data/services/daemons.json) that end up running as root although they can run unprivileged: "
    "no privilege-dropping wrapper, option or configuration setting was found.",
    {"only daemons listed in data/services/daemons.json are judged",
     "privilege drops done inside vendor binaries cannot be seen statically"},
    &check_root_daemon};

extern const CheckInfo check_ssh_root_login_info;
const CheckInfo check_ssh_root_login_info{
    "services.ssh_root_password", "SSH root login with password",
    "dropbear started without -w/-g/-s, and OpenSSH sshd_config with PermitRootLogin yes or PermitEmptyPasswords "
    "yes (global settings; Match blocks are ignored).",
    {"dropbear options set through OpenWrt UCI (/etc/config/dropbear) are not yet read"},
    &check_ssh_root_login};

}  // namespace iotaudit::analyze
