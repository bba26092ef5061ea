#pragma once
// OSV records (the Open Source Vulnerability format of osv.dev, schema 1.x): one record per file
// as osv.dev distributes them, or a JSON array of records. Affected packages keep their ecosystem,
// name, purl, ranges (ECOSYSTEM, SEMVER and GIT, with their events) and explicit version lists;
// CVSS vectors, CWE ids (database_specific.cwe_ids), aliases, upstream ids (the CVE a
// distribution advisory such as DEBIAN-CVE-2022-28391 is about) and the withdrawn date are kept.
#include <functional>
#include <string_view>

#include "core/result.hpp"
#include "match/cve_record.hpp"

namespace iotaudit::match {

// Limits on one record: more affected entries, ranges, events or versions than these make the
// file malformed rather than a memory sink.
struct OsvLimits {
  std::size_t max_affected = 4096, max_ranges = 256, max_events = 4096, max_versions = 65536;
};

// Returns how many records were passed to sink; an error names the record and what is wrong.
Result<std::size_t> parse_osv_json(std::string_view json, const std::function<void(OsvRecord&&)>& sink,
                                   const OsvLimits& limits = {});

// The CVE ids among a record's id, aliases and upstream records, in order, without duplicates.
std::vector<std::string> osv_cve_ids(const OsvRecord& r);

// Ecosystem and package names as the database indexes them: the ecosystem without its release
// suffix, in lower case ("Debian:12" -> "debian", "Alpine:v3.18" -> "alpine"); the package name
// in lower case.
std::string osv_ecosystem_key(std::string_view ecosystem);
std::string osv_package_key(std::string_view name);

// One affected entry <-> the compact JSON the database keeps (ranges and versions only).
std::string pack_osv_affected(const OsvAffected& a);
Result<OsvAffected> unpack_osv_affected(std::string_view packed);

}  // namespace iotaudit::match
