// Dotted versions with letter suffixes and pre-release words: BusyBox 1.36.1, dropbear 2019.78,
// dnsmasq 2.80 and 2.80test3, U-Boot 2020.10-rc2, OpenSSH 8.9p1.
//
// The string splits at every non-alphanumeric byte into components. A component is a number with
// an optional suffix ("2", "9p1", "2rc1") or a word ("rc2", "beta", "openwrt"). Missing trailing
// components count as "0", so 1.2 == 1.2.0. Components order as:
//   pre-release word ("rc2", "beta1") < number with a pre-release suffix ("0rc1") < number <
//   number with another suffix ("2a", "9p1") < other word ("openwrt"),
// numbers by value first. Pre-release words: dev < alpha < beta < pre = test < rc.

#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

struct Component {
  int cls = 1;                 // 0 pre-release word, 1 number, 2 other word
  std::string_view number;     // digits (class 1)
  int suffix = 1;              // class 1: 0 pre-release suffix, 1 none, 2 other
  int pre_rank = 0;            // pre-release word rank
  std::string_view pre_number; // digits after the pre-release word
  std::string_view text;       // the suffix or word, for class 2 / other suffixes
};

// Rank of a pre-release word at the start of s, with its length; -1 when none.
int pre_word(std::string_view s, std::size_t& len) {
  static const struct { std::string_view w; int rank; } words[] = {
      {"alpha", 1}, {"beta", 2}, {"pre", 3}, {"test", 3}, {"dev", 0}, {"rc", 4}};
  for (const auto& [w, rank] : words) {
    if (s.size() < w.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < w.size(); ++i) eq = eq && lower(s[i]) == w[i];
    if (!eq) continue;
    // The word must be followed by digits or nothing ("rc2", "beta"), not more letters ("presto").
    std::size_t k = w.size();
    while (k < s.size() && is_digit(s[k])) ++k;
    if (k != s.size()) continue;
    len = w.size();
    return rank;
  }
  return -1;
}

Component parse_component(std::string_view part) {
  Component c;
  std::size_t d = 0;
  while (d < part.size() && is_digit(part[d])) ++d;
  std::size_t len = 0;
  if (d > 0) {
    c.cls = 1;
    c.number = part.substr(0, d);
    std::string_view rest = part.substr(d);
    if (rest.empty()) {
      c.suffix = 1;
    } else if (int r = pre_word(rest, len); r >= 0) {
      c.suffix = 0;
      c.pre_rank = r;
      c.pre_number = rest.substr(len);
    } else {
      c.suffix = 2;
      c.text = rest;
    }
    return c;
  }
  if (int r = pre_word(part, len); r >= 0) {
    c.cls = 0;
    c.pre_rank = r;
    c.pre_number = part.substr(len);
    return c;
  }
  c.cls = 2;
  c.text = part;
  return c;
}

// The next component at or after `pos`; false at the end of the string.
bool next_component(std::string_view s, std::size_t& pos, Component& out) {
  while (pos < s.size() && !is_digit(s[pos]) && !is_alpha(s[pos])) ++pos;
  if (pos >= s.size()) return false;
  std::size_t j = pos;
  // A component is a digit run with the letters and digits glued to it, or a word with its digits.
  while (j < s.size() && (is_digit(s[j]) || is_alpha(s[j]))) ++j;
  out = parse_component(s.substr(pos, j - pos));
  pos = j;
  return true;
}

int compare_component(const Component& a, const Component& b) {
  if (a.cls != b.cls) return a.cls < b.cls ? -1 : 1;
  if (a.cls == 0) {
    if (a.pre_rank != b.pre_rank) return a.pre_rank < b.pre_rank ? -1 : 1;
    return compare_digits(a.pre_number, b.pre_number);
  }
  if (a.cls == 2) return compare_nocase(a.text, b.text);
  if (int c = compare_digits(a.number, b.number); c != 0) return c;
  if (a.suffix != b.suffix) return a.suffix < b.suffix ? -1 : 1;
  if (a.suffix == 0) {
    if (a.pre_rank != b.pre_rank) return a.pre_rank < b.pre_rank ? -1 : 1;
    return compare_digits(a.pre_number, b.pre_number);
  }
  if (a.suffix == 2) return compare_nocase(a.text, b.text);
  return 0;
}

}  // namespace

int compare_generic(std::string_view a, std::string_view b) {
  // Component by component, without materialising either list (this is the matcher's inner
  // loop). A missing component compares as "0", so trailing zeros never matter: 1.2 == 1.2.0.
  static const Component kZero{1, "0", 1, 0, {}, {}};
  std::size_t pa = 0, pb = 0;
  while (true) {
    Component x, y;
    bool ha = next_component(a, pa, x), hb = next_component(b, pb, y);
    if (!ha && !hb) return 0;
    if (int c = compare_component(ha ? x : kZero, hb ? y : kZero); c != 0) return c;
  }
}

}  // namespace iotaudit::match::detail
