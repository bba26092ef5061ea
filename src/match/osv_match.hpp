#pragma once
// Matching against OSV records: distribution packages (dpkg, apk and opkg databases in the image,
// or pkg:deb / pkg:apk PURLs in a stored SBOM) against the affected packages of OSV records of
// their ecosystem, with the ecosystem's own version order (Debian versions for Debian and Ubuntu).
// ECOSYSTEM and SEMVER ranges and explicit version lists are evaluated as the OSV schema defines
// them; GIT ranges name commits, not versions, and decide nothing.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "match/cve_record.hpp"
#include "match/db.hpp"
#include "match/matcher.hpp"
#include "model/component.hpp"
#include "model/vuln.hpp"

namespace iotaudit::match {

// A component as a distribution package: ecosystem key ("debian"), package name (the source
// package where the database names one) and the full package version ("1:1.35.0-4+deb12u1").
struct PackageIdentity {
  std::string eco_key, name, version;
  std::string release;  // "12", "v3.18", "22.04"; empty when unknown
  std::string from;  // "package database" or "purl"
};
std::vector<PackageIdentity> package_identities(const Component& c);

// Whether `version` is affected according to the affected entries of one record for one package.
// Distribution records have one entry per release ("Debian:11", "Debian:12"): with the package's
// release known, the entries of that release decide; otherwise every entry must agree that it is
// affected. nullopt: nothing decidable (only GIT ranges).
struct OsvDecision {
  bool affected = false;
  std::string found;   // "Debian:12 busybox: introduced 0, fixed 1:1.35.0-5"
  std::string reason;  // one line a reviewer can check
};
std::optional<OsvDecision> osv_decide(const std::vector<OsvAffected>& entries, const std::string& version,
                                      const std::string& release = "");

// Adds a match for each OSV record that affects a component's package; a CVE already matched for
// the component by its CPE names gets the record as corroboration instead of a second match.
void match_osv(VulnDb& db, const std::vector<Component>& components, const std::map<std::string, KevInfo>& kev,
               std::vector<VulnMatch>& out, MatchStats& stats);

// The record fields every match carries (component, CVE details, KEV, EPSS).
void fill_match(VulnMatch& m, const Component& c, const StoredCve& cve, const std::map<std::string, KevInfo>& kev,
                const std::optional<EpssEntry>& epss);

}  // namespace iotaudit::match
