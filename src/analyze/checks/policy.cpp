// Update integrity and the manufacturer's published commitments: does the update path verify a
// signature before writing flash, is there a vulnerability-disclosure contact (RFC 9116
// security.txt or a contact in the web UI or documentation), and is a support period stated.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analyze/analyzer.hpp"
#include "core/text.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {


bool contains(std::string_view s, std::string_view w) { return s.find(w) != std::string_view::npos; }

// Shell text without its comment.
std::string_view code_of(std::string_view line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] == '#') return {};
  return line.substr(i);
}

std::optional<std::string> flash_write(std::string_view l) {
  if ((contains(l, "mtd ") && contains(l, " write ")) || l.starts_with("mtd write")) return "mtd write";
  for (std::string_view c : {"flashcp ", "nandwrite ", "ubiupdatevol ", "flash_eraseall ", "mtd_write "})
    if (contains(l, c)) return std::string(c.substr(0, c.size() - 1));
  if (contains(l, "dd ") && (contains(l, "of=/dev/mtd") || contains(l, "of=/dev/mmcblk") || contains(l, "of=/dev/nand")))
    return "dd to a flash device";
  if (contains(l, "sysupgrade ") && !contains(l, "sysupgrade.") && !l.starts_with("echo")) return "sysupgrade";
  return std::nullopt;
}

std::optional<std::string> verification(std::string_view l) {
  if (contains(l, "openssl") && (contains(l, "-verify") || contains(l, " verify"))) return "openssl signature verification";
  if (contains(l, "usign") && contains(l, "-V")) return "usign -V";
  if (contains(l, "signify") && contains(l, "-V")) return "signify -V";
  if (contains(l, "gpgv") || (contains(l, "gpg") && contains(l, "--verify"))) return "gpg --verify";
  if (contains(l, "ucert") && contains(l, "-V")) return "ucert -V";
  return std::nullopt;
}

bool plain_http(std::string_view l) {
  if (contains(l, "https://")) return false;
  return contains(l, "http://") || contains(l, "tftp ") || contains(l, "ftp://");
}

struct Script {
  NodeId id;
  std::string path;
  std::vector<std::pair<std::uint64_t, std::string>> writes;
  std::optional<std::pair<std::uint64_t, std::string>> verify;
  std::optional<std::pair<std::uint64_t, std::string>> http;
  bool downloads = false;
};

Script read_script(const Tree& t, const Facts& facts, NodeId id, std::string_view text) {
  Script s{id, device_path(t, facts, id), {}, std::nullopt, std::nullopt, false};
  formats::for_each_line(text, [&](std::string_view line, std::uint64_t no) {
    std::string_view l = code_of(line);
    if (l.empty()) return true;
    if (auto w = flash_write(l); w && s.writes.size() < 16) s.writes.emplace_back(no, *w);
    if (!s.verify)
      if (auto v = verification(l)) s.verify.emplace(no, *v);
    bool dl = contains(l, "wget ") || contains(l, "curl ") || contains(l, "tftp ") || contains(l, "URL=");
    s.downloads = s.downloads || dl;
    if (!s.http && plain_http(l) && (dl || contains(l, "URL") || contains(l, "url")))
      s.http.emplace(no, std::string(l.substr(0, 160)));
    return true;
  }, 200000);
  return s;
}

}  // namespace

CheckOutput check_unsigned_update(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  std::map<NodeId, std::vector<Script>> per_root;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    NodeId root = rootfs_of(t, facts, id);
    if (root == kNoNode) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    std::string_view text = b->view().as_chars();
    // Cheap prefilter before the line scan.
    if (!contains(text, "mtd") && !contains(text, "flashcp") && !contains(text, "nandwrite") &&
        !contains(text, "ubiupdatevol") && !contains(text, "sysupgrade") && !contains(text, "mmcblk"))
      continue;
    Script s = read_script(t, facts, id, text);
    if (s.writes.empty() && !s.verify) continue;
    per_root[root].push_back(std::move(s));
  }
  for (auto& [root, scripts] : per_root) {
    std::vector<const Script*> writers;
    const Script* verifier = nullptr;
    for (const auto& s : scripts) {
      if (!s.writes.empty()) writers.push_back(&s);
      if (s.verify && !verifier) verifier = &s;
    }
    if (writers.empty()) continue;
    out.run.subjects += writers.size();
    if (verifier) {
      out.run.notes.push_back(fmt::format("{} verifies a signature ({}, line {}) in the update path",
                                          verifier->path, verifier->verify->second, verifier->verify->first));
      continue;
    }
    // Scripts that download the image first are the entry points; report them first.
    std::stable_sort(writers.begin(), writers.end(), [](const Script* a, const Script* b) { return a->downloads > b->downloads; });
    const Script* http = nullptr;
    for (const Script* w : writers)
      if (w->http) { http = w; break; }
    Finding f;
    f.check_id = "updates.unsigned";
    f.title = fmt::format("Firmware update written to flash without a signature check ({})", writers.front()->path);
    f.severity = http ? Severity::critical : Severity::high;
    f.description = fmt::format(
        "{} write{} a firmware image to flash ({}) and no script of the update path verifies a signature (openssl, "
        "usign, signify, gpg) first{}. Whoever can supply an image — a local attacker, anyone able to reach the "
        "upload handler, or anyone on the network path — can install modified firmware that survives reboots.",
        writers.size() == 1 ? writers.front()->path : fmt::format("{} scripts", writers.size()),
        writers.size() == 1 ? "s" : "", writers.front()->writes.front().second,
        http ? fmt::format("; the image is fetched over plain HTTP/TFTP ({} line {})", http->path, http->http->first)
             : "");
    f.remediation = "Sign firmware images and verify the signature with a public key embedded in the device (or in "
                    "the bootloader) before anything is written to flash; download over an authenticated channel.";
    for (std::size_t i = 0; i < writers.size() && i < 20; ++i) {
      const Script* w = writers[i];
      Evidence e = evidence_in(t, facts, w->id);
      e.line = w->writes.front().first;
      e.excerpt = w->writes.front().second;
      e.facts["method"] = w->writes.front().second;
      if (w->http) {
        e.facts["transport"] = "http";
        e.facts["download_line"] = std::to_string(w->http->first);
        e.facts["download"] = w->http->second;
      }
      f.evidence.push_back(std::move(e));
    }
    f.fingerprint = fingerprint(f.check_id, t.logical_path(root), writers.front()->path);
    out.findings.push_back(std::move(f));
  }
  if (per_root.empty()) {
    out.run.conclusive = false;
    out.run.notes.push_back("no script that writes firmware to flash was found; update handlers inside vendor "
                            "binaries are not analysed");
  }
  return out;
}

// ---- vulnerability disclosure and support period ---------------------------------------------

namespace {

// "2024-11-13T22:13:20Z", "2030-12-31": seconds since the epoch (UTC), if it parses.
std::optional<std::int64_t> parse_date(std::string_view s) {
  int y = 0, m = 0, d = 0, hh = 0, mm = 0, ss = 0;
  auto num = [&](std::size_t at, std::size_t n, int& v) {
    if (at + n > s.size()) return false;
    v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  if (!num(0, 4, y) || s.size() < 10 || s[4] != '-' || !num(5, 2, m) || s[7] != '-' || !num(8, 2, d)) return std::nullopt;
  if (s.size() >= 19 && (s[10] == 'T' || s[10] == ' ')) {
    num(11, 2, hh);
    num(14, 2, mm);
    num(17, 2, ss);
  }
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999) return std::nullopt;
  // days from civil (Howard Hinnant's algorithm)
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400 + hh * 3600 + mm * 60 + ss;
}

// The first YYYY-MM-DD in a line.
std::optional<std::pair<std::string, std::int64_t>> find_date(std::string_view l) {
  for (std::size_t i = 0; i + 10 <= l.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(l[i])) || (i > 0 && std::isdigit(static_cast<unsigned char>(l[i - 1]))))
      continue;
    if (auto t = parse_date(l.substr(i, 10))) return std::make_pair(std::string(l.substr(i, 10)), *t);
  }
  return std::nullopt;
}

bool web_or_doc(std::string_view p) {
  return p.starts_with("/etc/") || p.starts_with("/www/") || p.starts_with("/usr/www/") || p.starts_with("/var/www/") ||
         p.starts_with("/usr/share/www/") || p.starts_with("/srv/") || p.starts_with("/home/httpd/") ||
         p.starts_with("/webs/") || p.starts_with("/web/") || p.starts_with("/htdocs/") || p.starts_with("/usr/html/") ||
         p == "/security.txt" || p.starts_with("/.well-known/");
}

struct SecurityTxt {
  NodeId id = kNoNode;
  std::string path;
  std::vector<std::pair<std::uint64_t, std::string>> contacts;
  std::optional<std::pair<std::uint64_t, std::string>> expires;
  std::vector<std::string> problems;
};

SecurityTxt parse_security_txt(NodeId id, std::string path, std::string_view text) {
  SecurityTxt s;
  s.id = id;
  s.path = std::move(path);
  int expires_count = 0;
  formats::for_each_line(text, [&](std::string_view l, std::uint64_t no) {
    if (l.empty() || l.front() == '#' || l.front() == '-') return true;  // comments, PGP armour
    auto c = l.find(':');
    if (c == std::string_view::npos) return true;
    std::string field = ascii_lower(l.substr(0, c));
    std::string_view v = l.substr(c + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if (field == "contact") s.contacts.emplace_back(no, std::string(v.substr(0, 200)));
    if (field == "expires") {
      ++expires_count;
      if (!s.expires) s.expires.emplace(no, std::string(v.substr(0, 64)));
    }
    return true;
  }, 10000);
  if (s.contacts.empty()) s.problems.push_back("no Contact field (RFC 9116 requires at least one)");
  if (!s.expires) s.problems.push_back("no Expires field (RFC 9116 requires exactly one)");
  if (expires_count > 1) s.problems.push_back("more than one Expires field");
  return s;
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

CheckOutput check_disclosure_contact(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  if (facts.rootfs.empty()) {
    out.run.conclusive = false;
    out.run.notes.push_back("no root filesystem: nothing to search for a disclosure contact");
    return out;
  }
  std::vector<SecurityTxt> txts;
  std::optional<std::pair<NodeId, std::uint64_t>> other;  // a contact in web pages or documents
  std::string other_excerpt;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    NodeId root = rootfs_of(t, facts, id);
    if (root == kNoNode) continue;
    std::string p = t.path_within(root, id);
    const Node& n = t.at(id);
    BlobPtr b = t.content(id);
    if (!b) continue;
    std::string_view text = b->view().as_chars();
    if (n.name == "security.txt") {
      ++out.run.subjects;
      txts.push_back(parse_security_txt(id, p, text));
      continue;
    }
    if (other || !web_or_doc(p) || n.size > (256 << 10)) continue;
    ++out.run.subjects;
    formats::for_each_line(text, [&](std::string_view l, std::uint64_t no) {
      std::string low = ascii_lower(l.substr(0, 2000));
      if (contains(low, "security@") || contains(low, "psirt") || contains(low, "vulnerability disclosure") ||
          contains(low, "report a vulnerability") || contains(low, "report security") ||
          contains(low, "security vulnerabilit") || contains(low, "/.well-known/security.txt")) {
        other.emplace(id, no);
        other_excerpt = std::string(l.substr(0, 160));
        return false;
      }
      return true;
    }, 20000);
  }
  bool valid_contact = std::any_of(txts.begin(), txts.end(), [](const SecurityTxt& x) { return !x.contacts.empty(); });
  if (valid_contact || other) {
    std::string where = valid_contact ? "security.txt" : device_path(t, facts, other->first);
    out.run.notes.push_back(fmt::format("vulnerability-disclosure contact found in {}", where));
    return out;
  }
  out.run.conclusive = false;
  out.run.notes.push_back("the policy may be published outside the firmware; the manufacturer's documentation decides");
  Finding f;
  f.check_id = "disclosure.contact";
  f.title = "No vulnerability-disclosure contact in the firmware";
  f.severity = Severity::medium;
  f.description = "Neither an RFC 9116 security.txt nor a security contact (security@, PSIRT, a vulnerability "
                  "disclosure page) was found in the web interface, /etc or documentation of any root filesystem. "
                  "Users and researchers who find a problem have no way, from the device, to report it.";
  f.remediation = "Publish a vulnerability disclosure policy with a contact and ship it with the device: "
                  "/.well-known/security.txt in the web interface and a link in the 'About' page or manual.";
  for (NodeId r : facts.rootfs) {
    Evidence e = evidence_at(t, r);
    e.path = "/";
    e.facts["searched"] = "security.txt anywhere; /etc, web roots and /.well-known for contact wording";
    f.evidence.push_back(std::move(e));
  }
  f.fingerprint = fingerprint(f.check_id, facts.rootfs.empty() ? "" : t.logical_path(facts.rootfs.front()), "");
  out.findings.push_back(std::move(f));
  return out;
}

CheckOutput check_security_txt(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  std::vector<SecurityTxt> txts;
  for (NodeId id : text_files(t, facts, 1 << 20)) {
    if (t.at(id).name != "security.txt") continue;
    NodeId root = rootfs_of(t, facts, id);
    if (root == kNoNode) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    txts.push_back(parse_security_txt(id, t.path_within(root, id), b->view().as_chars()));
  }
  std::int64_t now = now_seconds();
  for (const auto& s : txts) {
    auto problems = s.problems;
    std::optional<std::int64_t> exp = s.expires ? parse_date(s.expires->second) : std::nullopt;
    if (s.expires && !exp) problems.push_back(fmt::format("Expires '{}' is not an RFC 3339 date", s.expires->second));
    if (exp && *exp < now) problems.push_back(fmt::format("it expired on {}", s.expires->second.substr(0, 10)));
    if (problems.empty()) continue;
    Finding f;
    f.check_id = "disclosure.security_txt";
    f.title = fmt::format("security.txt is stale or incomplete ({})", s.path);
    f.severity = Severity::low;
    f.description = fmt::format("{}: {}. Researchers and tools treat an expired or incomplete security.txt as "
                                "unreliable, so reports may not reach the manufacturer.",
                                s.path, fmt::join(problems, "; "));
    f.remediation = "Keep security.txt current (RFC 9116): at least one Contact, one Expires less than a year ahead, "
                    "refreshed with each release.";
    Evidence e = evidence_in(t, facts, s.id);
    e.path = s.path;
    if (s.expires) {
      e.line = s.expires->first;
      e.excerpt = fmt::format("Expires: {}", s.expires->second);
      e.facts["expires"] = s.expires->second;
    }
    e.facts["contacts"] = std::to_string(s.contacts.size());
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, t.logical_path(s.id), "");
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_support_period(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  if (facts.rootfs.empty()) {
    out.run.conclusive = false;
    out.run.notes.push_back("no root filesystem: nothing to search for a support period");
    return out;
  }
  struct Statement {
    NodeId id;
    std::string path;
    std::uint64_t line;
    std::string text, date;
    std::optional<std::int64_t> when;
  };
  std::vector<Statement> found;
  for (NodeId id : text_files(t, facts, 256 << 10)) {
    NodeId root = rootfs_of(t, facts, id);
    if (root == kNoNode) continue;
    std::string p = t.path_within(root, id);
    bool named = contains(t.at(id).name, "support") || contains(t.at(id).name, "eol") || contains(t.at(id).name, "lifecycle");
    if (!web_or_doc(p) && !named) continue;
    BlobPtr b = t.content(id);
    if (!b) continue;
    ++out.run.subjects;
    formats::for_each_line(b->view().as_chars(), [&](std::string_view l, std::uint64_t no) {
      std::string low = ascii_lower(l.substr(0, 2000));
      bool says = contains(low, "support period") || contains(low, "security updates until") ||
                  contains(low, "updates are provided until") || contains(low, "supported until") ||
                  contains(low, "end of support") || contains(low, "support ends") ||
                  contains(low, "end-of-support") || (named && find_date(l));
      if (!says) return true;
      Statement s{id, p, no, std::string(l.substr(0, 200)), "", std::nullopt};
      if (auto d = find_date(l)) {
        s.date = d->first;
        s.when = d->second;
      }
      found.push_back(std::move(s));
      return false;
    }, 20000);
  }
  if (!found.empty()) {
    // The latest stated date is what the manufacturer promises.
    auto best = std::max_element(found.begin(), found.end(), [](const Statement& a, const Statement& b) {
      return a.when.value_or(0) < b.when.value_or(0);
    });
    out.run.notes.push_back(fmt::format("support period stated in {} line {}{}", best->path, best->line,
                                        best->date.empty() ? "" : fmt::format(" (until {})", best->date)));
    if (best->when && *best->when + 86400 <= now_seconds()) {
      Finding f;
      f.check_id = "disclosure.support_period";
      f.title = fmt::format("The stated support period ended on {}", best->date);
      f.severity = Severity::high;
      f.description = fmt::format("{} line {} states security updates until {}, which has passed: the device no "
                                  "longer receives security updates.",
                                  best->path, best->line, best->date);
      f.remediation = "Extend the support period and publish the new end date, or tell users the device is no longer "
                      "supported.";
      Evidence e = evidence_in(t, facts, best->id);
      e.path = best->path;
      e.line = best->line;
      e.excerpt = best->text;
      e.facts["until"] = best->date;
      f.evidence.push_back(std::move(e));
      f.fingerprint = fingerprint(f.check_id, t.logical_path(best->id), best->date);
      out.findings.push_back(std::move(f));
    }
    return out;
  }
  out.run.conclusive = false;
  out.run.notes.push_back("the support period may be published outside the firmware; the manufacturer's documentation decides");
  Finding f;
  f.check_id = "disclosure.support_period";
  f.title = "No support period stated in the firmware";
  f.severity = Severity::medium;
  f.description = "No statement of how long the device receives security updates (a support period or end date) "
                  "was found in the web interface, /etc or documentation. UK PSTI and EN 303 645 5.3-13 require the "
                  "defined support period to be published in an accessible way.";
  f.remediation = "State the defined support period (an end date) in the device's web interface 'About' page and "
                  "documentation, and in the PSTI statement of compliance.";
  for (NodeId r : facts.rootfs) {
    Evidence e = evidence_at(t, r);
    e.path = "/";
    e.facts["searched"] = "files under /etc and web roots, and files named *support*/*eol*";
    f.evidence.push_back(std::move(e));
  }
  f.fingerprint = fingerprint(f.check_id, t.logical_path(facts.rootfs.front()), "");
  out.findings.push_back(std::move(f));
  return out;
}

extern const CheckInfo check_unsigned_update_info;
const CheckInfo check_unsigned_update_info{
    "updates.unsigned", "Firmware update without signature verification",
    "Scripts that write firmware to flash (mtd write, flashcp, nandwrite, ubiupdatevol, dd to /dev/mtd*, "
    "sysupgrade) when no script of the same root filesystem verifies a signature (openssl, usign, signify, gpg); "
    "critical when the image is fetched over plain HTTP or TFTP.",
    {"update handlers compiled into vendor binaries (CGI upload programs) are not analysed",
     "a verification command anywhere in the update scripts counts; whether its result is enforced is not proven"},
    &check_unsigned_update};

extern const CheckInfo check_disclosure_contact_info;
const CheckInfo check_disclosure_contact_info{
    "disclosure.contact", "Vulnerability-disclosure contact",
    "An RFC 9116 security.txt anywhere in a root filesystem, or security-contact wording (security@, PSIRT, "
    "vulnerability disclosure) in /etc, web roots and /.well-known. Its absence is missing evidence: the policy may "
    "be published elsewhere.",
    {"documentation outside the firmware is not seen; a manufacturer declaration can supply it"},
    &check_disclosure_contact};

extern const CheckInfo check_security_txt_info;
const CheckInfo check_security_txt_info{
    "disclosure.security_txt", "Stale or incomplete security.txt",
    "security.txt files without Contact or Expires, with several Expires fields, or whose Expires date has passed "
    "(judged at scan time).",
    {"PGP signatures are not verified"},
    &check_security_txt};

extern const CheckInfo check_support_period_info;
const CheckInfo check_support_period_info{
    "disclosure.support_period", "Support period stated",
    "A statement of the defined support period (\"security updates until\", \"support period\", end-of-support "
    "dates) in /etc, web roots or files named *support*/*eol*; reports its absence, or an end date that has passed "
    "(judged at scan time).",
    {"documentation outside the firmware is not seen; a manufacturer declaration can supply it"},
    &check_support_period};

}  // namespace iotaudit::analyze
