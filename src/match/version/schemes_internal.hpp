#pragma once
// The comparison function of each scheme (one file each); scheme.cpp dispatches.
#include <array>
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

// Compares two runs of decimal digits of any length by value. Byte by byte: the runs are short,
// and a matching compares hundreds of thousands of them (a call to memcmp costs more).
inline int compare_digits(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && a[i] == '0') ++i;  // "0" and "000" are all zeros: nothing left
  while (j < b.size() && b[j] == '0') ++j;
  const std::size_t n = a.size() - i, m = b.size() - j;
  if (n != m) return n < m ? -1 : 1;
  for (std::size_t k = 0; k < n; ++k)
    if (a[i + k] != b[j + k]) return static_cast<unsigned char>(a[i + k]) < static_cast<unsigned char>(b[j + k]) ? -1 : 1;
  return 0;
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

// A leading run of dotted numbers ("2.6.36" of "2.6.36.4-rc1", "1.0.2" of "1.0.2k"). Up to 16
// numbers are kept; longer (hostile) strings compare equal beyond them, which keeps the order
// consistent without allocating on the matcher's hot path. Trailing zeros are dropped, so
// 3.0 == 3.0.0.
struct DottedNumbers {
  std::array<std::string_view, 16> numbers{};
  std::size_t count = 0;
};

// Reads the numbers at the start of s (which must start with a digit to read any); returns the
// position after the last one.
inline std::size_t read_dotted(std::string_view s, DottedNumbers& out) {
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j == i) break;
    if (out.count < out.numbers.size()) out.numbers[out.count++] = s.substr(i, j - i);
    i = j;
    if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
      ++i;
      continue;
    }
    break;
  }
  while (out.count > 1 && compare_digits(out.numbers[out.count - 1], "0") == 0) --out.count;
  return i;
}

inline int compare_dotted(const DottedNumbers& x, const DottedNumbers& y) {
  std::size_t n = x.count > y.count ? x.count : y.count;
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view p = i < x.count ? x.numbers[i] : "0";
    std::string_view q = i < y.count ? y.numbers[i] : "0";
    if (int c = compare_digits(p, q); c != 0) return c;
  }
  return 0;
}

}  // namespace iotaudit::match::detail
