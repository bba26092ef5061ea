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

// The dotted numbers at the start, by value (leading zeros and a "v" aside), up to four, as far as
// both have them. Debian versions (epochs) are always compared in full.
bool may_equal(Scheme scheme, std::string_view a, std::string_view b) {
  if (scheme == Scheme::debian) return true;
  auto skip_v = [](std::string_view& v) {
    if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  };
  skip_v(a);
  skip_v(b);
  std::size_t i = 0, j = 0;
  for (int k = 0; k < 4; ++k) {
    // The next number of each, without its leading zeros.
    const std::size_t si = i, sj = j;
    while (i < a.size() && detail::is_digit(a[i])) ++i;
    while (j < b.size() && detail::is_digit(b[j])) ++j;
    if (i == si || j == sj) return true;  // not a number here: let the scheme decide
    std::string_view x = a.substr(si, i - si), y = b.substr(sj, j - sj);
    while (x.size() > 1 && x[0] == '0') x.remove_prefix(1);
    while (y.size() > 1 && y[0] == '0') y.remove_prefix(1);
    if (x != y) return false;
    // On to the next number only where both go on with a dot and a digit.
    if (i + 1 >= a.size() || a[i] != '.' || !detail::is_digit(a[i + 1])) return true;
    if (j + 1 >= b.size() || b[j] != '.' || !detail::is_digit(b[j + 1])) return true;
    ++i;
    ++j;
  }
  return true;
}

}  // namespace iotaudit::match
