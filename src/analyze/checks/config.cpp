// Insecure default configuration: UPnP on the WAN, default SNMP communities, anonymous FTP,
// world-writable files, unexpected setuid programs, and CGI scripts that run request data.
#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analyze/analyzer.hpp"
#include "core/text.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {

Evidence line_evidence(const Tree& t, const Facts& facts, NodeId id, std::uint64_t line, std::string excerpt) {
  Evidence e = evidence_in(t, facts, id);
  if (line > 0) e.line = line;
  e.excerpt = std::move(excerpt);
  return e;
}

std::vector<std::string> words_of(std::string_view v) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
    std::size_t j = i;
    while (j < v.size() && v[j] != ' ' && v[j] != '\t' && v[j] != ',') ++j;
    if (j > i) out.emplace_back(v.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

CheckOutput check_upnp(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    if (!(n.name.starts_with("miniupnpd") && n.name.ends_with(".conf"))) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    std::string ext;
    std::vector<std::string> listen;
    std::uint64_t ext_line = 0, listen_line = 0, secure_line = 0;
    std::string secure, upnp = "yes";
    for (const auto& e : formats::parse_conf(b->view().as_chars(), 10000)) {
      if (e.key == "ext_ifname") { ext = e.value; ext_line = e.line; }
      if (e.key == "listening_ip") {
        for (auto& w : words_of(e.value)) listen.push_back(w);
        listen_line = e.line;
      }
      if (e.key == "secure_mode") { secure = e.value; secure_line = e.line; }
      if (e.key == "enable_upnp") upnp = e.value;
    }
    if (upnp == "no") continue;
    bool on_wan = !ext.empty() && std::find(listen.begin(), listen.end(), ext) != listen.end();
    bool insecure = secure == "no";
    if (!on_wan && !insecure) continue;
    std::string path = device_path(t, facts, id);
    Finding f;
    f.check_id = "config.upnp";
    f.title = on_wan ? fmt::format("UPnP IGD listens on the WAN interface {} ({})", ext, path)
                     : fmt::format("UPnP secure mode is off ({})", path);
    f.severity = on_wan ? Severity::high : Severity::medium;
    f.description = fmt::format(
        "{}{}{}",
        on_wan ? fmt::format("miniupnpd listens on its external interface '{}' (listening_ip, line {}): anyone on the "
                             "Internet side can add port mappings and reach hosts behind the router. ",
                             ext, listen_line)
               : "",
        insecure ? fmt::format("secure_mode=no (line {}) lets any LAN host map ports to other hosts' addresses. ",
                               secure_line)
                 : "",
        "UPnP port mapping on by default opens the network without the user's knowledge.");
    f.remediation = "Ship with UPnP disabled or at least listening on LAN interfaces only with secure_mode=yes and "
                    "a restrictive allow/deny list.";
    if (on_wan) {
      Evidence e = line_evidence(t, facts, id, listen_line, fmt::format("listening_ip={}", fmt::join(listen, " ")));
      e.facts["ext_ifname"] = ext;
      e.facts["ext_ifname_line"] = std::to_string(ext_line);
      f.evidence.push_back(std::move(e));
    }
    if (insecure) f.evidence.push_back(line_evidence(t, facts, id, secure_line, "secure_mode=no"));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(id), "miniupnpd");
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_snmp_community(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    bool net_snmp = n.name == "snmpd.conf";
    bool uci = n.name == "snmpd" && n.path.find("/config/") != std::string::npos;
    if (!net_snmp && !uci) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    for (const auto& e : formats::parse_conf(b->view().as_chars(), 10000)) {
      auto w = words_of(e.value);
      std::string community;
      bool write = false;
      if (net_snmp && (e.key == "rocommunity" || e.key == "rwcommunity" || e.key == "rocommunity6" ||
                       e.key == "rwcommunity6") && !w.empty()) {
        community = w[0];
        write = e.key.starts_with("rw");
      } else if (net_snmp && e.key == "com2sec" && w.size() >= 3) {
        community = w[2];
      } else if (uci && e.key == "option" && w.size() >= 2 && (w[0] == "community" || w[0] == "ro_community" || w[0] == "rw_community")) {
        community = w[1];
        community.erase(std::remove(community.begin(), community.end(), '\''), community.end());
        write = w[0] == "rw_community";
      }
      if (community != "public" && community != "private") continue;
      Finding f;
      f.check_id = "config.snmp_community";
      f.title = fmt::format("SNMP {} community '{}' enabled by default", write ? "read-write" : "read-only", community);
      f.severity = write || community == "private" ? Severity::high : Severity::medium;
      f.description = fmt::format(
          "{} line {} enables the well-known community '{}': SNMP has no other authentication, so anyone who can reach "
          "UDP 161 can {} the device's management information.",
          device_path(t, facts, id), e.line, community, write ? "read and change" : "read");
      f.remediation = "Disable SNMP by default or use SNMPv3 with per-device credentials.";
      f.evidence.push_back(line_evidence(t, facts, id, e.line, fmt::format("{} {}", e.key, e.value).substr(0, 120)));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(e.line));
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

CheckOutput check_ftp_anonymous(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    bool vsftpd = n.name == "vsftpd.conf", proftpd = n.name == "proftpd.conf", pure = n.name == "pure-ftpd.conf";
    if (!vsftpd && !proftpd && !pure) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    std::uint64_t line = 0;
    std::string excerpt;
    for (const auto& e : formats::parse_conf(b->view().as_chars(), 100000)) {
      std::string v = e.value;
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
      if (vsftpd && e.key == "anonymous_enable") line = v == "YES" ? e.line : 0;
      if (proftpd && e.key.starts_with("<Anonymous")) { line = e.line; excerpt = e.key + " " + e.value; }
      if (pure && e.key == "NoAnonymous") line = v == "NO" ? e.line : 0;
      if (line && excerpt.empty()) excerpt = fmt::format("{}{}{}", e.key, vsftpd ? "=" : " ", e.value);
    }
    if (line == 0) continue;
    Finding f;
    f.check_id = "config.ftp_anonymous";
    f.title = fmt::format("Anonymous FTP enabled ({})", device_path(t, facts, id));
    f.severity = Severity::high;
    f.description = fmt::format("{} line {} allows anonymous FTP logins: files are readable (or writable) by anyone "
                                "who can reach the device, without authentication.",
                                device_path(t, facts, id), line);
    f.remediation = "Disable anonymous FTP; prefer SFTP with per-user credentials.";
    f.evidence.push_back(line_evidence(t, facts, id, line, excerpt.substr(0, 120)));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(line));
    out.findings.push_back(std::move(f));
  }
  return out;
}

// ---- TLS protocol versions --------------------------------------------------------------------

namespace {

// Protocol names a server configuration enables that best practice no longer allows.
std::vector<std::string> old_protocols(std::string_view v) {
  std::vector<std::string> out;
  const std::string l = ascii_lower(v);
  auto has = [&](std::string_view w) {
    for (std::size_t p = l.find(w); p != std::string::npos; p = l.find(w, p + 1)) {
      std::size_t e = p + w.size();
      bool left = p == 0 || !std::isalnum(static_cast<unsigned char>(l[p - 1]));
      bool right = e >= l.size() || !(std::isalnum(static_cast<unsigned char>(l[e])) || l[e] == '.');
      if (left && right) return true;
    }
    return false;
  };
  if (has("sslv2")) out.emplace_back("SSLv2");
  if (has("sslv3")) out.emplace_back("SSLv3");
  if (has("tlsv1") || has("tlsv1.0")) out.emplace_back("TLS 1.0");
  if (has("tlsv1.1")) out.emplace_back("TLS 1.1");
  return out;
}

}  // namespace

CheckOutput check_tls_protocols(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    std::string_view name = n.name;
    bool nginx = name == "nginx.conf" || (n.path.find("/nginx/") != std::string::npos && name.ends_with(".conf"));
    bool lighttpd = name.starts_with("lighttpd") && name.ends_with(".conf");
    bool apache = (name == "httpd.conf" || name == "ssl.conf" || name == "apache2.conf") ||
                  (n.path.find("/apache2/") != std::string::npos && name.ends_with(".conf"));
    bool stunnel = name == "stunnel.conf";
    bool mosquitto = name == "mosquitto.conf";
    if (!nginx && !lighttpd && !apache && !stunnel && !mosquitto) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    formats::for_each_line(b->view().as_chars(), [&](std::string_view line, std::uint64_t no) {
      std::size_t i = line.find_first_not_of(" \t");
      if (i == std::string_view::npos || line[i] == '#') return true;
      std::string_view l = line.substr(i, 300);
      std::vector<std::string> bad;
      if (nginx && l.starts_with("ssl_protocols")) bad = old_protocols(l.substr(13));
      else if (apache && l.starts_with("SSLProtocol")) {
        std::string_view v = l.substr(11);
        // "all" enables every protocol the library still has; "-TLSv1" style removals are honoured.
        bad = old_protocols(v);
        std::erase_if(bad, [&](const std::string& p) {
          std::string minus = "-" + std::string(p == "TLS 1.0" ? "TLSv1" : p == "TLS 1.1" ? "TLSv1.1" : p);
          return v.find(minus) != std::string_view::npos;
        });
        if (v.find("all") != std::string_view::npos && v.find("-TLSv1") == std::string_view::npos)
          bad.emplace_back("TLS 1.0 (via 'all')");
      } else if (lighttpd && (l.starts_with("ssl.use-sslv3") || l.starts_with("ssl.use-sslv2"))) {
        if (l.find("enable") != std::string_view::npos) bad.emplace_back(l.starts_with("ssl.use-sslv3") ? "SSLv3" : "SSLv2");
      } else if (lighttpd && l.find("MinProtocol") != std::string_view::npos) {
        bad = old_protocols(l.substr(l.find("MinProtocol")));
      } else if (stunnel && (l.starts_with("sslVersion") || l.starts_with("sslVersionMin"))) {
        bad = old_protocols(l);
        if (l.find("all") != std::string_view::npos) bad.emplace_back("every protocol ('all')");
      } else if (mosquitto && l.starts_with("tls_version")) {
        bad = old_protocols(l.substr(11));
      }
      if (bad.empty()) return true;
      std::string path = device_path(t, facts, id);
      Finding f;
      f.check_id = "config.tls_protocols";
      f.title = fmt::format("Server enables obsolete {} ({})", fmt::join(bad, ", "), path);
      f.severity = std::any_of(bad.begin(), bad.end(), [](const std::string& p) { return p.starts_with("SSL"); })
                       ? Severity::high
                       : Severity::medium;
      f.description = fmt::format(
          "{} line {} allows {}: these protocol versions have known attacks (POODLE, BEAST) and are deprecated "
          "(RFC 8996), so a network attacker can downgrade or break the device's encrypted connections.",
          path, no, fmt::join(bad, ", "));
      f.remediation = "Allow TLS 1.2 and 1.3 only.";
      f.evidence.push_back(line_evidence(t, facts, id, no, std::string(l.substr(0, 160))));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(no));
      out.findings.push_back(std::move(f));
      return true;
    }, 200000);
  }
  return out;
}

// ---- file permissions -----------------------------------------------------------------------

namespace {

// Filesystems whose permissions are real: not synthesised by an archive format that has none.
bool has_modes(const Tree& t, NodeId fs_root) {
  const std::string& fmt = t.at(fs_root).format;
  return !(fmt == "zip" || fmt == "7z" || fmt == "iso9660" || fmt == "romfs");
}

bool in_path_dirs(std::string_view p) {
  for (std::string_view d : {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/etc/init.d/", "/etc/rc.d/", "/lib/",
                             "/usr/lib/", "/www/cgi-bin/"})
    if (p.starts_with(d)) return true;
  return p == "/etc/inittab" || p == "/etc/profile" || p.starts_with("/etc/init.d");
}

}  // namespace

CheckOutput check_world_writable(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  struct Item {
    NodeId id;
    std::string path;
    bool dir;
    bool critical;
  };
  std::vector<Item> items;
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.fs_root == kNoNode || (n.type != NodeType::file && n.type != NodeType::directory)) continue;
    NodeId root = rootfs_of(t, facts, id);
    if (root == kNoNode || !has_modes(t, n.fs_root)) continue;
    ++out.run.subjects;
    if ((n.mode & 0002) == 0) continue;
    bool dir = n.type == NodeType::directory;
    if (dir && (n.mode & 01000)) continue;  // sticky: /tmp-style shared directories are fine
    std::string p = t.path_within(root, id);
    if (p == "/" && dir && (n.mode & 0777) == 0777 && t.at(n.fs_root).format == "cramfs") continue;
    bool critical = in_path_dirs(p + (dir ? "/" : "")) || p == "/etc" || p == "/";
    items.push_back({id, std::move(p), dir, critical});
  }
  std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    return std::tie(b.critical, a.path) < std::tie(a.critical, b.path);
  });
  constexpr std::size_t kEach = 40;
  for (std::size_t i = 0; i < items.size() && i < kEach; ++i) {
    const Item& it = items[i];
    const Node& n = t.at(it.id);
    Finding f;
    f.check_id = "files.world_writable";
    f.title = fmt::format("World-writable {} {}", it.dir ? "directory" : "file", it.path);
    f.severity = it.critical ? Severity::high : Severity::medium;
    f.description = fmt::format(
        "{} has mode {:04o}: any process on the device, including an unprivileged service that has been "
        "compromised, can {} it{}.",
        it.path, n.mode & 07777, it.dir ? "add, replace or delete files in" : "modify",
        it.critical ? ", and it is executed or searched by root at boot or on the command PATH — a direct path to "
                      "root"
                    : "");
    f.remediation = "Remove write permission for others (chmod o-w) in the build; only sticky temporary directories "
                    "should be world-writable.";
    Evidence e = evidence_in(t, facts, it.id);
    e.path = it.path;
    e.facts["mode"] = fmt::format("{:04o}", n.mode & 07777);
    e.facts["type"] = it.dir ? "directory" : "file";
    e.facts["owner"] = fmt::format("{}:{}", n.uid, n.gid);
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(it.id), "");
    out.findings.push_back(std::move(f));
  }
  if (items.size() > kEach) {
    Finding f;
    f.check_id = "files.world_writable";
    f.title = fmt::format("{} more world-writable files and directories", items.size() - kEach);
    f.severity = Severity::medium;
    f.description = "Further world-writable entries beyond those reported one by one (listed as evidence, up to 200).";
    f.remediation = "Remove write permission for others in the build.";
    for (std::size_t i = kEach; i < items.size() && i < kEach + 200; ++i) {
      Evidence e = evidence_in(t, facts, items[i].id);
      e.path = items[i].path;
      e.facts["mode"] = fmt::format("{:04o}", t.at(items[i].id).mode & 07777);
      f.evidence.push_back(std::move(e));
    }
    f.fingerprint = fingerprint(f.check_id, "summary", std::to_string(items.size()));
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_setuid(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  // Programs that are setuid root on a typical Linux system for a reason.
  static const std::set<std::string_view> kUsual = {
      "su", "sudo", "passwd", "ping", "ping6", "mount", "umount", "newgrp", "chsh", "chfn", "gpasswd", "fusermount",
      "fusermount3", "pkexec", "traceroute", "traceroute6", "crontab", "at", "pppd", "Xorg", "dbus-daemon-launch-helper",
      "ssh-keysign", "unix_chkpwd", "expiry", "chage", "wall", "write", "ssh-agent", "mount.nfs", "polkit-agent-helper-1"};
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.type != NodeType::file || n.fs_root == kNoNode || !has_modes(t, n.fs_root)) continue;
    NodeId root = rootfs_of(t, facts, id);
    if (root == kNoNode) continue;
    ++out.run.subjects;
    bool suid = n.mode & 04000, sgid = (n.mode & 02000) && (n.mode & 0010);
    if (!suid && !sgid) continue;
    if (kUsual.contains(n.name) && n.name != "busybox") continue;
    std::string p = t.path_within(root, id);
    bool busybox = n.name == "busybox" || n.name.starts_with("busybox");
    Finding f;
    f.check_id = "files.setuid";
    f.title = fmt::format("{} {} is {}", busybox ? "Multi-call binary" : "Program", p,
                          suid ? (n.uid == 0 ? "setuid root" : "setuid") : "setgid");
    f.severity = busybox && suid && n.uid == 0 ? Severity::high : Severity::medium;
    f.description = fmt::format(
        "{} has mode {:04o} (owner {}): it runs with the {} of its owner whoever starts it{}.", p, n.mode & 07777,
        n.uid, suid ? "user id" : "group id",
        busybox ? ". For BusyBox every applet — shells, editors, cp, chmod — then runs as root for any local user, "
                  "which defeats all privilege separation"
                : "; it is not one of the programs that usually need this");
    f.remediation = busybox ? "Remove the setuid bit from BusyBox; if a few applets need root, build a separate "
                              "BusyBox with only those applets (or use FEATURE_SUID_CONFIG)."
                            : "Remove the setuid/setgid bit unless the program needs it and is hardened for it.";
    Evidence e = evidence_in(t, facts, id);
    e.path = p;
    e.facts["mode"] = fmt::format("{:04o}", n.mode & 07777);
    e.facts["owner"] = fmt::format("{}:{}", n.uid, n.gid);
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(id), "");
    out.findings.push_back(std::move(f));
  }
  return out;
}

// ---- CGI scripts that run request data -----------------------------------------------------

CheckOutput check_command_cgi(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    bool cgi = n.name.ends_with(".cgi") || n.path.find("/cgi-bin/") != std::string::npos;
    if (!cgi) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    std::string_view text = b->view().as_chars();
    if (!text.starts_with("#!") ) continue;
    std::string_view first = text.substr(0, text.find('\n'));
    if (first.find("sh") == std::string_view::npos) continue;  // shell CGI only
    ++out.run.subjects;
    bool request = text.find("QUERY_STRING") != std::string_view::npos || text.find("FORM_") != std::string_view::npos ||
                   text.find("CONTENT_LENGTH") != std::string_view::npos;
    if (!request) continue;
    std::uint64_t hit = 0;
    std::string excerpt;
    formats::for_each_line(text, [&](std::string_view l, std::uint64_t no) {
      std::string_view s = l.substr(l.find_first_not_of(" \t") == std::string_view::npos ? l.size() : l.find_first_not_of(" \t"));
      if (s.starts_with("#")) return true;
      bool evals = s.find("eval ") != std::string_view::npos || s.find("sh -c \"$") != std::string_view::npos ||
                   s.find("sh -c $") != std::string_view::npos || s.find("`$") != std::string_view::npos ||
                   s.find("$($") != std::string_view::npos;
      if (evals) {
        hit = no;
        excerpt = std::string(s.substr(0, 160));
        return false;
      }
      return true;
    }, 100000);
    if (hit == 0) continue;
    std::string path = device_path(t, facts, id);
    Finding f;
    f.check_id = "web.command_cgi";
    f.title = fmt::format("CGI script runs request data as shell commands ({})", path);
    f.severity = Severity::critical;
    f.description = fmt::format(
        "{} reads the HTTP request (QUERY_STRING / form data) and line {} evaluates it as shell code: anyone who can "
        "reach the web server runs arbitrary commands as the web server's user.",
        path, hit);
    f.remediation = "Remove debug and command CGI endpoints from production firmware; never pass request data to "
                    "eval, sh -c or command substitution.";
    f.evidence.push_back(line_evidence(t, facts, id, hit, excerpt));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(hit));
    out.findings.push_back(std::move(f));
  }
  return out;
}

extern const CheckInfo check_upnp_info;
const CheckInfo check_upnp_info{
    "config.upnp", "UPnP exposed to the WAN or without secure mode",
    "miniupnpd configuration listening on its external interface, or with secure_mode=no.",
    {"OpenWrt UCI /etc/config/upnpd is not yet read"}, &check_upnp};

extern const CheckInfo check_snmp_community_info;
const CheckInfo check_snmp_community_info{
    "config.snmp_community", "Default SNMP community",
    "Net-SNMP snmpd.conf (rocommunity/rwcommunity/com2sec) and OpenWrt /etc/config/snmpd with 'public' or 'private'.",
    {"only the two well-known community names are judged"}, &check_snmp_community};

extern const CheckInfo check_ftp_anonymous_info;
const CheckInfo check_ftp_anonymous_info{
    "config.ftp_anonymous", "Anonymous FTP",
    "vsftpd anonymous_enable=YES, proftpd <Anonymous> blocks, pure-ftpd NoAnonymous no.",
    {"vsftpd's built-in default when the option is absent is not assumed"}, &check_ftp_anonymous};

extern const CheckInfo check_tls_protocols_info;
const CheckInfo check_tls_protocols_info{
    "config.tls_protocols", "Obsolete SSL/TLS versions enabled",
    "nginx ssl_protocols, Apache SSLProtocol, lighttpd ssl.use-sslv3 and MinProtocol, stunnel sslVersion and "
    "mosquitto tls_version settings that allow SSLv2, SSLv3, TLS 1.0 or TLS 1.1.",
    {"library defaults when a server names no protocols are not judged",
     "TLS settings compiled into vendor binaries are not seen"},
    &check_tls_protocols};

extern const CheckInfo check_world_writable_info;
const CheckInfo check_world_writable_info{
    "files.world_writable", "World-writable file or directory",
    "Files and non-sticky directories of a root filesystem writable by others; high when root executes or searches "
    "them (init scripts, PATH directories, /etc).",
    {"filesystems without real permissions (zip, ISO 9660, romfs) are skipped"}, &check_world_writable};

extern const CheckInfo check_setuid_info;
const CheckInfo check_setuid_info{
    "files.setuid", "Unexpected setuid or setgid program",
    "setuid/setgid files other than the programs that usually need it (su, passwd, ping, mount…); a setuid "
    "BusyBox is high.",
    {"filesystems without real permissions (zip, ISO 9660, romfs) are skipped"}, &check_setuid};

extern const CheckInfo check_command_cgi_info;
const CheckInfo check_command_cgi_info{
    "web.command_cgi", "CGI script that executes request data",
    "Shell CGI scripts that read QUERY_STRING or form data and evaluate text with eval, sh -c or command "
    "substitution of a variable.",
    {"compiled CGI binaries are not analysed", "data flow is not tracked: a script that evaluates only constants "
                                               "next to request parsing would be reported"},
    &check_command_cgi};

}  // namespace iotaudit::analyze
