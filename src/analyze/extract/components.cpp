// Components: every ELF file, script and unidentified binary file of every filesystem, and every
// unclaimed data range of every raw blob (where kernels and bootloaders sit), scanned once with
// the built-in classifiers (data/components/classifiers.json). One component per product and
// version, with every place it was seen.
#include <algorithm>
#include <map>
#include <set>
#include <mutex>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "formats/busybox.hpp"
#include "formats/package_db.hpp"
#include "identify/classifier.hpp"

namespace iotaudit::analyze {
namespace {

constexpr std::size_t kMaxOccurrences = 100;  // per component; the rest are counted, not listed
constexpr std::uint64_t kMinGap = 8;  // a bootloader banner in a small gap still counts

struct Job {
  NodeId node = kNoNode;
  std::string path;
  BlobPtr blob;
  std::uint64_t begin = 0, length = 0;  // inside the blob's content
  std::uint64_t base = 0;               // added to match offsets: the range's offset in the node
  unsigned scope = 0;
};

int rank(const std::string& confidence) {
  return confidence == "high" ? 3 : confidence == "medium" ? 2 : confidence == "low" ? 1 : 0;
}

// CPE 2.3 formatted-string quoting of a version: letters, digits, '.', '-' and '_' stay as they
// are; anything else is escaped.
std::string cpe_quote(const std::string& v) {
  std::string out;
  for (char c : v) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                 c == '-' || c == '_';
    if (!plain) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string purl_quote(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                 c == '-' || c == '_' || c == '~';
    out += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

const std::string kOpenWrt = "openwrt";

// Package names whose product has a classifier under another id (OpenWrt and Debian names).
const std::map<std::string, std::string, std::less<>> kPackageAliases = {
    {"libopenssl", "openssl"}, {"libopenssl1.1", "openssl"}, {"libopenssl3", "openssl"}, {"libssl3", "openssl"},
    {"libssl1.1", "openssl"}, {"openssl-util", "openssl"}, {"dnsmasq-full", "dnsmasq"}, {"dnsmasq-dhcpv6", "dnsmasq"},
    {"kernel", "linux-kernel"}, {"busybox-static", "busybox"}, {"libcurl", "curl"}, {"libcurl4", "curl"},
    {"zlib1g", "zlib"}, {"libz", "zlib"}, {"libpcre2-8-0", "pcre2"}, {"libexpat", "expat"}, {"libexpat1", "expat"},
    {"hostapd-mini", "hostapd"}, {"wpad-mini", "hostapd"}, {"wpad", "hostapd"}, {"libjson-c", "json-c"},
    {"openssh-server", "openssh"}, {"openssh-client", "openssh"}, {"libc6", "glibc"}, {"uclibc", "uclibc"},
    {"libpcap", "libpcap"}, {"libpcap0.8", "libpcap"}, {"libsqlite3", "sqlite"}, {"libsqlite3-0", "sqlite"},
    {"libmbedtls", "mbedtls"}, {"libwolfssl", "wolfssl"}, {"libustream-openssl", "openssl"},
};

struct Db {
  const char* path;     // inside the root filesystem
  const char* manager;  // "opkg", "dpkg", "apk"
};
constexpr Db kDatabases[] = {{"usr/lib/opkg/status", "opkg"}, {"var/lib/opkg/status", "opkg"},
                             {"var/lib/dpkg/status", "dpkg"}, {"lib/apk/db/installed", "apk"}};

// The OS id from /etc/os-release ("debian", "alpine", "openwrt"), for PURL namespaces.
// A field of the root filesystem's os-release ("ID", "VERSION_ID"), reduced to safe characters.
std::string os_field(const Tree& t, NodeId root, std::string_view key) {
  NodeId f = t.resolve(root, "etc/os-release");
  if (f == kNoNode || t.at(f).type != NodeType::file) f = t.resolve(root, "usr/lib/os-release");
  if (f == kNoNode || t.at(f).type != NodeType::file) return {};
  ByteView v = t.content(f)->view().head(16384);
  std::string_view text(reinterpret_cast<const char*>(v.data()), v.size());
  std::string prefix = std::string(key) + "=";
  std::size_t at = text.find("\n" + prefix);
  if (text.rfind(prefix, 0) == 0) at = 0;
  else if (at != std::string_view::npos) ++at;
  else return {};
  std::string_view value = text.substr(at + prefix.size(), text.find('\n', at) - at - prefix.size());
  std::string id;
  for (char c : value)
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') id.push_back(c);
  return id;
}

std::string os_id(const Tree& t, NodeId root) { return os_field(t, root, "ID"); }

// The distribution release as OSV ecosystems name it: "debian:12", "alpine:v3.18", "ubuntu:22.04";
// the bare distribution when the release is unknown.
std::string os_ecosystem(const Tree& t, NodeId root, const std::string& distro) {
  std::string ver = os_field(t, root, "VERSION_ID");
  if (ver.empty()) return distro;
  if (distro == "alpine") {
    std::size_t dot = ver.find('.');
    dot = dot == std::string::npos ? dot : ver.find('.', dot + 1);
    return "alpine:v" + ver.substr(0, dot);
  }
  return distro + ":" + ver;
}

// ELF files a package's file list names (opkg and dpkg keep one path per line in
// info/<package>.list; dpkg may add ":<arch>"), resolved inside the root filesystem.
std::vector<NodeId> listed_elves(const Tree& t, NodeId root, std::string_view manager,
                                 const formats::InstalledPackage& p, const std::set<NodeId>& elves) {
  std::vector<NodeId> out;
  std::vector<std::string> lists;
  if (manager == "opkg") {
    lists = {"usr/lib/opkg/info/" + p.name + ".list", "var/lib/opkg/info/" + p.name + ".list"};
  } else if (manager == "dpkg") {
    lists = {"var/lib/dpkg/info/" + p.name + ".list"};
    if (!p.architecture.empty()) lists.push_back("var/lib/dpkg/info/" + p.name + ":" + p.architecture + ".list");
  }
  for (const auto& l : lists) {
    NodeId n = t.resolve(root, l);
    if (n == kNoNode || t.at(n).type != NodeType::file) continue;
    ByteView b = t.content(n)->view();
    std::string_view text(reinterpret_cast<const char*>(b.data()), std::min<std::size_t>(b.size(), 4u << 20));
    std::size_t lines = 0;
    for (std::size_t pos = 0; pos < text.size() && lines < 100000; ++lines) {
      std::size_t nl = text.find('\n', pos);
      std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      if (line.size() < 2 || line.front() != '/') continue;
      NodeId f = t.resolve(root, line, /*follow_last=*/false);
      if (f != kNoNode && elves.contains(f)) out.push_back(f);
    }
    break;
  }
  return out;
}

}  // namespace

void extract_components(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  const identify::ClassifierSet& set = identify::ClassifierSet::builtin();
  if (set.classifiers().empty()) return;
  std::vector<Job> jobs;
  for (const auto& [id, kind] : facts.kinds) {
    unsigned scope = kind == FileKind::elf      ? identify::kElf
                     : kind == FileKind::script ? identify::kScript
                     : kind == FileKind::text   ? identify::kText
                     : kind == FileKind::data   ? identify::kRaw
                                                : 0u;
    if (scope == 0) continue;
    BlobPtr b = t.content(id);
    jobs.push_back({id, t.at(id).path, b, 0, b->view().size(), 0, scope});
  }
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.gaps.empty() || !n.content) continue;
    for (const Gap& g : n.gaps) {
      if (!g.fill.empty() || g.length < kMinGap || g.offset < n.content_at) continue;
      jobs.push_back({id, "", n.content, g.offset - n.content_at, g.length, n.content_at, identify::kRaw});
    }
  }

  std::vector<std::vector<identify::Hit>> hits(jobs.size());
  ctx.executor.parallel_for(jobs.size(), [&](std::size_t i) {
    const Job& j = jobs[i];
    hits[i] = set.scan(j.blob->view().tail(j.begin).head(j.length), j.scope);
    // Libraries identified by content whose version only their file name states.
    std::string base = j.path.substr(j.path.rfind('/') + 1);
    std::erase_if(hits[i], [&](identify::Hit& h) {
      if (!h.version.empty()) return false;
      h.version = j.path.empty() ? std::string() : identify::version_from_name(set.classifiers()[h.classifier], base);
      return h.version.empty();
    });
  });

  // A blob scanned in several ranges (the gaps around what was carved from a decoded kernel) can
  // match one classifier in two of them, through patterns of different preference (a kernel's
  // Debian banner and its plain banner): per node and classifier only the preferred pattern counts.
  std::map<std::pair<NodeId, std::size_t>, std::size_t> best;
  for (std::size_t i = 0; i < jobs.size(); ++i)
    for (const identify::Hit& h : hits[i]) {
      auto [it, inserted] = best.emplace(std::make_pair(jobs[i].node, h.classifier), h.pattern);
      if (!inserted) it->second = std::min(it->second, h.pattern);
    }
  for (std::size_t i = 0; i < jobs.size(); ++i)
    std::erase_if(hits[i], [&](const identify::Hit& h) { return best[{jobs[i].node, h.classifier}] != h.pattern; });

  std::map<std::pair<std::string, std::string>, Component> merged;
  std::map<std::pair<std::string, std::string>, std::size_t> extra;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    for (const identify::Hit& h : hits[i]) {
      const identify::Classifier& cl = set.classifiers()[h.classifier];
      auto key = std::make_pair(cl.id, h.version);
      Component& c = merged[key];
      if (c.id.empty()) {
        c.id = cl.id;
        c.name = cl.product;
        c.vendor = cl.vendor;
        c.version = h.version;
        if (!cl.cpe.empty()) c.cpe = cl.cpe + ":" + cpe_quote(h.version) + ":*:*:*:*:*:*:*";
        if (!cl.purl.empty()) c.purl = cl.purl + "@" + purl_quote(h.version);
      }
      const std::string& conf = cl.patterns[h.pattern].confidence;
      if (rank(conf) > rank(c.confidence)) c.confidence = conf;
      if (c.occurrences.size() >= kMaxOccurrences) {
        ++extra[key];
        continue;
      }
      Occurrence o;
      o.node = jobs[i].node;
      o.path = jobs[i].path;
      o.offset = jobs[i].base + jobs[i].begin + h.offset;
      o.evidence = h.evidence;
      o.method = fmt::format("classifier:{}#{}", cl.id, h.pattern + 1);
      o.confidence = conf;
      c.occurrences.push_back(std::move(o));
    }
  }
  // Installed-package databases: what the package manager says is on the device.
  std::set<NodeId> elves;
  for (const auto& [id, kind] : facts.kinds)
    if (kind == FileKind::elf) elves.insert(id);
  std::map<std::string, std::size_t, std::less<>> by_id;
  for (std::size_t i = 0; i < set.classifiers().size(); ++i) by_id[set.classifiers()[i].id] = i;
  for (NodeId root : facts.rootfs) {
    std::vector<std::pair<NodeId, const char*>> dbs;
    for (const Db& db : kDatabases) {
      NodeId f = t.resolve(root, db.path);
      if (f != kNoNode && t.at(f).type == NodeType::file) dbs.emplace_back(f, db.manager);
    }
    if (dbs.empty()) {  // opkg without a status file: one control file per package
      NodeId info = t.resolve(root, "usr/lib/opkg/info");
      if (info != kNoNode && t.at(info).type == NodeType::directory)
        for (NodeId c : t.at(info).children)
          if (t.at(c).type == NodeType::file && t.at(c).name.ends_with(".control")) dbs.emplace_back(c, "opkg");
    }
    std::string ns = os_id(t, root);
    const std::string eco_dpkg = os_ecosystem(t, root, ns.empty() ? "debian" : ns);
    const std::string eco_apk = os_ecosystem(t, root, ns.empty() ? "alpine" : ns);
    for (const auto& [node, manager] : dbs) {
      ByteView text = t.content(node)->view();
      auto pkgs = std::string_view(manager) == "apk" ? formats::parse_apk_installed(text)
                                                     : formats::parse_control_stanzas(text);
      for (const auto& p : pkgs) {
        if (!p.installed) continue;
        std::string version = formats::upstream_version(p.version);
        auto alias = kPackageAliases.find(p.name);
        std::string id = alias != kPackageAliases.end() ? alias->second : p.name;
        if (id == "linux-kernel")  // OpenWrt: "3.3.8-1-d6597ebf..." (version, release, config hash)
          version = version.substr(0, version.find_first_not_of("0123456789."));
        if (version.empty()) continue;
        auto cl = by_id.find(id);
        auto key = std::make_pair(id, version);
        Component& c = merged[key];
        if (c.id.empty()) {
          c.id = id;
          c.version = version;
          if (cl != by_id.end()) {
            const identify::Classifier& k = set.classifiers()[cl->second];
            c.name = k.product;
            c.vendor = k.vendor;
            if (!k.cpe.empty()) c.cpe = k.cpe + ":" + cpe_quote(version) + ":*:*:*:*:*:*:*";
            if (!k.purl.empty()) c.purl = k.purl + "@" + purl_quote(version);
          } else {
            c.name = p.name;
            std::string_view m(manager);
            std::string arch = p.architecture.empty() ? "" : "?arch=" + purl_quote(p.architecture);
            c.purl = m == "dpkg"  ? fmt::format("pkg:deb/{}/{}@{}{}", ns.empty() ? "debian" : ns, purl_quote(p.name),
                                                purl_quote(p.version), arch)
                     : m == "apk" ? fmt::format("pkg:apk/{}/{}@{}{}", ns.empty() ? "alpine" : ns, purl_quote(p.name),
                                                purl_quote(p.version), arch)
                                  : fmt::format("pkg:generic/{}@{}", purl_quote(p.name), purl_quote(p.version));
          }
        }
        c.confidence = "high";
        if (c.occurrences.size() >= kMaxOccurrences) {
          ++extra[key];
          continue;
        }
        Occurrence o;
        o.node = node;
        o.path = t.at(node).path;
        o.offset = 0;
        o.evidence = fmt::format("Package: {} Version: {} (line {})", p.name, p.version, p.line);
        o.method = fmt::format("package-db:{}", manager);
        o.confidence = "high";
        c.occurrences.push_back(std::move(o));
        // The distribution's own name and version of the package (its source package when the
        // database names one): what distribution advisories (OSV) are written against.
        {
          std::string_view m(manager);
          const std::string& eco = m == "dpkg" ? eco_dpkg : m == "apk" ? eco_apk : kOpenWrt;
          std::pair<std::string, std::string> prop{
              "package", fmt::format("{}/{}@{}", eco, p.source.empty() ? p.name : p.source, p.version)};
          if (std::find(c.properties.begin(), c.properties.end(), prop) == c.properties.end())
            c.properties.push_back(std::move(prop));
        }
        // The package's file list names its executables and libraries: they are occurrences too
        // (file hashes in the SBOM, dependencies between components).
        for (NodeId f : listed_elves(t, root, manager, p, elves)) {
          if (c.occurrences.size() >= kMaxOccurrences) {
            ++extra[key];
            break;
          }
          bool seen = false;
          for (const auto& e : c.occurrences) seen = seen || e.node == f;
          if (seen) continue;
          Occurrence lo;
          lo.node = f;
          lo.path = t.at(f).path;
          lo.evidence = fmt::format("listed by package {} {}", p.name, p.version);
          lo.method = fmt::format("package-db:{}:files", manager);
          lo.confidence = "high";
          c.occurrences.push_back(std::move(lo));
        }
      }
    }
  }

  for (auto& [key, c] : merged) {
    if (auto it = extra.find(key); it != extra.end()) c.occurrences_omitted = it->second;
    if (c.id == "u-boot") {
      // "U-Boot 2023.01 (Jun 22 2026 - 08:38:07 +0000)": the build date says how old it really is.
      for (const auto& o : c.occurrences) {
        std::size_t open = o.evidence.find(" (");
        if (open == std::string::npos || o.method.rfind("classifier", 0) != 0) continue;
        std::string date = o.evidence.substr(open + 2, 11);  // "Jun 22 2026"
        if (date.size() == 11 && date[3] == ' ' && date[6] == ' ') {
          c.properties.emplace_back("u-boot:build_date", date);
          break;
        }
      }
    }
    if (c.id == "linux-kernel") {
      // An embedded kernel configuration (CONFIG_IKCONFIG): "IKCFG_ST" and a gzip'd .config inside
      // the kernel's own bytes, carved and decoded as a child of the blob holding the banner.
      for (const auto& o : c.occurrences) {
        if (o.node == kNoNode) continue;
        const Node& blob = t.at(o.node);
        for (NodeId r : blob.children) {
          const Node& g = t.at(r);
          if (g.type != NodeType::region || g.format != "gzip" || !g.content || !blob.content) continue;
          std::uint64_t at = g.origin.offset;
          if (at < blob.content_at + 8) continue;
          if (!blob.content->view().has_at(at - blob.content_at - 8, "IKCFG_ST")) continue;
          ByteView cfg = g.content->view();
          std::size_t options = 0;
          std::string_view text(reinterpret_cast<const char*>(cfg.data()), cfg.size());
          for (std::size_t pos = 0; pos < text.size();) {
            std::size_t nl = text.find('\n', pos);
            std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            options += line.rfind("CONFIG_", 0) == 0 && line.find('=') != std::string_view::npos;
            if (nl == std::string_view::npos) break;
            pos = nl + 1;
          }
          c.properties.emplace_back("linux-kernel:config", t.logical_path(r));
          c.properties.emplace_back("linux-kernel:config_options", std::to_string(options));
          break;
        }
        if (!c.properties.empty()) break;
      }
    }
    if (c.id == "busybox") {
      // The applets compiled in, from the first binary of this version.
      for (const auto& o : c.occurrences) {
        if (o.path.empty() || o.method.rfind("classifier", 0) != 0) continue;
        auto applets = formats::busybox_applets(t.content(o.node)->view());
        if (applets.empty()) continue;
        std::string list;
        for (const auto& a : applets) list += (list.empty() ? "" : ",") + a;
        c.properties.emplace_back("busybox:applets", list);
        break;
      }
    }
    std::sort(c.occurrences.begin(), c.occurrences.end(), [&t](const Occurrence& a, const Occurrence& b) {
      std::string pa = t.logical_path(a.node), pb = t.logical_path(b.node);
      return pa != pb ? pa < pb : a.offset < b.offset;
    });
    facts.components.push_back(std::move(c));
  }
}

}  // namespace iotaudit::analyze
