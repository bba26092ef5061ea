// The static service graph of every root filesystem: inittab (BusyBox and SysV, and BusyBox's
// built-in default when there is none), the boot scripts it runs (rcS, rc.local, /etc/init.d/S??*,
// /etc/rc.d and /etc/rc?.d links), the init scripts they call, OpenWrt procd scripts, systemd units
// wanted by a target, and inetd.conf. Each daemon named in data/services/daemons.json becomes a
// Service with the user it ends up running as: privilege-dropping wrappers (start-stop-daemon -c,
// su, chpst, setuidgid, runuser), the daemon's own options (-u), its configuration file
// (dnsmasq user=, lighttpd server.username…) or its built-in default.
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analyze/analyzer.hpp"
#include "analyze/services_data.hpp"
#include "core/embedded_data.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {

std::vector<DaemonInfo> load_daemons() {
  std::vector<DaemonInfo> out;
  auto text = embedded::file("services/daemons.json");
  if (!text) return out;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("daemons")) return out;
  auto strs = [](const nlohmann::json& o, const char* k) {
    std::vector<std::string> v;
    if (o.contains(k) && o[k].is_array())
      for (const auto& s : o[k])
        if (s.is_string()) v.push_back(s.get<std::string>());
    return v;
  };
  for (const auto& d : j["daemons"]) {
    DaemonInfo i;
    i.names = strs(d, "names");
    i.kind = d.value("kind", "other");
    i.needs_root = d.value("needs_root", false);
    i.network = d.value("network", false);
    i.ports = strs(d, "ports");
    i.user_flags = strs(d, "user_flags");
    i.config_flags = strs(d, "config_flags");
    i.config_defaults = strs(d, "config_defaults");
    i.user_keys = strs(d, "user_keys");
    i.default_user = d.value("default_user", "");
    i.drops_by_default = d.value("drops_by_default", "");
    out.push_back(std::move(i));
  }
  return out;
}

std::string_view basename(std::string_view p) {
  auto s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

constexpr std::size_t kMaxScript = 1 << 20;  // larger "scripts" are not boot scripts
constexpr std::size_t kMaxScripts = 512;
constexpr unsigned kMaxCallDepth = 3;

struct Walker {
  const Tree& t;
  NodeId root;
  std::vector<Service>& out;
  std::set<NodeId> seen_scripts;
  std::set<std::tuple<NodeId, std::uint64_t, std::string>> seen_services;

  struct ScriptJob {
    NodeId node;
    unsigned depth;
    std::string started_by;
  };
  std::deque<ScriptJob> queue;

  std::string path_of(NodeId n) const { return t.path_within(root, n); }

  NodeId resolve_program(std::string_view prog) const {
    if (prog.empty()) return kNoNode;
    if (prog.front() == '/') return t.resolve(root, prog);
    if (prog.find('/') != std::string_view::npos) return kNoNode;
    for (const char* dir : {"bin/", "sbin/", "usr/bin/", "usr/sbin/", "usr/local/bin/", "usr/local/sbin/"}) {
      NodeId n = t.resolve(root, std::string(dir) + std::string(prog));
      if (n != kNoNode) return n;
    }
    return kNoNode;
  }

  // A text file no larger than kMaxScript; nullptr otherwise.
  BlobPtr text_of(NodeId n) const {
    if (n == kNoNode || t.at(n).type != NodeType::file || t.at(n).size > kMaxScript) return nullptr;
    BlobPtr b = t.content(n);
    if (!b || !formats::looks_like_text(b->view().as_chars())) return nullptr;
    return b;
  }

  void enqueue_script(NodeId n, unsigned depth, std::string started_by) {
    if (n == kNoNode || seen_scripts.size() >= kMaxScripts || !seen_scripts.insert(n).second) return;
    if (!text_of(n)) return;
    queue.push_back({n, depth, std::move(started_by)});
  }

  // Peels wrappers off a command; returns the daemon's words and records privilege drops.
  std::vector<std::string> unwrap(std::vector<std::string> w, std::string& user, std::string& how) const {
    for (int guard = 0; guard < 8 && !w.empty(); ++guard) {
      auto drop_front = [&](std::size_t n) { w.erase(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(std::min(n, w.size()))); };
      std::string_view cmd = basename(w[0]);
      if (w[0].find('=') != std::string::npos && w[0].front() != '/' && w[0].front() != '-') {
        if (w[0].starts_with("SERVICE_UID=") && w[0].size() > 12) {  // OpenWrt service_start
          user = w[0].substr(12);
          how = w[0];
        }
        drop_front(1);  // VAR=value prefix
      } else if (cmd == "exec" || cmd == "nohup" || cmd == "setsid" || cmd == "command" || cmd == "env") {
        drop_front(1);
      } else if (cmd == "nice" || cmd == "ionice" || cmd == "taskset") {
        drop_front(1);
        while (!w.empty() && w[0].starts_with("-")) {
          bool takes = w[0] == "-n" || w[0] == "-c" || w[0] == "-p";
          drop_front(takes ? 2 : 1);
        }
        if (cmd == "taskset" && !w.empty()) drop_front(1);  // the mask
      } else if ((cmd == "service_start" || cmd == "start_daemon" || cmd == "daemon") && w.size() > 1) {
        // OpenWrt's pre-procd /lib/functions/service.sh and LSB init-functions wrappers
        drop_front(1);
        while (!w.empty() && w[0].starts_with("-") && w[0].size() > 1 && w[0][1] != '-') drop_front(1);
      } else if (cmd == "busybox" && w.size() > 1) {
        drop_front(1);
      } else if (cmd == "chroot" && w.size() > 2) {
        drop_front(2);
      } else if (cmd == "start-stop-daemon" || cmd == "ssd") {
        std::vector<std::string> rest;
        std::string exec;
        bool start = false;
        for (std::size_t i = 1; i < w.size(); ++i) {
          const std::string& a = w[i];
          auto val = [&](std::string_view longopt) -> std::optional<std::string> {
            if (a.starts_with(std::string(longopt) + "=")) return a.substr(longopt.size() + 1);
            if (i + 1 < w.size()) return w[++i];
            return std::nullopt;
          };
          if (a == "--") {
            rest.assign(w.begin() + static_cast<std::ptrdiff_t>(i) + 1, w.end());
            break;
          }
          if (a == "-S" || a == "--start") start = true;
          else if (a == "-x" || a == "--exec" || a.starts_with("--exec=")) exec = val("--exec").value_or("");
          else if (a == "-a" || a == "--startas" || a.starts_with("--startas=")) exec = val("--startas").value_or(exec);
          else if (a == "-c" || a == "--chuid" || a.starts_with("--chuid=")) {
            if (auto v = val("--chuid")) {
              user = v->substr(0, v->find(':'));
              how = fmt::format("start-stop-daemon {}", a.starts_with("--chuid=") ? a : "-c " + *v);
            }
          } else if (a == "-u" || a == "--user" || a == "-p" || a == "--pidfile" || a == "-n" || a == "--name" ||
                     a == "-N" || a == "--nicelevel" || a == "-g" || a == "--group" || a == "-d" || a == "--chdir" ||
                     a == "-r" || a == "--chroot" || a == "-s" || a == "--signal" || a == "-k" || a == "--umask") {
            if (i + 1 < w.size()) ++i;  // options with a value that do not change the user
          }
        }
        if (!start || exec.empty()) return {};
        std::vector<std::string> nw{exec};
        nw.insert(nw.end(), rest.begin(), rest.end());
        w = std::move(nw);
      } else if (cmd == "su") {
        // su [-] [-s shell] [-c command] [user] [-c command]
        std::string command, who;
        for (std::size_t i = 1; i < w.size(); ++i) {
          if (w[i] == "-c" && i + 1 < w.size()) command = w[++i];
          else if (w[i] == "-s" && i + 1 < w.size()) ++i;
          else if (w[i] == "-" || w[i] == "-l" || w[i] == "-m" || w[i] == "-p") continue;
          else if (!w[i].starts_with("-") && who.empty()) who = w[i];
        }
        if (command.empty()) return {};
        user = who.empty() ? "root" : who;
        how = fmt::format("su {} -c", user);
        auto words = formats::split_words(command);
        auto end = std::find_if(words.begin(), words.end(), [](const std::string& x) {
          return x == ";" || x == "&" || x == "&&" || x == "||" || x == "|" || x == "\n";
        });
        w.assign(words.begin(), end);
      } else if ((cmd == "chpst" || cmd == "runuser" || cmd == "sudo") && w.size() > 2) {
        std::size_t i = 1;
        for (; i < w.size(); ++i) {
          if ((w[i] == "-u" || w[i] == "-U") && i + 1 < w.size()) {
            user = w[i + 1].substr(0, w[i + 1].find(':'));
            how = fmt::format("{} {} {}", cmd, w[i], w[i + 1]);
            ++i;
          } else if (w[i] == "--") {
            ++i;
            break;
          } else if (!w[i].starts_with("-")) {
            break;
          }
        }
        drop_front(i);
      } else if ((cmd == "setuidgid" || cmd == "envuidgid") && w.size() > 2) {
        user = w[1];
        how = fmt::format("{} {}", cmd, w[1]);
        drop_front(2);
      } else {
        break;
      }
    }
    return w;
  }

  // Who the daemon runs as, from its options, then its configuration file, then its default.
  void settle_user(Service& s, const DaemonInfo& d) const {
    if (!s.user_how.empty()) return;  // a wrapper decided
    for (std::size_t i = 0; i < s.args.size(); ++i) {
      const std::string& a = s.args[i];
      for (const auto& f : d.user_flags) {
        std::optional<std::string> v;
        if (a == f && i + 1 < s.args.size()) v = s.args[i + 1];
        else if (f.starts_with("--") && a.starts_with(f + "=")) v = a.substr(f.size() + 1);
        else if (!f.starts_with("--") && a.size() > f.size() && a.starts_with(f)) v = a.substr(f.size());
        if (v && !v->empty()) {
          s.user = v->substr(0, v->find(':'));
          s.user_how = fmt::format("{} {}", f, *v);
          return;
        }
      }
    }
    // Configuration file: from an option, else the first default that exists.
    std::string conf;
    for (std::size_t i = 0; i < s.args.size() && conf.empty(); ++i)
      for (const auto& f : d.config_flags) {
        if (s.args[i] == f && i + 1 < s.args.size()) conf = s.args[i + 1];
        else if (f.starts_with("--") && s.args[i].starts_with(f + "=")) conf = s.args[i].substr(f.size() + 1);
      }
    if (conf.empty())
      for (const auto& c : d.config_defaults)
        if (t.resolve(root, c) != kNoNode) {
          conf = c;
          break;
        }
    NodeId cn = conf.empty() ? kNoNode : t.resolve(root, conf);
    if (cn != kNoNode) s.config = path_of(cn);
    if (BlobPtr b = text_of(cn); b && !d.user_keys.empty()) {
      std::string found;
      std::uint64_t line = 0;
      for (const auto& e : formats::parse_conf(b->view().as_chars()))
        for (const auto& k : d.user_keys)
          if (e.key == k && !e.value.empty()) {
            found = e.value;  // the last one wins, as in the daemons that read it
            line = e.line;
          }
      if (!found.empty()) {
        s.user = found.substr(0, found.find(':'));
        s.user_how = fmt::format("{} {} in {} line {}", d.user_keys.front(), found, s.config, line);
        return;
      }
    }
    if (!d.default_user.empty()) {
      s.user = d.default_user;
      s.user_how = d.drops_by_default.empty() ? fmt::format("switches to '{}' by default", d.default_user)
                                              : d.drops_by_default;
      return;
    }
    s.user = "root";
    s.user_how = "no privilege drop found: started by init as root";
  }

  void add_service(std::vector<std::string> words, std::string user, std::string how, const std::string& started_by,
                   const std::string& action, const std::string& console, NodeId source, std::uint64_t line,
                   const std::string& text, bool known_only, bool conditional = false) {
    words = unwrap(std::move(words), user, how);
    if (words.empty()) return;
    std::string prog = words[0];
    if (prog.starts_with("-")) prog.erase(0, 1);  // inittab "-/bin/sh": a login shell
    std::string name(basename(prog));
    const DaemonInfo* d = find_daemon(name);
    if (d == nullptr && known_only) return;
    if (!seen_services.insert({source, line, prog}).second) return;
    Service s;
    s.fs_root = root;
    s.name = name;
    s.binary = prog;
    NodeId r = resolve_program(prog);
    if (r != kNoNode) s.resolved = path_of(r);
    s.args.assign(words.begin() + 1, words.end());
    s.started_by = started_by;
    s.action = action;
    s.console = console;
    s.user = user.empty() ? "root" : user;
    s.user_how = how;
    s.source = source;
    s.source_path = path_of(source);
    s.line = line;
    s.command = text.substr(0, 240);
    s.conditional = conditional;
    if (d) {
      s.kind = d->kind;
      s.needs_root = d->needs_root;
      s.network = d->network;
      s.ports = d->ports;
      settle_user(s, *d);
    } else if (s.user_how.empty()) {
      s.user_how = "no privilege drop found: started by init as root";
    }
    out.push_back(std::move(s));
  }

  static bool starts_at_boot(const formats::ShellCommand& c) {
    auto has = [](std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; };
    if (!c.case_label.empty()) {
      std::string_view l = c.case_label;
      if (!(has(l, "start") || has(l, "boot") || l == "*" || has(l, "restart"))) return false;
      if (has(l, "stop") && !has(l, "start")) return false;
    }
    if (!c.function.empty()) {
      std::string_view f = c.function;
      if (has(f, "stop") || has(f, "reload") || has(f, "status") || has(f, "usage") || has(f, "help"))
        return false;
    }
    return true;
  }

  void walk_script(const ScriptJob& job) {
    BlobPtr b = text_of(job.node);
    if (!b) return;
    // A 1 MiB script holds at most a few hundred thousand commands; keep them all.
    auto sh = formats::parse_shell(b->view().as_chars(), 300000);
    // procd: commands are built with procd_set_param/procd_append_param inside start_service().
    struct ProcdInstance {
      std::vector<std::string> words;
      std::string user;
      std::uint64_t line = 0;
      std::string text;
    };
    std::vector<ProcdInstance> procd;
    // rc.common-style scripts (OpenWrt, LSB) run only their entry functions; helper functions
    // count when an entry function calls them.
    static const std::set<std::string, std::less<>> kEntry = {"start", "boot", "start_service", "do_start",
                                                              "d_start", "startup"};
    std::set<std::string, std::less<>> live;
    for (const auto& f : sh.functions)
      if (kEntry.contains(f)) live.insert(f);
    bool entry_style = !live.empty();
    if (entry_style) {
      std::set<std::string, std::less<>> defined(sh.functions.begin(), sh.functions.end());
      for (int round = 0; round < 3; ++round)
        for (const auto& c : sh.commands)
          if (live.contains(c.function) && !c.words.empty()) {
            if (defined.contains(c.words[0])) live.insert(c.words[0]);
            // OpenWrt: "config_foreach callback section-type" calls callback per UCI section
            if (c.words[0] == "config_foreach" && c.words.size() > 1 && defined.contains(c.words[1]))
              live.insert(c.words[1]);
          }
    }
    for (const auto& c : sh.commands) {
      if (c.words.empty() || !starts_at_boot(c)) continue;
      if (entry_style && !c.function.empty() && !live.contains(c.function)) continue;
      const std::string& w0 = c.words[0];
      if (w0 == "procd_open_instance") {
        procd.emplace_back();
        continue;
      }
      if ((w0 == "procd_set_param" || w0 == "procd_append_param") && c.words.size() >= 3) {
        if (procd.empty()) procd.emplace_back();
        auto& inst = procd.back();
        if (c.words[1] == "command") {
          if (w0 == "procd_set_param" || inst.words.empty()) {
            inst.words.assign(c.words.begin() + 2, c.words.end());
            inst.line = c.line;
            inst.text = c.text;
          } else {
            inst.words.insert(inst.words.end(), c.words.begin() + 2, c.words.end());
          }
        } else if (c.words[1] == "user") {
          inst.user = c.words[2];
        }
        continue;
      }
      // Another init script called with an argument: follow it when it is started, never take it
      // for the daemon of the same name.
      bool initd = w0.starts_with("/etc/init.d/") || w0.starts_with("/etc/rc.d/") || w0.starts_with("/etc/rc");
      if (initd && c.words.size() > 1 && c.words[1] != "start" && c.words[1] != "boot" && c.words[1] != "restart")
        continue;
      NodeId target = kNoNode;
      if (w0 == "." || w0 == "source") continue;  // libraries of shell functions, not services
      if (w0.front() == '/' || w0.starts_with("./")) target = t.resolve(root, w0);
      else if ((w0 == "sh" || w0 == "/bin/sh") && c.words.size() > 1 && c.words[1].starts_with("/"))
        target = t.resolve(root, c.words[1]);
      if (target != kNoNode && job.depth < kMaxCallDepth && text_of(target)) {
        enqueue_script(target, job.depth + 1, "init-script");
        continue;
      }
      if (initd) continue;
      add_service(c.words, "", "", job.started_by, c.case_label.empty() ? c.function : c.case_label, "", job.node,
                  c.line, c.text, true, c.conditional);
    }
    for (auto& inst : procd) {
      if (inst.words.empty()) continue;
      std::string how = inst.user.empty() ? "" : fmt::format("procd_set_param user {}", inst.user);
      add_service(std::move(inst.words), inst.user, how, "procd", "start_service", "", job.node, inst.line,
                  inst.text, true);
    }
  }

  void inittab(NodeId it) {
    BlobPtr b = text_of(it);
    if (!b) return;
    for (const auto& e : formats::parse_inittab(b->view().as_chars())) {
      std::string_view act = e.action;
      if (act == "shutdown" || act == "ctrlaltdel" || act == "restart" || act == "powerfail" ||
          act == "powerwait" || act == "powerfailnow" || act == "powerokwait" || act == "kbrequest" ||
          act == "initdefault" || act == "off")
        continue;
      auto words = formats::split_words(e.process, 64);
      auto end = std::find_if(words.begin(), words.end(), [](const std::string& x) {
        return x == ";" || x == "&" || x == "&&" || x == "||" || x == "|" || x == "\n";
      });
      words.erase(end, words.end());
      if (words.empty()) continue;
      std::string prog = words[0].starts_with("-") ? words[0].substr(1) : words[0];
      NodeId target = t.resolve(root, prog);
      if ((act == "sysinit" || act == "wait" || act == "bootwait" || act == "boot" || act == "once") &&
          target != kNoNode && text_of(target) && !find_daemon(basename(prog))) {
        enqueue_script(target, 0, "init-script");
        // rc scripts run with an argument ("/etc/init.d/rc S") name their directory of links.
        continue;
      }
      // BusyBox: the id field is the terminal; SysV: the id is a label and the tty is an argument.
      std::string console = e.id;
      if (console.empty()) console = "console";
      add_service(std::move(words), "", "", "inittab", e.action, console, it, e.line,
                  fmt::format("{}:{}:{}:{}", e.id, e.runlevels, e.action, e.process), false);
    }
  }

  void rc_links(std::string_view dir) {
    NodeId d = t.resolve(root, dir);
    if (d == kNoNode || t.at(d).type != NodeType::directory) return;
    for (NodeId c : t.at(d).children) {
      const Node& n = t.at(c);
      if (n.name.size() < 2 || n.name[0] != 'S') continue;
      NodeId target = n.type == NodeType::symlink ? t.resolve(root, t.path_within(root, c)) : c;
      enqueue_script(target, 0, "init-script");
    }
  }

  void inetd(NodeId conf) {
    BlobPtr b = text_of(conf);
    if (!b) return;
    for (const auto& e : formats::parse_inetd(b->view().as_chars())) {
      if (e.server == "internal") continue;  // echo, discard… served by inetd itself
      std::vector<std::string> words{e.server};
      // args[0] is argv[0] by convention
      if (!e.args.empty()) words.insert(words.end(), e.args.begin() + 1, e.args.end());
      std::string user = e.user.substr(0, e.user.find_first_of(":."));
      add_service(std::move(words), user, fmt::format("inetd.conf user field '{}'", e.user), "inetd",
                  fmt::format("{}/{}", e.service, e.protocol), "", conf, e.line,
                  fmt::format("{} {} {} {} {} {}", e.service, e.socket_type, e.protocol, e.wait, e.user, e.server),
                  false);
    }
  }

  void systemd() {
    for (const char* wants : {"etc/systemd/system/multi-user.target.wants", "etc/systemd/system/default.target.wants",
                              "etc/systemd/system/sysinit.target.wants", "lib/systemd/system/multi-user.target.wants",
                              "usr/lib/systemd/system/multi-user.target.wants"}) {
      NodeId d = t.resolve(root, wants);
      if (d == kNoNode || t.at(d).type != NodeType::directory) continue;
      for (NodeId c : t.at(d).children) {
        NodeId unit = t.at(c).type == NodeType::symlink ? t.resolve(root, t.path_within(root, c)) : c;
        BlobPtr b = text_of(unit);
        if (!b) continue;
        std::string user, exec;
        std::uint64_t line = 0;
        for (const auto& e : formats::parse_conf(b->view().as_chars())) {
          if (e.section != "Service") continue;
          if (e.key == "User") user = e.value;
          if (e.key == "ExecStart" && exec.empty()) {
            exec = e.value;
            line = e.line;
          }
        }
        while (!exec.empty() && (exec[0] == '-' || exec[0] == '@' || exec[0] == '+' || exec[0] == '!' || exec[0] == ':'))
          exec.erase(0, 1);
        auto words = formats::split_words(exec, 64);
        if (words.empty()) continue;
        add_service(std::move(words), user, user.empty() ? "" : fmt::format("User={}", user), "systemd",
                    std::string(t.at(c).name), "", unit, line, exec, true);
      }
    }
  }

  void run() {
    NodeId it = t.resolve(root, "etc/inittab");
    // Ralink/MediaTek SDK firmware keeps a read-only /etc_ro that its init reads (and copies to a
    // RAM /etc at boot).
    if (it == kNoNode || !text_of(it)) it = t.resolve(root, "etc_ro/inittab");
    if (it != kNoNode && text_of(it)) {
      inittab(it);
    } else {
      NodeId init = t.resolve(root, "sbin/init", false);
      bool busybox_init = init != kNoNode && t.at(init).type == NodeType::symlink &&
                          basename(t.at(init).link_target) == "busybox";
      NodeId rcs = t.resolve(root, "etc/init.d/rcS");
      if (busybox_init) {
        // BusyBox init without /etc/inittab behaves as if it held
        // "::sysinit:/etc/init.d/rcS" and "::askfirst:/bin/sh" for the console (and tty2-4).
        if (rcs != kNoNode) enqueue_script(rcs, 0, "init-script");
        add_service({"/bin/sh"}, "", "", "inittab", "askfirst", "console", init, 0,
                    "BusyBox init without /etc/inittab: ::askfirst:/bin/sh", false);
      }
    }
    for (const char* s : {"etc/init.d/rcS", "etc/rc.local", "etc/rc.d/rc.local", "etc/init.d/rc.local", "etc_ro/rcS"})
      enqueue_script(t.resolve(root, s), 0, "init-script");
    // BusyBox-style rcS loops over /etc/init.d/S??*; OpenWrt and SysV enable scripts by links.
    rc_links("etc/init.d");
    for (const char* d : {"etc/rc.d", "etc/rcS.d", "etc/rc2.d", "etc/rc3.d", "etc/rc5.d", "etc/rc.d/rcS.d",
                          "etc/rc.d/rc3.d"})
      rc_links(d);
    while (!queue.empty()) {
      ScriptJob j = queue.front();
      queue.pop_front();
      walk_script(j);
    }
    NodeId inetd_conf = t.resolve(root, "etc/inetd.conf");
    if (inetd_conf != kNoNode) inetd(inetd_conf);
    systemd();
  }
};

}  // namespace

const std::vector<DaemonInfo>& daemon_table() {
  static const std::vector<DaemonInfo> table = load_daemons();
  return table;
}

const DaemonInfo* find_daemon(std::string_view name) {
  for (const auto& d : daemon_table())
    if (std::find(d.names.begin(), d.names.end(), name) != d.names.end()) return &d;
  return nullptr;
}

void extract_services(Context& ctx, Facts& facts) {
  std::vector<std::vector<Service>> per_root(facts.rootfs.size());
  ctx.executor.parallel_for(facts.rootfs.size(), [&](std::size_t i) {
    Walker w{ctx.tree, facts.rootfs[i], per_root[i], {}, {}, {}};
    w.run();
    std::stable_sort(per_root[i].begin(), per_root[i].end(), [](const Service& a, const Service& b) {
      return std::tie(a.source_path, a.line, a.binary) < std::tie(b.source_path, b.line, b.binary);
    });
  });
  for (auto& v : per_root)
    for (auto& s : v) facts.services.push_back(std::move(s));
}

}  // namespace iotaudit::analyze
