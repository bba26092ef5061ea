#include "match/osv_match.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/text.hpp"

#include "match/feeds/osv.hpp"
#include "match/version/scheme.hpp"

namespace iotaudit::match {

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}


Scheme scheme_for(const std::string& eco_key, const std::string& range_type) {
  if (eco_key == "debian" || eco_key == "ubuntu") return Scheme::debian;
  if (range_type == "SEMVER") return Scheme::semver;
  return Scheme::generic;
}

// The OSV schema's evaluation: events sorted by version ("introduced 0" first); the version is
// affected after an introduced event at or below it, until a fixed event at or below it or a
// last_affected event below it.
bool in_range(const OsvRange& r, const std::string& version, Scheme scheme) {
  std::vector<const OsvEvent*> ev;
  for (const auto& e : r.events)
    if (e.kind != "limit") ev.push_back(&e);
  auto zero = [](const OsvEvent* e) { return e->kind == "introduced" && e->version == "0"; };
  std::stable_sort(ev.begin(), ev.end(), [&](const OsvEvent* a, const OsvEvent* b) {
    if (zero(a) || zero(b)) return zero(a) && !zero(b);
    return compare_versions(scheme, a->version, b->version) < 0;
  });
  bool affected = false;
  for (const OsvEvent* e : ev) {
    if (e->kind == "introduced") {
      if (zero(e) || compare_versions(scheme, version, e->version) >= 0) affected = true;
    } else if (e->kind == "fixed") {
      if (compare_versions(scheme, version, e->version) >= 0) affected = false;
    } else if (e->kind == "last_affected") {
      if (compare_versions(scheme, version, e->version) > 0) affected = false;
    }
  }
  return affected;
}

std::string describe(const OsvRange& r) {
  std::string s;
  for (const auto& e : r.events)
    if (e.kind != "limit") s += fmt::format("{}{} {}", s.empty() ? "" : ", ", e.kind, e.version);
  return s;
}

}  // namespace

std::vector<PackageIdentity> package_identities(const Component& c) {
  std::vector<PackageIdentity> out;
  auto add = [&](PackageIdentity p) {
    if (p.eco_key.empty() || p.name.empty() || p.version.empty()) return;
    for (const auto& o : out)
      if (o.eco_key == p.eco_key && o.name == p.name && o.version == p.version) return;
    out.push_back(std::move(p));
  };
  // "debian/busybox@1:1.35.0-4", written by the package-database reader.
  for (const auto& [k, v] : c.properties) {
    if (k != "package") continue;
    std::size_t slash = v.find('/'), at = v.find('@');
    if (slash == std::string::npos || at == std::string::npos || at < slash) continue;
    std::string eco = v.substr(0, slash);
    std::size_t colon = eco.find(':');
    add({osv_ecosystem_key(eco), osv_package_key(v.substr(slash + 1, at - slash - 1)), v.substr(at + 1),
         colon == std::string::npos ? "" : eco.substr(colon + 1), "package database"});
  }
  // pkg:deb/debian/openssl@3.0.11-1?arch=amd64 (other tools' SBOMs).
  std::string_view p = c.purl;
  for (std::string_view type : {"pkg:deb/", "pkg:apk/"}) {
    if (p.rfind(type, 0) != 0) continue;
    std::string_view rest = p.substr(type.size());
    // The distro qualifier names the release: "distro=debian-12", "distro=alpine-3.18.4".
    std::string release;
    if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
      std::string_view quals = rest.substr(q + 1);
      quals = quals.substr(0, quals.find('#'));
      for (std::size_t pos = 0; pos <= quals.size();) {
        std::size_t amp = quals.find('&', pos);
        std::string_view kv = quals.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
        if (kv.rfind("distro=", 0) == 0) {
          std::string d = percent_decode(kv.substr(7));
          if (std::size_t dash = d.rfind('-'); dash != std::string::npos) release = d.substr(dash + 1);
          if (type == "pkg:apk/" && !release.empty()) {
            std::size_t dot = release.find('.');
            dot = dot == std::string::npos ? dot : release.find('.', dot + 1);
            release = "v" + release.substr(0, dot);
          }
        }
        if (amp == std::string_view::npos) break;
        pos = amp + 1;
      }
    }
    rest = rest.substr(0, rest.find_first_of("?#"));
    std::size_t slash = rest.find('/'), at = rest.find('@');
    if (slash == std::string_view::npos || at == std::string_view::npos || at < slash) continue;
    std::string name(rest.substr(slash + 1, at - slash - 1));
    if (name.find('/') != std::string::npos) continue;
    add({osv_ecosystem_key(percent_decode(rest.substr(0, slash))), osv_package_key(percent_decode(name)),
         percent_decode(rest.substr(at + 1)), release, "purl"});
  }
  return out;
}

std::optional<OsvDecision> osv_decide(const std::vector<OsvAffected>& all, const std::string& version,
                                      const std::string& release) {
  // The entries of the package's own release, when it is known and the record has them.
  std::vector<const OsvAffected*> entries;
  auto release_of = [](const std::string& eco) {
    std::size_t c = eco.find(':');
    return c == std::string::npos ? std::string() : eco.substr(c + 1);
  };
  if (!release.empty())
    for (const auto& a : all) {
      std::string r = release_of(a.ecosystem);
      // "Ubuntu:22.04:LTS" is release 22.04.
      if (r == release || r.rfind(release + ":", 0) == 0) entries.push_back(&a);
    }
  const bool by_release = !entries.empty();
  if (!by_release)
    for (const auto& a : all) entries.push_back(&a);
  std::vector<std::string> agree, disagree;
  for (const OsvAffected* ap : entries) {
    const OsvAffected& a = *ap;
    std::string eco = osv_ecosystem_key(a.ecosystem);
    bool decided = false, affected = false;
    std::string how;
    for (const auto& v : a.versions)
      if (compare_versions(scheme_for(eco, ""), v, version) == 0) {
        decided = affected = true;
        how = fmt::format("version {} listed", v);
        break;
      }
    for (const auto& r : a.ranges) {
      if (r.type != "ECOSYSTEM" && r.type != "SEMVER") continue;
      decided = true;
      if (!affected && in_range(r, version, scheme_for(eco, r.type))) {
        affected = true;
        how = describe(r);
      } else if (how.empty()) {
        how = describe(r);
      }
    }
    if (!decided) continue;
    std::string line = fmt::format("{} {}: {}", a.ecosystem, a.name, how);
    (affected ? agree : disagree).push_back(line);
  }
  if (agree.empty() && disagree.empty()) return std::nullopt;
  OsvDecision d;
  d.affected = disagree.empty();
  const auto& lines = d.affected ? agree : disagree;
  for (const auto& l : lines) d.found += (d.found.empty() ? "" : "; ") + l;
  if (!by_release && entries.size() > 1)
    d.found += release.empty() ? " (release unknown: every release listed agrees)"
                               : fmt::format(" (no entry for release {}: every release listed agrees)", release);
  return d;
}

void fill_match(VulnMatch& m, const Component& c, const StoredCve& cve, const std::map<std::string, KevInfo>& kev,
                const std::optional<EpssEntry>& epss) {
  m.component_id = c.id;
  m.component_name = c.name;
  m.component_version = c.version;
  m.component_ref = component_ref(c);
  m.component_purl = c.purl;
  m.component_cpe = c.cpe;
  m.cve = cve.id;
  m.description = cve.description;
  m.published = cve.published;
  m.modified = cve.modified;
  m.severity = cve.severity;
  m.cvss3_vector = cve.cvss3_vector;
  m.cvss3_version = cve.cvss3_version;
  m.cvss3_score = cve.cvss3_score;
  m.cvss2_vector = cve.cvss2_vector;
  m.cvss2_score = cve.cvss2_score;
  m.cwes = split_list(cve.cwes);
  if (auto k = kev.find(cve.id); k != kev.end()) {
    m.kev = true;
    m.kev_date_added = k->second.date_added;
    m.kev_due_date = k->second.due_date;
    m.kev_ransomware = k->second.ransomware;
  }
  if (epss) {
    m.epss = epss->score;
    m.epss_percentile = epss->percentile;
  }
}

void match_osv(VulnDb& db, const std::vector<Component>& components, const std::map<std::string, KevInfo>& kev,
               std::vector<VulnMatch>& out, MatchStats& stats) {
  // (component ref, CVE) -> index; made when the first OSV record applies (most SBOMs have no
  // distribution packages, and a kernel has 1,600 matches to index).
  std::map<std::pair<std::string, std::string>, std::size_t> existing;
  bool indexed = false;
  for (const auto& c : components) {
    for (const auto& pid : package_identities(c)) {
      auto rows = db.osv_for_package(pid.eco_key, pid.name);
      // Rows come ordered by CVE, then OSV id: one decision per (CVE, record).
      for (std::size_t i = 0; i < rows.size();) {
        std::size_t j = i;
        std::vector<OsvAffected> entries;
        while (j < rows.size() && rows[j].cve_id == rows[i].cve_id && rows[j].osv_id == rows[i].osv_id) {
          if (auto a = unpack_osv_affected(rows[j].data)) entries.push_back(std::move(*a));
          ++j;
        }
        const OsvRow& row = rows[i];
        i = j;
        ++stats.candidates;
        auto d = osv_decide(entries, pid.version, pid.release);
        if (!d || !d->affected) continue;
        if (!indexed) {
          for (std::size_t k = 0; k < out.size(); ++k) existing.emplace(std::make_pair(out[k].component_ref, out[k].cve), k);
          indexed = true;
        }
        std::string ref = component_ref(c);
        std::string why = fmt::format("OSV {}: {} {} is affected ({})", row.osv_id, pid.name, pid.version, d->found);
        if (auto e = existing.find({ref, row.cve_id}); e != existing.end()) {
          VulnMatch& m = out[e->second];
          if (m.reason.find(row.osv_id) == std::string::npos) m.reason += "; " + why;
          continue;
        }
        auto cve = db.cve_by_id(row.cve_id);
        if (!cve) continue;
        VulnMatch m;
        fill_match(m, c, *cve, kev, std::nullopt);  // EPSS: joined by the caller
        m.matcher = "osv";
        m.confidence = "high";
        m.searched = fmt::format("{} package {} {} ({})", pid.eco_key, pid.name, pid.version, pid.from);
        m.found = fmt::format("OSV {}: {}", row.osv_id, d->found);
        m.reason = fmt::format("{} {} is in the affected range of {} ({})", pid.name, pid.version, row.osv_id, d->found);
        existing.emplace(std::make_pair(ref, row.cve_id), out.size());
        out.push_back(std::move(m));
        ++stats.matched;
      }
    }
  }
}

}  // namespace iotaudit::match
