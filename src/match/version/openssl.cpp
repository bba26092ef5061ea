// OpenSSL versions: 0.9.8zh, 1.0.1u, 1.0.2k, 1.1.1w, 3.0.13, 3.2.0-alpha1, 1.0.2k-fips.
// Dotted numbers, then a letter suffix on the last number ("" < a < ... < z < za < zb ...,
// i.e. by length, then alphabetically), then an optional tag after '-': alpha < beta < pre <
// release; other tags ("fips", "dev" builds of a release, vendor tags) do not change the order.
// Strings that do not start with a digit sort before every version, among themselves generically.

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

struct Parsed {
  bool valid = false;
  DottedNumbers numbers;
  std::string_view letters;
  int tag_rank = 3;  // 0 alpha, 1 beta, 2 pre, 3 release
  std::string_view tag_number;
};

Parsed parse(std::string_view s) {
  Parsed p;
  if (s.empty() || !is_digit(s[0])) return p;
  std::size_t i = read_dotted(s, p.numbers);
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
  if (int c = compare_dotted(x.numbers, y.numbers); c != 0) return c;
  if (x.letters.size() != y.letters.size()) return x.letters.size() < y.letters.size() ? -1 : 1;
  if (int c = x.letters.compare(y.letters); c != 0) return sign(c);
  if (x.tag_rank != y.tag_rank) return x.tag_rank < y.tag_rank ? -1 : 1;
  return compare_digits(x.tag_number, y.tag_number);
}

}  // namespace iotaudit::match::detail
