#pragma once
// Matching identified components against the vulnerability database.
//
// A CVE is a candidate for a component when one of its configurations names one of the
// component's CPE vendor:product pairs as vulnerable. The configuration is then evaluated as a
// whole (AND/OR nodes, negation) in three-valued logic over every component of the image: a
// vulnerable entry holds when a component's version is in its range; a platform entry ("running
// on", vulnerable=false) holds when an identified component satisfies it, is false when the
// component is present at another version, and is unknown otherwise (hardware, distributions).
// A component is reported only when a configuration holds or is unknown *and* the component
// itself satisfies one of its vulnerable entries, so a product that appears only as a platform
// is never reported. Linux kernel CVEs are decided by the upstream fix ranges where they exist.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "match/db.hpp"
#include "match/version/scheme.hpp"
#include "model/component.hpp"
#include "model/vuln.hpp"

namespace iotaudit::match {

struct ProductRule {
  std::string component;                                  // classifier id
  Scheme scheme = Scheme::generic;
  std::vector<std::pair<std::string, std::string>> cpes;  // vendor, product
};

struct MatchData {
  std::map<std::string, ProductRule> products;              // by component id
  std::map<std::string, std::vector<std::string>> busybox_words;  // description word -> applets
  // data/vulndb/products.json, compiled in.
  static Result<MatchData> builtin();
  static Result<MatchData> parse(std::string_view json);
};

struct MatchStats {
  std::size_t components = 0, without_version = 0, candidates = 0, matched = 0, ruled_out = 0;
};

class Matcher {
 public:
  Matcher(VulnDb& db, const MatchData& data) : db_(db), data_(data) {}
  // Every match for every component; ruled-out candidates with a reason are kept as not_affected.
  std::vector<VulnMatch> match(const std::vector<Component>& components, MatchStats* stats = nullptr);

 private:
  VulnDb& db_;
  const MatchData& data_;
};

// The key under which reports and SBOMs refer to a component: "busybox@1.30.1".
std::string component_ref(const Component& c);

// The version the matcher compares: Debian package versions lose their epoch and revision.
std::string comparable_version(const Component& c);

}  // namespace iotaudit::match
