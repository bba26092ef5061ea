#pragma once
// End-of-life and age of identified components, from data/vulndb/lifecycle.json.
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/component.hpp"
#include "model/vuln.hpp"

namespace iotaudit::match {

struct LifecycleSeries {
  std::string series, released, eol, note;
};

struct LifecycleProduct {
  std::string component, source, release_from_version;
  bool older_unlisted_eol = false;
  std::vector<LifecycleSeries> series;
};

struct LifecycleData {
  std::vector<LifecycleProduct> products;
  static Result<LifecycleData> builtin();
  static Result<LifecycleData> parse(std::string_view json);
};

struct LifecycleOptions {
  std::string today;        // "YYYY-MM-DD"; empty: the system clock
  double max_age_years = 5;  // older releases are "outdated"; 0 disables the age test
};

std::vector<LifecycleNote> evaluate_lifecycle(const std::vector<Component>& components, const LifecycleData& data,
                                              const LifecycleOptions& opt);

}  // namespace iotaudit::match
