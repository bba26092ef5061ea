// Linux kernel versions: 2.6.36.4, 3.10.108, 4.14.180, 5.4-rc3, 6.1.0; a leading 'v' is ignored.
// "-rcN" is a pre-release of its version (5.4-rc3 < 5.4 == 5.4.0 < 5.4.1); anything else after
// '-' or '+' is a local version and ignored (4.14.180-openwrt == 4.14.180, 3.10.14+ == 3.10.14).
// Strings without a leading number sort before every version, among themselves generically.

#include <optional>

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

// The dotted numbers at the start of a version, one at a time, as read_dotted() reads them.
struct DottedScan {
  std::string_view s;
  std::size_t i = 0;
  bool more;
  explicit DottedScan(std::string_view v) : s(v), more(!v.empty() && is_digit(v[0])) {}
  std::string_view next() {
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    std::string_view number = s.substr(i, j - i);
    i = j;
    if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) ++i;
    else more = false;
    return number;
  }
};

// The number of "-rcN" right after the dotted numbers at s[i], or nullopt.
std::optional<std::string_view> rc_after(std::string_view s, std::size_t i) {
  if (i < s.size() && s[i] == '-' && i + 3 <= s.size() && lower(s[i + 1]) == 'r' && lower(s[i + 2]) == 'c') {
    std::size_t k = i + 3;
    while (k < s.size() && is_digit(s[k])) ++k;
    if (k > i + 3) return s.substr(i + 3, k - i - 3);
  }
  return std::nullopt;
}

}  // namespace

// Matching compares the subject's version with thousands of range ends, so the numbers are compared
// as they are read, without collecting them first: the same order as comparing the first 16
// numbers of each (missing ones are 0), then the release candidates.
int compare_kernel(std::string_view a, std::string_view b) {
  std::string_view x = a, y = b;
  if (!x.empty() && (x[0] == 'v' || x[0] == 'V')) x.remove_prefix(1);
  if (!y.empty() && (y[0] == 'v' || y[0] == 'V')) y.remove_prefix(1);
  DottedScan p(x), q(y);
  if (!p.more || !q.more) {
    if (p.more != q.more) return p.more ? 1 : -1;
    return compare_generic(a, b);
  }
  constexpr std::size_t kCounted = std::tuple_size_v<decltype(DottedNumbers::numbers)>;  // 16
  for (std::size_t k = 0; k < kCounted && (p.more || q.more); ++k) {
    std::string_view m = p.more ? p.next() : std::string_view("0");
    std::string_view n = q.more ? q.next() : std::string_view("0");
    if (int c = compare_digits(m, n); c != 0) return c;
  }
  while (p.more) p.next();  // numbers beyond the 16th do not count
  while (q.more) q.next();
  auto rx = rc_after(x, p.i), ry = rc_after(y, q.i);
  if (rx.has_value() != ry.has_value()) return rx ? -1 : 1;
  return rx ? compare_digits(*rx, *ry) : 0;
}

}  // namespace iotaudit::match::detail
