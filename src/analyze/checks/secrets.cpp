// Hard-coded secrets in text files: cloud and API credentials, web server passwords, Wi-Fi
// passphrases. Every excerpt is censored; the evidence gives file and line.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "analyze/credentials_data.hpp"
#include "core/text.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {

constexpr std::uint64_t kMaxTextFile = 4 << 20;


double entropy(std::string_view s) {
  std::array<unsigned, 256> f{};
  for (unsigned char c : s) ++f[c];
  double h = 0;
  for (unsigned n : f)
    if (n) {
      double p = static_cast<double>(n) / static_cast<double>(s.size());
      h -= p * std::log2(p);
    }
  return h;
}

bool placeholder(std::string_view v) {
  std::string l = ascii_lower(v);
  for (std::string_view p : {"xxxx", "changeme", "change_me", "your", "example", "replace", "dummy", "placeholder",
                             "<", ">", "****", "todo", "none", "null", "false", "true", "secret", "password",
                             "0000000000", "1234567890"})
    if (l.find(p) != std::string::npos) return true;
  return std::all_of(v.begin(), v.end(), [&](char c) { return c == v.front(); });
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-' ||
         c == '.';
}

// A value that looks generated: long, no spaces, not a reference, not a path or URL, and random.
bool looks_like_secret(std::string_view v) {
  if (v.size() < 16 || v.size() > 512) return false;
  if (!std::all_of(v.begin(), v.end(), token_char)) return false;
  if (v.front() == '/' || v.find("://") != std::string_view::npos || v.find("..") != std::string_view::npos)
    return false;
  if (placeholder(v)) return false;
  bool digit = std::any_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
  bool alpha = std::any_of(v.begin(), v.end(), [](unsigned char c) { return std::isalpha(c); });
  return digit && alpha && entropy(v) >= 3.3;
}

struct Hit {
  NodeId node;
  std::uint64_t line;
  std::string kind, key, value;
  std::string partner;  // AWS: the secret key next to the key id
};

bool aws_key_id(std::string_view s, std::size_t at) {
  static constexpr std::string_view kPrefixes[] = {"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"};
  if (at + 20 > s.size()) return false;
  std::string_view c = s.substr(at, 20);
  if (std::find(std::begin(kPrefixes), std::end(kPrefixes), c.substr(0, 4)) == std::end(kPrefixes)) return false;
  for (char ch : c.substr(4))
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7'))) return false;
  if (at > 0 && std::isalnum(static_cast<unsigned char>(s[at - 1]))) return false;
  if (at + 20 < s.size() && std::isalnum(static_cast<unsigned char>(s[at + 20]))) return false;
  return c.find("EXAMPLE") == std::string_view::npos;
}

// Keys of assignments that hold a credential.
bool credential_key(std::string_view key) {
  std::string k = ascii_lower(key);
  if (k.find("file") != std::string::npos || k.find("path") != std::string::npos || k.find("url") != std::string::npos ||
      k.find("_id") != std::string::npos || k.find("name") != std::string::npos)
    return false;
  for (std::string_view p : {"api_key", "apikey", "api-key", "secret", "token", "access_key", "accesskey", "auth_key",
                             "authkey", "private_key", "client_secret", "sas_key", "accountkey", "app_key", "appkey",
                             "signing_key", "bearer"})
    if (k.find(p) != std::string::npos) return true;
  return false;
}

// Splits "key=value", "key: value", "key = 'value'", "\"key\": \"value\"", "X-Api-Key: value" anywhere in a line.
std::vector<std::pair<std::string, std::string>> assignments(std::string_view line) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < line.size() && out.size() < 8; ++i) {
    char c = line[i];
    if (c != '=' && c != ':') continue;
    if (c == ':' && i + 1 < line.size() && line[i + 1] == '/') continue;  // URLs
    // key: word characters before the operator (skipping spaces and a closing quote)
    std::size_t k_end = i;
    while (k_end > 0 && (line[k_end - 1] == ' ' || line[k_end - 1] == '\t' || line[k_end - 1] == '"' ||
                         line[k_end - 1] == '\''))
      --k_end;
    std::size_t k_beg = k_end;
    while (k_beg > 0 && (std::isalnum(static_cast<unsigned char>(line[k_beg - 1])) || line[k_beg - 1] == '_' ||
                         line[k_beg - 1] == '-' || line[k_beg - 1] == '.'))
      --k_beg;
    if (k_beg == k_end) continue;
    std::size_t v = i + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t' || line[v] == '"' || line[v] == '\'')) ++v;
    std::size_t v_end = v;
    while (v_end < line.size() && token_char(line[v_end])) ++v_end;
    if (v_end == v) continue;
    out.emplace_back(std::string(line.substr(k_beg, k_end - k_beg)), std::string(line.substr(v, v_end - v)));
  }
  return out;
}

std::vector<Hit> scan_secrets(NodeId node, std::string_view text) {
  std::vector<Hit> hits;
  std::vector<std::pair<std::uint64_t, std::string>> aws_secrets;
  formats::for_each_line(text, [&](std::string_view line, std::uint64_t no) {
    if (line.size() > 4096) line = line.substr(0, 4096);
    for (std::size_t at = line.find_first_of("A"); at != std::string_view::npos; at = line.find('A', at + 1)) {
      if (aws_key_id(line, at)) hits.push_back({node, no, "aws_access_key", "", std::string(line.substr(at, 20)), ""});
    }
    for (auto& [k, v] : assignments(line)) {
      std::string lk = ascii_lower(k);
      if (lk.find("aws_secret") != std::string::npos || lk.find("secret_access_key") != std::string::npos ||
          lk.find("secretaccesskey") != std::string::npos) {
        if (v.size() == 40 && !placeholder(v)) aws_secrets.emplace_back(no, v);
        continue;
      }
      if (lk.find("accountkey") != std::string::npos && v.size() >= 40 && !placeholder(v)) {
        hits.push_back({node, no, "azure_storage_key", k, v, ""});
        continue;
      }
      if (credential_key(k) && looks_like_secret(v)) hits.push_back({node, no, "api_secret", k, v, ""});
    }
    if (line.find("\"type\": \"service_account\"") != std::string_view::npos ||
        line.find("\"type\":\"service_account\"") != std::string_view::npos)
      hits.push_back({node, no, "gcp_service_account", "type", "service_account", ""});
    return hits.size() < 256;
  }, 200000);
  // Pair each AWS key id with the nearest secret key; a lone secret key is reported on its own.
  for (auto& h : hits)
    if (h.kind == "aws_access_key" && !aws_secrets.empty()) {
      auto best = std::min_element(aws_secrets.begin(), aws_secrets.end(), [&](const auto& a, const auto& b) {
        return std::llabs(static_cast<long long>(a.first - h.line)) < std::llabs(static_cast<long long>(b.first - h.line));
      });
      h.partner = best->second;
    }
  bool have_id = std::any_of(hits.begin(), hits.end(), [](const Hit& h) { return h.kind == "aws_access_key"; });
  if (!have_id)
    for (auto& [no, v] : aws_secrets)
      if (looks_like_secret(v)) hits.push_back({node, no, "aws_secret_key", "aws_secret_access_key", v, ""});
  return hits;
}

std::string kind_title(std::string_view kind) {
  if (kind == "aws_access_key") return "AWS access key";
  if (kind == "aws_secret_key") return "AWS secret access key";
  if (kind == "azure_storage_key") return "Azure storage account key";
  if (kind == "gcp_service_account") return "Google Cloud service-account key file";
  return "API secret";
}

}  // namespace

CheckOutput check_cloud_secrets(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  auto files = text_files(t, facts, kMaxTextFile);
  out.run.subjects = files.size();
  // Text files are searched; credentials compiled into binaries are not, so a clean result is not
  // proof that the firmware holds no secret.
  out.run.conclusive = false;
  out.run.notes.push_back("secrets compiled into binaries are not searched");
  std::vector<std::vector<Hit>> per(files.size());
  ctx.executor.parallel_for(files.size(), [&](std::size_t i) {
    BlobPtr b = t.content(files[i]);
    if (b) per[i] = scan_secrets(files[i], b->view().as_chars());
  });
  for (auto& hits : per)
    for (const Hit& h : hits) {
      Finding f;
      f.check_id = "secrets.cloud_credentials";
      std::string path = device_path(t, facts, h.node);
      f.title = fmt::format("{} hard-coded in {}", kind_title(h.kind), path);
      bool pair = h.kind == "aws_access_key" && !h.partner.empty();
      f.severity = pair || h.kind == "gcp_service_account" || h.kind == "azure_storage_key" ? Severity::critical
                                                                                               : Severity::high;
      f.description = fmt::format(
          "{} line {} holds {}{}. Every unit running this firmware carries the same credential, so anyone who "
          "downloads or dumps the firmware can use it against the vendor's cloud service — and it cannot be revoked "
          "for one device without breaking all of them.",
          path, h.line, kind_title(h.kind), pair ? " together with its secret access key" : "");
      f.remediation = "Remove credentials from the firmware; provision a unique credential per device at manufacture "
                      "(in protected storage) or obtain short-lived tokens after device authentication.";
      Evidence e = evidence_in(t, facts, h.node);
      e.line = h.line;
      e.excerpt = h.key.empty() ? censor(h.value, 8) : fmt::format("{}={}", h.key, censor(h.value, 4));
      e.facts["secret_kind"] = h.kind;
      if (!h.key.empty()) e.facts["key"] = h.key;
      if (pair) e.facts["paired_secret"] = censor(h.partner, 4);
      e.facts["length"] = std::to_string(h.value.size());
      f.evidence.push_back(std::move(e));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(h.node), fmt::format("{}:{}", h.line, h.kind));
      out.findings.push_back(std::move(f));
    }
  return out;
}

// ---- web server credentials ----------------------------------------------------------------

namespace {

struct WebCred {
  NodeId node;
  std::uint64_t line;
  std::string user, password, realm, format;
  bool hashed = false;
  std::string cracked;
};

bool crypt_like(std::string_view p) {
  return p.starts_with("$1$") || p.starts_with("$5$") || p.starts_with("$6$") || p.starts_with("$2") ||
         p.starts_with("$y$") || p.starts_with("$apr1$") || p.starts_with("$7$") || p.starts_with("{SHA}") ||
         p.starts_with("$argon2");
}

std::vector<WebCred> busybox_httpd_conf(NodeId node, std::string_view text) {
  std::vector<WebCred> out;
  formats::for_each_line(text, [&](std::string_view l, std::uint64_t no) {
    // "/cgi-bin:admin:secret" (a path prefix, a user and a password or md5-crypt hash)
    if (l.empty() || l.front() != '/') return true;
    auto a = l.find(':');
    auto b = a == std::string_view::npos ? a : l.find(':', a + 1);
    if (b == std::string_view::npos) return true;
    WebCred c{node, no, std::string(l.substr(a + 1, b - a - 1)), std::string(l.substr(b + 1)),
              std::string(l.substr(0, a)), "BusyBox httpd.conf", false, ""};
    if (c.user.empty() || c.password.empty()) return true;
    c.hashed = crypt_like(c.password);
    out.push_back(std::move(c));
    return out.size() < 256;
  }, 100000);
  return out;
}

std::vector<WebCred> user_password_file(NodeId node, std::string_view text, std::string_view format) {
  std::vector<WebCred> out;
  formats::for_each_line(text, [&](std::string_view l, std::uint64_t no) {
    if (l.empty() || l.front() == '#') return true;
    auto a = l.find(':');
    if (a == std::string_view::npos || a == 0) return true;
    std::string_view user = l.substr(0, a), pw = l.substr(a + 1);
    // lighttpd htdigest lines are "user:realm:hash"
    if (auto b = pw.find(':'); b != std::string_view::npos && pw.size() - b - 1 == 32) pw = pw.substr(b + 1);
    if (pw.empty() || user.find(' ') != std::string_view::npos) return true;
    WebCred c{node, no, std::string(user), std::string(pw), "", std::string(format), crypt_like(pw), ""};
    out.push_back(std::move(c));
    return out.size() < 256;
  }, 100000);
  return out;
}

}  // namespace

CheckOutput check_web_credentials(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  std::vector<WebCred> creds;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    std::string_view name = n.name;
    std::string_view fmt_name;
    bool httpd_conf = name == "httpd.conf" || name.ends_with("httpd.conf");
    if (httpd_conf) fmt_name = "BusyBox httpd.conf";
    else if (name == ".htpasswd" || name.ends_with(".htpasswd") || name == "htpasswd") fmt_name = "htpasswd";
    else if ((name.ends_with(".user") || name.ends_with(".htdigest") || name.ends_with(".passwd")) &&
             n.path.find("lighttpd") != std::string::npos)
      fmt_name = "lighttpd password file";
    else if (n.path.find("mosquitto") != std::string::npos && (name.ends_with("passwd") || name.ends_with("pwfile") || name == "passwords"))
      fmt_name = "mosquitto password file";
    else if (name == "web.passwd" || name == "webpasswd" || name == "httpd.passwd")
      fmt_name = "web password file";
    if (fmt_name.empty()) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    auto found = httpd_conf ? busybox_httpd_conf(id, b->view().as_chars())
                            : user_password_file(id, b->view().as_chars(), fmt_name);
    for (auto& c : found) creds.push_back(std::move(c));
  }
  out.run.subjects = creds.size();
  for (auto& c : creds) {
    if (c.hashed) {
      if (auto p = crack_with_defaults(c.password, c.user)) c.cracked = *p;
      else continue;  // a hash we cannot open: whether it is per-device is not knowable here
    }
    std::string path = device_path(t, facts, c.node);
    std::string known = c.hashed ? c.cracked : c.password;
    bool is_default = c.hashed || is_default_password(known) || known == c.user;
    Finding f;
    f.check_id = "credentials.web_password";
    f.title = c.hashed ? fmt::format("Web login '{}' in {} uses the well-known password '{}'", c.user, path, c.cracked)
                       : fmt::format("Web login '{}' with a hard-coded {}password in {}", c.user,
                                     is_default ? "well-known " : "", path);
    f.severity = is_default ? Severity::critical : Severity::high;
    f.description = fmt::format(
        "{} line {} ({}) defines the login '{}'{} with {}. The same credential ships on every unit, so it is a "
        "universal default password for the device's web interface{}.",
        path, c.line, c.format, c.user, c.realm.empty() ? "" : fmt::format(" for {}", c.realm),
        c.hashed ? "a hash that opens with a public default password" : "a password stored in clear text",
        is_default ? " — and one from public default-credential lists" : "");
    f.remediation = "Do not ship web credentials in the firmware: require the user to set a password at first use, "
                    "or use a per-device password from protected storage; store only salted slow hashes.";
    Evidence e = evidence_in(t, facts, c.node);
    e.line = c.line;
    e.excerpt = c.realm.empty() ? fmt::format("{}:{}", c.user, censor(c.password, c.hashed ? 6 : 1))
                                : fmt::format("{}:{}:{}", c.realm, c.user, censor(c.password, c.hashed ? 6 : 1));
    e.facts["user"] = c.user;
    e.facts["format"] = c.format;
    e.facts["stored"] = c.hashed ? "hash" : "plaintext";
    if (is_default) e.facts["matched_password"] = known;
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(c.node), fmt::format("{}:{}", c.line, c.user));
    out.findings.push_back(std::move(f));
  }
  return out;
}

// ---- Wi-Fi passphrases ------------------------------------------------------------------------

CheckOutput check_wifi_psk(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    bool hostapd = n.name.find("hostapd") != std::string::npos && n.name.ends_with(".conf");
    bool uci = n.name == "wireless" && n.path.find("/config/") != std::string::npos;
    if (!hostapd && !uci) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    for (const auto& e : formats::parse_conf(b->view().as_chars(), 10000)) {
      std::string value;
      if (hostapd && (e.key == "wpa_passphrase" || e.key == "wpa_psk" || e.key == "sae_password")) value = e.value;
      if (uci && e.key == "option") {
        auto w = formats::split_words(e.value, 4);
        if (w.size() >= 2 && (w[0] == "key" || w[0] == "sae_password")) value = w[1];
      }
      if (value.size() < 8) continue;  // WPA keys are 8..63 characters or 64 hex digits
      std::string path = device_path(t, facts, id);
      bool weak = is_default_password(value) ||
                  (value.size() <= 10 && std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }));
      Finding f;
      f.check_id = "credentials.wifi_psk";
      f.title = fmt::format("Fixed Wi-Fi passphrase in {}{}", path, weak ? " (well-known or trivially guessable)" : "");
      f.severity = weak ? Severity::critical : Severity::high;
      f.description = fmt::format(
          "{} line {} sets the WPA passphrase: every unit broadcasts a network protected by the same key, which "
          "anyone holding the firmware (or one device) knows{}.",
          path, e.line, weak ? "; this one is also in public default lists or all digits" : "");
      f.remediation = "Generate a random per-device passphrase at manufacture (printed on the label) or require the "
                      "user to set one during setup.";
      Evidence ev = evidence_in(t, facts, id);
      ev.line = e.line;
      ev.excerpt = fmt::format("{}={}", hostapd ? e.key : "option key", censor(value, 2));
      ev.facts["length"] = std::to_string(value.size());
      f.evidence.push_back(std::move(ev));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(e.line));
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

// ---- passwords derived from public device identifiers ---------------------------------------

namespace {

bool identifier_source(std::string_view l) {
  for (std::string_view w : {"/sys/class/net/", "HWaddr", "ethaddr", "et0macaddr", "wan_hwaddr", "lan_hwaddr",
                             "macaddr", "get_mac", "getmac", "serial_number", "serialno", "/proc/cpuinfo",
                             "ro.serialno", "SerialNumber"})
    if (l.find(w) != std::string_view::npos) return true;
  return false;
}

bool sets_password(std::string_view l) {
  for (std::string_view w : {"chpasswd", "passwd ", "mkpasswd", "wpa_passphrase=", "wpa_passphrase ", "option key",
                             "openssl passwd", "htpasswd", "mosquitto_passwd", "smbpasswd", "set_password", "uci set wireless"})
    if (l.find(w) != std::string_view::npos) return true;
  return false;
}

}  // namespace

CheckOutput check_derived_password(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    if (ctx.tree.at(id).size == 0) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    std::string_view text = b->view().as_chars();
    if (text.find("passw") == std::string_view::npos && text.find("option key") == std::string_view::npos) continue;
    ++out.run.subjects;
    std::uint64_t src_line = 0, set_line = 0;
    std::string src_text, set_text;
    formats::for_each_line(text, [&](std::string_view line, std::uint64_t no) {
      std::size_t i = line.find_first_not_of(" \t");
      if (i == std::string_view::npos || line[i] == '#') return true;
      std::string_view l = line.substr(i, 400);
      if (identifier_source(l) && src_line == 0) {
        src_line = no;
        src_text = std::string(l.substr(0, 160));
      }
      // The password must be set after the identifier was read, within the same script.
      if (src_line != 0 && sets_password(l) && no >= src_line && no - src_line <= 40) {
        set_line = no;
        set_text = std::string(l.substr(0, 160));
        return false;
      }
      return true;
    }, 100000);
    if (set_line == 0) continue;
    std::string path = device_path(t, facts, id);
    Finding f;
    f.check_id = "credentials.derived_password";
    f.title = fmt::format("Password derived from a device identifier ({})", path);
    f.severity = Severity::high;
    f.description = fmt::format(
        "{} reads a public device identifier (line {}: MAC address or serial number) and sets a password from it "
        "(line {}). Anyone who sees the device's MAC address on the network or its label can compute the "
        "password, so it is not unique in the sense that matters.",
        path, src_line, set_line);
    f.remediation = "Generate per-device passwords from a true random source at manufacture and store them in "
                    "protected storage, or require the user to set one.";
    Evidence e = evidence_in(t, facts, id);
    e.line = src_line;
    e.excerpt = src_text;
    e.facts["identifier_line"] = std::to_string(src_line);
    e.facts["password_line"] = std::to_string(set_line);
    e.facts["password_command"] = set_text;
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(set_line));
    out.findings.push_back(std::move(f));
  }
  return out;
}

// ---- passwords in configuration files --------------------------------------------------------

namespace {

bool password_key(std::string_view key) {
  std::string k = ascii_lower(key);
  if (k.find("file") != std::string::npos || k.find("path") != std::string::npos || k.find("len") != std::string::npos ||
      k.find("min") != std::string::npos || k.find("max") != std::string::npos || k.find("enable") != std::string::npos ||
      k.find("hash") != std::string::npos || k.find("wpa") != std::string::npos || k.find("prompt") != std::string::npos ||
      k.find("_auth") != std::string::npos || k.find("policy") != std::string::npos)
    return false;
  return k.ends_with("password") || k.ends_with("passwd") || k.ends_with("_pass") || k.ends_with("_pwd") ||
         k == "pass" || k == "pwd" || k == "pw";
}

bool literal_password(std::string_view v) {
  if (v.empty() || v.size() > 128) return false;
  if (v.front() == '-' || v.front() == '=' || v.front() == '+' || v.front() == '.') return false;  // code, not data
  if (v.front() == '/' || v.find('$') != std::string_view::npos || v.find('%') != std::string_view::npos ||
      v.find('<') != std::string_view::npos || v.find('{') != std::string_view::npos)
    return false;
  std::string l = ascii_lower(v);
  for (std::string_view p : {"xxx", "***", "none", "null", "replace", "your_", "example", "placeholder", "undefined",
                             "passw"})  // "pppoe_passwd": a placeholder naming what belongs there
    if (l.find(p) != std::string::npos) return false;
  // Switches, not secrets ("encodePassword=enable").
  for (std::string_view flag : {"enable", "disable", "enabled", "disabled", "yes", "no", "true", "false", "on", "off", "0", "1"})
    if (l == flag) return false;
  return true;
}

}  // namespace

CheckOutput check_config_password(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  std::set<NodeId> scripts;
  for (const auto& [id, kind] : facts.kinds)
    if (kind == FileKind::script) scripts.insert(id);
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    const Node& n = t.at(id);
    std::string_view name = n.name;
    // Code (scripts, web pages and their JavaScript) assigns variables named password all the time;
    // configuration files and nvram defaults are where a shipped password lives.
    if (scripts.contains(id)) continue;
    bool code = false;
    for (std::string_view ext : {".htm", ".html", ".js", ".asp", ".php", ".cgi", ".lua", ".sh", ".pl", ".py", ".xml",
                                 ".css", ".tcl", ".inc", ".jsp", ".shtml", ".stm"})
      code = code || name.ends_with(ext);
    if (code || name == "nsswitch.conf") continue;
    if (name == "passwd" || name == "shadow" || name == "group" || name == "gshadow" || name.ends_with(".sample") ||
        name.ends_with(".example") || name.find("htpasswd") != std::string_view::npos ||
        name.find("hostapd") != std::string_view::npos || name == "httpd.conf" || name.ends_with(".user"))
      continue;  // account databases and the formats other checks judge
    std::string path = device_path(t, facts, id);
    bool config_place = path.starts_with("/etc/") || path.starts_with("/www/") || path.starts_with("/usr/etc/") ||
                        path.starts_with("/var/") || path.starts_with("/usr/share/") || path.starts_with("/mnt/") ||
                        n.fs_root == rootfs_of(t, facts, id) || rootfs_of(t, facts, id) == kNoNode;
    if (!config_place) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    std::string_view text = b->view().as_chars();
    if (text.find("ass") == std::string_view::npos && text.find("pw") == std::string_view::npos) continue;
    ++out.run.subjects;
    std::size_t in_file = 0;
    formats::for_each_line(text, [&](std::string_view line, std::uint64_t no) {
      std::size_t i = line.find_first_not_of(" \t");
      if (i == std::string_view::npos || line[i] == '#' || line[i] == ';' || line.substr(i).starts_with("//")) return true;
      std::string_view l = line.substr(i, 400);
      std::string key, value;
      if (l.starts_with("option ")) {  // OpenWrt UCI: option password 'secret'
        auto w = formats::split_words(l, 4);
        if (w.size() >= 3 && password_key(w[1])) {
          key = w[1];
          value = w[2];
        }
      } else {
        for (auto& [k, v] : assignments(l))
          if (password_key(k)) {
            key = k;
            value = v;
            break;
          }
      }
      if (key.empty() || !literal_password(value)) return true;
      bool known = is_default_password(value);
      Finding f;
      f.check_id = "credentials.config_password";
      f.title = fmt::format("Hard-coded {}password in {} ({})", known ? "well-known " : "", path, key);
      f.severity = known ? Severity::critical : Severity::high;
      f.description = fmt::format(
          "{} line {} sets {} to a fixed value{}. Every unit ships the same credential, so it is a universal default "
          "password unless the device forces a change at first use.",
          path, no, key, known ? " from public default-credential lists" : "");
      f.remediation = "Do not ship passwords in configuration: generate a per-device secret at manufacture or "
                      "require the user to set one during setup.";
      Evidence e = evidence_in(t, facts, id);
      e.line = no;
      e.excerpt = fmt::format("{}={}", key, censor(value, 1));
      e.facts["key"] = key;
      if (known) e.facts["matched_password"] = value;
      f.evidence.push_back(std::move(e));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(id), std::to_string(no));
      out.findings.push_back(std::move(f));
      return ++in_file < 32;
    }, 100000);
  }
  return out;
}

extern const CheckInfo check_config_password_info;
const CheckInfo check_config_password_info{
    "credentials.config_password", "Password in a configuration file",
    "Literal values of password-named keys (key=value, key: value, JSON, OpenWrt UCI 'option password') in "
    "configuration files and scripts; critical when the value is on the default-credential list.",
    {"values built at run time ($VAR, command substitution) are skipped; whether the device forces a change at "
     "first use is not known"},
    &check_config_password};

extern const CheckInfo check_derived_password_info;
const CheckInfo check_derived_password_info{
    "credentials.derived_password", "Password derived from the MAC address or serial number",
    "Scripts that read a MAC address or serial number and, within 40 lines, set a password, Wi-Fi key or web "
    "password (chpasswd, passwd, wpa_passphrase, uci set wireless, htpasswd…).",
    {"data flow is not tracked: the two lines are related by proximity",
     "derivations inside vendor binaries are not seen"},
    &check_derived_password};

extern const CheckInfo check_cloud_secrets_info;
const CheckInfo check_cloud_secrets_info{
    "secrets.cloud_credentials", "Cloud or API credential in the firmware",
    "AWS access keys (with their secret keys), Azure storage keys, Google Cloud service-account files and "
    "high-entropy values assigned to api_key/secret/token-like names in text files and scripts.",
    {"binary files are not searched yet", "generic secrets need a credential-like name and a random-looking value"},
    &check_cloud_secrets};

extern const CheckInfo check_web_credentials_info;
const CheckInfo check_web_credentials_info{
    "credentials.web_password", "Hard-coded web interface password",
    "BusyBox httpd.conf '/path:user:password' lines, htpasswd, lighttpd and mosquitto password files: clear-text "
    "passwords, and hashes that open with the default-credential list.",
    {"hashes that match no known default are not reported (they may still be the same on every unit)",
     "credentials compiled into vendor web server binaries are not found"},
    &check_web_credentials};

extern const CheckInfo check_wifi_psk_info;
const CheckInfo check_wifi_psk_info{
    "credentials.wifi_psk", "Fixed Wi-Fi passphrase",
    "WPA passphrases in hostapd configuration and OpenWrt /etc/config/wireless.",
    {"passphrases generated at first boot by vendor scripts are not seen"},
    &check_wifi_psk};

}  // namespace iotaudit::analyze
