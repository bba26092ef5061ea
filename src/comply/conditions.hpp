#pragma once
// Conditions of conditional provisions that the firmware itself can decide ("passwords are used",
// "an update mechanism is implemented"). A catalog binds a condition to one of these facts; each
// fact holds, does not hold, or is unknown, with the observation behind it. A fact is only "does
// not hold" on positive evidence of absence (a root filesystem was read and shows none of it),
// so a provision is never not_applicable merely because nothing was looked at.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/facts.hpp"
#include "model/finding.hpp"

namespace iotaudit::comply {

enum class Holds { unknown, yes, no };
const char* to_string(Holds h);

struct ConditionFact {
  Holds holds = Holds::unknown;
  std::string because;  // one line: what the firmware shows
};

using ConditionFacts = std::map<std::string, ConditionFact>;

// The fact names a catalog may bind a condition to.
const std::vector<std::string_view>& condition_fact_names();
bool known_condition_fact(std::string_view name);  // accepts a leading '!'

ConditionFacts decide_condition_facts(const Facts& facts, const std::vector<Finding>& findings,
                                      const std::vector<CheckRun>& runs);

// The value of a binding ("fact" or "!fact") in `facts`: unknown when the fact is absent.
ConditionFact lookup(const ConditionFacts& facts, std::string_view binding);

}  // namespace iotaudit::comply
