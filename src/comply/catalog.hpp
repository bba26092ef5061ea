#pragma once
// Standards catalogs are data (data/standards/*.json). Loading validates them: an unknown check id
// or a malformed provision is an error, so a catalog can never silently map to nothing.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/finding.hpp"
#include "model/verdict.hpp"

namespace iotaudit::comply {

struct Provision {
  std::string id, principle, level, condition, summary, applies_when;
  std::vector<std::string> checks;      // their findings break the provision
  // Checks whose findings point to a gap without deciding the provision: it is about a process or
  // a property the firmware only partly shows (5.6-9, secure development: missing exploit
  // mitigations are a visible result, not proof of the process). Their findings make the verdict
  // inconclusive, listed as its evidence; without findings the provision still needs documents.
  std::vector<std::string> indicators;
};

struct Catalog {
  std::string id, title, version;
  std::map<std::string, std::string> conditions;
  std::vector<Provision> provisions;
};

// `known_check` answers whether a check id exists.
Result<Catalog> parse_catalog(std::string_view json_text,
                              const std::function<bool(std::string_view)>& known_check);
// Every catalog embedded from data/standards/.
Result<std::vector<Catalog>> load_builtin_catalogs();

// check id -> provisions it informs, across catalogs.
std::map<std::string, std::vector<ProvisionRef>> provisions_by_check(const std::vector<Catalog>& cats);

// A provision fails only with a finding behind it, and passes only when every check that informs
// it ran over at least one subject; otherwise it is inconclusive.
std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const std::vector<Finding>& findings,
                              const std::vector<CheckRun>& runs);

}  // namespace iotaudit::comply
