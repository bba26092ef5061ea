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
namespace {

// Reads the number at s[i] (i past it); false when there is none, or when it has more than 18
// significant digits (too long to compare here: left to the scheme).
bool read_number(std::string_view s, std::size_t& i, std::uint64_t& value) {
  const std::size_t start = i;
  while (i < s.size() && s[i] == '0') ++i;
  const std::size_t significant = i;
  value = 0;
  while (i < s.size() && detail::is_digit(s[i])) value = value * 10 + static_cast<unsigned>(s[i++] - '0');
  return i > start && i - significant <= 18;
}

// Past the dot to the next number, when a dot and a digit follow.
bool next_number(std::string_view s, std::size_t& i) {
  if (i + 1 >= s.size() || s[i] != '.' || !detail::is_digit(s[i + 1])) return false;
  ++i;
  return true;
}

std::size_t after_v(std::string_view s) { return !s.empty() && (s[0] == 'v' || s[0] == 'V') ? 1 : 0; }

}  // namespace

EqualityFilter::EqualityFilter(Scheme s, std::string_view subject) {
  if (s == Scheme::debian) return;
  std::size_t i = after_v(subject);
  while (count_ < 4) {
    std::uint64_t v;
    if (!read_number(subject, i, v)) break;
    numbers_[count_++] = v;
    if (!next_number(subject, i)) break;
  }
  all_ = count_ == 0;
}

bool EqualityFilter::may_equal(std::string_view other) const {
  if (all_) return true;
  std::size_t i = after_v(other);
  for (int k = 0; k < count_; ++k) {
    std::uint64_t v;
    if (!read_number(other, i, v)) return true;  // not a number here: let the scheme decide
    if (v != numbers_[k]) return false;
    if (!next_number(other, i)) return true;
  }
  return true;
}

bool may_equal(Scheme scheme, std::string_view a, std::string_view b) { return EqualityFilter(scheme, a).may_equal(b); }

}  // namespace iotaudit::match
