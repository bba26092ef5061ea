#pragma once
// The comparison function of each scheme (one file each); scheme.cpp dispatches.
#include <string_view>

namespace iotaudit::match::detail {

int compare_generic(std::string_view a, std::string_view b);
int compare_openssl(std::string_view a, std::string_view b);
int compare_kernel(std::string_view a, std::string_view b);
int compare_debian(std::string_view a, std::string_view b);
int compare_semver(std::string_view a, std::string_view b);

// Shared helpers.
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline int sign(int v) { return (v > 0) - (v < 0); }

// Compares two runs of decimal digits of any length by value.
inline int compare_digits(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a == "0") a = {};
  if (b == "0") b = {};
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return sign(c);
}

// Case-insensitive byte-wise comparison.
inline int compare_nocase(std::string_view a, std::string_view b) {
  std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(lower(a[i])), y = static_cast<unsigned char>(lower(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

}  // namespace iotaudit::match::detail
