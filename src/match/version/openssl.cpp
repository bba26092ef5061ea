// OpenSSL versions: 0.9.8zh, 1.0.1u, 1.0.2k, 1.1.1w, 3.0.13, 3.2.0-alpha1, 1.0.2k-fips.
// Dotted numbers, then a letter suffix on the last number ("" < a < ... < z < za < zb ...,
// i.e. by length, then alphabetically), then an optional tag after '-': alpha < beta < pre <
// release; other tags ("fips", "dev" builds of a release, vendor tags) do not change the order.
// Strings that do not start with a digit sort before every version, among themselves generically.
#include <array>

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

struct Parsed {
  bool valid = false;
  // Up to 16 numbers are compared; longer (hostile) strings compare equal beyond them, which
  // keeps the order consistent without allocating on the matcher's hot path.
  std::array<std::string_view, 16> numbers{};
  std::size_t count = 0;
  std::string_view letters;
  int tag_rank = 3;  // 0 alpha, 1 beta, 2 pre, 3 release
  std::string_view tag_number;
};

Parsed parse(std::string_view s) {
  Parsed p;
  if (s.empty() || !is_digit(s[0])) return p;
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j == i) break;
    if (p.count < p.numbers.size()) p.numbers[p.count++] = s.substr(i, j - i);
    i = j;
    if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
      ++i;
      continue;
    }
    break;
  }
  std::size_t l = i;
  while (l < s.size() && s[l] >= 'a' && s[l] <= 'z') ++l;
  p.letters = s.substr(i, l - i);
  i = l;
  if (i < s.size() && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '~')) {
    std::string_view tag = s.substr(i + 1);
    static const struct { std::string_view w; int rank; } tags[] = {{"alpha", 0}, {"beta", 1}, {"pre", 2}};
    for (const auto& [w, rank] : tags)
      if (tag.size() >= w.size() && compare_nocase(tag.substr(0, w.size()), w) == 0) {
        std::string_view rest = tag.substr(w.size());
        std::size_t k = 0;
        while (k < rest.size() && is_digit(rest[k])) ++k;
        p.tag_rank = rank;
        p.tag_number = rest.substr(0, k);
        break;
      }
  }
  // Trailing zero numbers are equal to missing ones (3.0 == 3.0.0).
  while (p.count > 1 && compare_digits(p.numbers[p.count - 1], "0") == 0) --p.count;
  p.valid = true;
  return p;
}

}  // namespace

int compare_openssl(std::string_view a, std::string_view b) {
  Parsed x = parse(a), y = parse(b);
  if (!x.valid || !y.valid) {
    if (x.valid != y.valid) return x.valid ? 1 : -1;
    return compare_generic(a, b);
  }
  std::size_t n = x.count > y.count ? x.count : y.count;
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view p = i < x.count ? x.numbers[i] : "0";
    std::string_view q = i < y.count ? y.numbers[i] : "0";
    if (int c = compare_digits(p, q); c != 0) return c;
  }
  if (x.letters.size() != y.letters.size()) return x.letters.size() < y.letters.size() ? -1 : 1;
  if (int c = x.letters.compare(y.letters); c != 0) return sign(c);
  if (x.tag_rank != y.tag_rank) return x.tag_rank < y.tag_rank ? -1 : 1;
  return compare_digits(x.tag_number, y.tag_number);
}

}  // namespace iotaudit::match::detail
