#pragma once
// Version comparison schemes, one file each. Every comparison is total and consistent for any
// byte string (fuzzed), so hostile version strings from firmware cannot break sorting or ranges.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace iotaudit::match {

enum class Scheme { generic, openssl, kernel, debian, semver };

// "generic", "openssl", "kernel", "debian", "semver"; nullopt for an unknown name.
std::optional<Scheme> scheme_from_name(std::string_view name);
std::string_view to_string(Scheme s);

// Three-way comparison under a scheme: <0, 0, >0.
int compare_versions(Scheme s, std::string_view a, std::string_view b);

// A cheap necessary condition for compare_versions(s, a, b) == 0: false only for versions that
// cannot be equal. Matching tests it before comparing a subject with each exact version of a
// configuration (a kernel CVE lists up to 700, most of them 2.6.x when the subject is 2.6.36).
bool may_equal(Scheme s, std::string_view a, std::string_view b);

// may_equal(s, subject, other) for one subject and many others, the subject's numbers read once.
class EqualityFilter {
 public:
  EqualityFilter() = default;
  EqualityFilter(Scheme s, std::string_view subject);
  bool may_equal(std::string_view other) const;

 private:
  bool all_ = true;  // everything may be equal (Debian versions, or no leading number)
  int count_ = 0;    // leading numbers of the subject that are compared
  std::array<std::uint64_t, 4> numbers_{};
};

// True when the string looks like a version under the scheme (rejects "*", "-", "").
bool plausible_version(Scheme s, std::string_view v);

}  // namespace iotaudit::match
