#pragma once
// Standards catalogs are data (data/standards/*.json). Loading validates them: an unknown check id
// or a malformed provision is an error, so a catalog can never silently map to nothing.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/finding.hpp"
#include "comply/declaration.hpp"
#include "comply/conditions.hpp"
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
  // Requirements of other catalogs this one is derived from ("etsi-en-303-645:5.1-1"): a provision
  // without checks of its own takes the verdict of what it maps to (any fail fails; all pass or
  // not applicable passes; otherwise inconclusive or needs_evidence).
  std::vector<std::string> maps_to;
  // Every condition of a conditional provision (`condition` is the first); the provision is not
  // applicable when any of them does not hold (EN 303 645 V3: "C F (14, e)").
  std::vector<std::string> conditions;
  // Ids of the same requirement in the catalog's previous version (Catalog::previous): the
  // renumbering between versions (V3.1.3 5.0-1 was V2.1.1 4-1; 5.3-4A and 5.3-4B split 5.3-4).
  // Empty for a requirement new in this version.
  std::vector<std::string> renumbered_from;
};


struct Catalog {
  std::string id, title, version;
  // "partial": its maps_to links are by subject and cover a requirement only in part, so a
  // mapped failure fails it but mapped passes make it inconclusive, never pass.
  bool partial_mapping = false;
  std::map<std::string, std::string> conditions;
  std::map<std::string, std::string> condition_facts;  // condition key -> fact ("!fact" negated)
  std::vector<Provision> provisions;
  // The catalog id of the previous version whose ids `renumbered_from` names, and the ids that
  // version had which this one voids.
  std::string previous;
  std::vector<std::string> voided;
  std::string note;
  std::string owner;  // the body that publishes the standard
};

// `known_check` answers whether a check id exists.
Result<Catalog> parse_catalog(std::string_view json_text,
                              const std::function<bool(std::string_view)>& known_check);
// Every catalog embedded from data/standards/.
Result<std::vector<Catalog>> load_builtin_catalogs();

// check id -> provisions it informs, across catalogs (a catalog that renumbers a previous version
// is left out: its provisions follow from the previous version's through renumbered_from).
std::map<std::string, std::vector<ProvisionRef>> provisions_by_check(const std::vector<Catalog>& cats);

// A provision fails only with a finding behind it, and passes only when every check that informs
// it ran over at least one subject; otherwise it is inconclusive.
// With a declaration: conditions declared false make their provisions not_applicable; a declared
// answer decides a provision the firmware cannot (needs_evidence or inconclusive become pass,
// marked declared); a declared answer to a provision the firmware fails is a contradiction.
// `today` (YYYY-MM-DD) dates the declared support period.
std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const std::vector<Finding>& findings,
                              const std::vector<CheckRun>& runs, const Declaration* declaration = nullptr,
                              std::string_view today = {}, std::vector<std::string>* contradictions = nullptr);
struct EvaluationInput {
  const std::vector<Finding>* findings = nullptr;
  const std::vector<CheckRun>* runs = nullptr;
  const Declaration* declaration = nullptr;
  std::string_view today;                         // YYYY-MM-DD
  const ConditionFacts* condition_facts = nullptr;  // what the firmware shows about conditions
  std::vector<std::string>* contradictions = nullptr;
};
// As above; conditions the firmware shows not to hold make their provisions not_applicable (with
// the fact as the reason), and a condition declared false that the firmware shows to hold is a
// contradiction. A provision with both checks and maps_to takes the worse of the two verdicts.
std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const EvaluationInput& in);

// Every "catalog-id:provision" a catalog maps to must exist, and so must every id a provision is
// renumbered from in the catalog's previous version.
Status check_mappings(const std::vector<Catalog>& cats);

}  // namespace iotaudit::comply
