// Linux kernel versions: 2.6.36.4, 3.10.108, 4.14.180, 5.4-rc3, 6.1.0; a leading 'v' is ignored.
// "-rcN" is a pre-release of its version (5.4-rc3 < 5.4 == 5.4.0 < 5.4.1); anything else after
// '-' or '+' is a local version and ignored (4.14.180-openwrt == 4.14.180, 3.10.14+ == 3.10.14).
// Strings without a leading number sort before every version, among themselves generically.

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

struct Parsed {
  bool valid = false;
  DottedNumbers numbers;
  bool rc = false;
  std::string_view rc_number;
};

Parsed parse(std::string_view s) {
  Parsed p;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (s.empty() || !is_digit(s[0])) return p;
  std::size_t i = read_dotted(s, p.numbers);
  if (i < s.size() && s[i] == '-' && i + 3 <= s.size() && lower(s[i + 1]) == 'r' && lower(s[i + 2]) == 'c') {
    std::size_t k = i + 3;
    while (k < s.size() && is_digit(s[k])) ++k;
    if (k > i + 3) {
      p.rc = true;
      p.rc_number = s.substr(i + 3, k - i - 3);
    }
  }
  p.valid = true;
  return p;
}

}  // namespace

int compare_kernel(std::string_view a, std::string_view b) {
  Parsed x = parse(a), y = parse(b);
  if (!x.valid || !y.valid) {
    if (x.valid != y.valid) return x.valid ? 1 : -1;
    return compare_generic(a, b);
  }
  if (int c = compare_dotted(x.numbers, y.numbers); c != 0) return c;
  if (x.rc != y.rc) return x.rc ? -1 : 1;
  return x.rc ? compare_digits(x.rc_number, y.rc_number) : 0;
}

}  // namespace iotaudit::match::detail
