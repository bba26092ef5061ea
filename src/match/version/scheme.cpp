#include "match/version/scheme.hpp"

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match {

std::optional<Scheme> scheme_from_name(std::string_view name) {
  for (Scheme s : {Scheme::generic, Scheme::openssl, Scheme::kernel, Scheme::debian, Scheme::semver})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::string_view to_string(Scheme s) {
  switch (s) {
    case Scheme::generic: return "generic";
    case Scheme::openssl: return "openssl";
    case Scheme::kernel: return "kernel";
    case Scheme::debian: return "debian";
    case Scheme::semver: return "semver";
  }
  return "generic";
}

int compare_versions(Scheme s, std::string_view a, std::string_view b) {
  switch (s) {
    case Scheme::generic: return detail::compare_generic(a, b);
    case Scheme::openssl: return detail::compare_openssl(a, b);
    case Scheme::kernel: return detail::compare_kernel(a, b);
    case Scheme::debian: return detail::compare_debian(a, b);
    case Scheme::semver: return detail::compare_semver(a, b);
  }
  return detail::compare_generic(a, b);
}

bool plausible_version(Scheme s, std::string_view v) {
  if ((s == Scheme::kernel || s == Scheme::semver) && !v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  return !v.empty() && v.size() <= 128 && detail::is_digit(v[0]);
}

}  // namespace iotaudit::match
