// Semantic Versioning 2.0.0 precedence: MAJOR.MINOR.PATCH, pre-release identifiers (numeric by
// value, numeric before alphanumeric, fewer before more), build metadata ignored; a leading 'v'
// is accepted. Strings that are not semver sort before every semver version, among themselves
// generically.
#include <vector>

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

struct Parsed {
  bool valid = false;
  std::string_view major, minor, patch;
  std::vector<std::string_view> pre;
};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

Parsed parse(std::string_view s) {
  Parsed p;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (std::size_t plus = s.find('+'); plus != std::string_view::npos) s = s.substr(0, plus);
  std::string_view core = s, pre;
  if (std::size_t dash = s.find('-'); dash != std::string_view::npos) {
    core = s.substr(0, dash);
    pre = s.substr(dash + 1);
    if (pre.empty()) return p;
  }
  std::string_view parts[3];
  std::size_t k = 0, start = 0;
  for (std::size_t i = 0; i <= core.size(); ++i) {
    if (i == core.size() || core[i] == '.') {
      if (k >= 3) return p;
      parts[k++] = core.substr(start, i - start);
      start = i + 1;
    }
  }
  if (k != 3 || !all_digits(parts[0]) || !all_digits(parts[1]) || !all_digits(parts[2])) return p;
  p.major = parts[0];
  p.minor = parts[1];
  p.patch = parts[2];
  if (!pre.empty()) {
    start = 0;
    for (std::size_t i = 0; i <= pre.size(); ++i) {
      if (i == pre.size() || pre[i] == '.') {
        std::string_view id = pre.substr(start, i - start);
        if (id.empty()) return p;
        for (char c : id)
          if (!is_digit(c) && !is_alpha(c) && c != '-') return p;
        p.pre.push_back(id);
        start = i + 1;
      }
    }
  }
  p.valid = true;
  return p;
}

}  // namespace

int compare_semver(std::string_view a, std::string_view b) {
  Parsed x = parse(a), y = parse(b);
  if (!x.valid || !y.valid) {
    if (x.valid != y.valid) return x.valid ? 1 : -1;
    return compare_generic(a, b);
  }
  if (int c = compare_digits(x.major, y.major); c != 0) return c;
  if (int c = compare_digits(x.minor, y.minor); c != 0) return c;
  if (int c = compare_digits(x.patch, y.patch); c != 0) return c;
  if (x.pre.empty() != y.pre.empty()) return x.pre.empty() ? 1 : -1;
  std::size_t n = x.pre.size() < y.pre.size() ? x.pre.size() : y.pre.size();
  for (std::size_t i = 0; i < n; ++i) {
    bool dx = all_digits(x.pre[i]), dy = all_digits(y.pre[i]);
    if (dx != dy) return dx ? -1 : 1;
    int c = dx ? compare_digits(x.pre[i], y.pre[i]) : sign(x.pre[i].compare(y.pre[i]));
    if (c != 0) return c;
  }
  if (x.pre.size() != y.pre.size()) return x.pre.size() < y.pre.size() ? -1 : 1;
  return 0;
}

}  // namespace iotaudit::match::detail
