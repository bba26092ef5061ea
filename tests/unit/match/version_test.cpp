// Version schemes against real-world version strings, and the order properties matching relies on.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "match/version/scheme.hpp"
#include "match/version/schemes_internal.hpp"

namespace iotaudit::match {
namespace {

int cmp(Scheme s, const std::string& a, const std::string& b) {
  int c = compare_versions(s, a, b);
  return (c > 0) - (c < 0);
}

TEST(VersionGeneric, DottedNumbersAndSuffixes) {
  auto g = Scheme::generic;
  EXPECT_EQ(cmp(g, "1.36.1", "1.36.0"), 1);   // BusyBox
  EXPECT_EQ(cmp(g, "1.19.4", "1.27.2"), -1);
  EXPECT_EQ(cmp(g, "2019.78", "2020.79"), -1);  // dropbear
  EXPECT_EQ(cmp(g, "0.52", "2011.54"), -1);
  EXPECT_EQ(cmp(g, "2.80", "2.8"), 1);        // dnsmasq: numbers by value, not as decimals
  EXPECT_EQ(cmp(g, "2.80test3", "2.80"), -1);  // pre-release
  EXPECT_EQ(cmp(g, "2020.10-rc2", "2020.10"), -1);  // U-Boot
  EXPECT_EQ(cmp(g, "2020.10", "2020.10.1"), -1);
  EXPECT_EQ(cmp(g, "1.2", "1.2.0"), 0);
  EXPECT_EQ(cmp(g, "8.9p1", "8.9"), 1);        // OpenSSH portable
  EXPECT_EQ(cmp(g, "7.4p1", "8.0p1"), -1);
  EXPECT_EQ(cmp(g, "1.4.59", "1.4.6"), 1);     // lighttpd
  EXPECT_EQ(cmp(g, "7.88.1", "7.88.1"), 0);    // curl
  EXPECT_EQ(cmp(g, "1.0-beta", "1.0"), -1);    // hotplug2
  EXPECT_EQ(cmp(g, "1.0-alpha", "1.0-beta"), -1);
  EXPECT_EQ(cmp(g, "99999999999999999999999.1", "99999999999999999999998.9"), 1);  // no overflow
}

TEST(VersionOpenssl, LetterSuffixes) {
  auto o = Scheme::openssl;
  EXPECT_EQ(cmp(o, "1.0.2k", "1.0.2"), 1);
  EXPECT_EQ(cmp(o, "1.0.2k", "1.0.2h"), 1);
  EXPECT_EQ(cmp(o, "1.0.2z", "1.0.2za"), -1);
  EXPECT_EQ(cmp(o, "0.9.8zh", "0.9.8zg"), 1);
  EXPECT_EQ(cmp(o, "1.0.2zf", "1.0.3"), -1);
  EXPECT_EQ(cmp(o, "1.1.1w", "3.0.0"), -1);
  EXPECT_EQ(cmp(o, "3.0.13", "3.0.9"), 1);
  EXPECT_EQ(cmp(o, "3.0.0-alpha17", "3.0.0-beta1"), -1);
  EXPECT_EQ(cmp(o, "3.0.0-beta2", "3.0.0"), -1);
  EXPECT_EQ(cmp(o, "1.0.2k-fips", "1.0.2k"), 0);
  EXPECT_EQ(cmp(o, "3.0", "3.0.0"), 0);
}

TEST(VersionKernel, StableAndRc) {
  auto k = Scheme::kernel;
  EXPECT_EQ(cmp(k, "4.14.180", "4.14.200"), -1);
  EXPECT_EQ(cmp(k, "2.6.36.4", "2.6.36"), 1);
  EXPECT_EQ(cmp(k, "3.3.8", "3.6-rc1"), -1);
  EXPECT_EQ(cmp(k, "3.6.0", "3.6-rc1"), 1);
  EXPECT_EQ(cmp(k, "5.4-rc3", "5.4"), -1);
  EXPECT_EQ(cmp(k, "5.4", "5.4.0"), 0);
  EXPECT_EQ(cmp(k, "v2.6.12-rc2", "2.6.12-rc2"), 0);
  EXPECT_EQ(cmp(k, "4.14.180-openwrt", "4.14.180"), 0);
  EXPECT_EQ(cmp(k, "3.10.14+", "3.10.14"), 0);
  EXPECT_EQ(cmp(k, "5.10.0-rc3", "5.10.0-rc10"), -1);
  EXPECT_EQ(cmp(k, "unknown", "2.6.12"), -1);
}

// The kernel comparison as first written, numbers collected and then compared: the reference the
// streaming comparison must agree with on every pair of strings.
int reference_kernel(std::string_view a, std::string_view b) {
  struct Parsed {
    bool valid = false;
    detail::DottedNumbers numbers;
    bool rc = false;
    std::string_view rc_number;
  };
  auto parse = [](std::string_view s) {
    Parsed p;
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
    if (s.empty() || !detail::is_digit(s[0])) return p;
    std::size_t i = detail::read_dotted(s, p.numbers);
    if (i < s.size() && s[i] == '-' && i + 3 <= s.size() && detail::lower(s[i + 1]) == 'r' &&
        detail::lower(s[i + 2]) == 'c') {
      std::size_t k = i + 3;
      while (k < s.size() && detail::is_digit(s[k])) ++k;
      if (k > i + 3) {
        p.rc = true;
        p.rc_number = s.substr(i + 3, k - i - 3);
      }
    }
    p.valid = true;
    return p;
  };
  Parsed x = parse(a), y = parse(b);
  if (!x.valid || !y.valid) {
    if (x.valid != y.valid) return x.valid ? 1 : -1;
    return detail::compare_generic(a, b);
  }
  if (int c = detail::compare_dotted(x.numbers, y.numbers); c != 0) return c;
  if (x.rc != y.rc) return x.rc ? -1 : 1;
  return x.rc ? detail::compare_digits(x.rc_number, y.rc_number) : 0;
}

TEST(VersionKernel, SameOrderAsTheReferenceOnRandomAndRealStrings) {
  std::mt19937 rng(20261206);
  const std::string pieces[] = {"0", "1", "2", "6", "9", "10", "36", "00", "007", ".", ".", ".", "-rc", "-RC", "-rc1",
                                "-rc10", "-", "+", "v", "V", "a", "x", "-openwrt", "..", "r", "c"};
  std::vector<std::string> pool = {"2.6.36", "2.6.36.4", "v2.6.12-rc2", "3.10.108", "4.14.180-openwrt", "5.4-rc3",
                                   "5.4", "5.4.0", "6.1", "3.0", "3.0.0", "3.10.14+", "", "v", "rc1", "4.9.118",
                                   "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17", "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.18",
                                   "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16-rc1", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1"};
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    for (int k = static_cast<int>(rng() % 9); k > 0; --k) s += pieces[rng() % std::size(pieces)];
    pool.push_back(std::move(s));
  }
  // Long dotted runs around the 16 numbers that count, differing late, with and without "-rcN".
  for (int n = 0; n < 600; ++n) {
    std::string s = "1.2.3.4.5.6.7.8.9.10.11.12.13";
    for (int k = static_cast<int>(rng() % 6); k > 0; --k) s += "." + std::to_string(rng() % 3);
    if (rng() % 3 == 0) s += "-rc" + std::to_string(rng() % 3);
    pool.push_back(std::move(s));
  }
  int checked = 0;
  for (std::size_t i = 0; i < pool.size(); ++i)
    for (std::size_t j = i; j < pool.size(); j += 1 + rng() % 7) {
      const int want = (reference_kernel(pool[i], pool[j]) > 0) - (reference_kernel(pool[i], pool[j]) < 0);
      ASSERT_EQ(cmp(Scheme::kernel, pool[i], pool[j]), want) << "'" << pool[i] << "' vs '" << pool[j] << "'";
      ASSERT_EQ(cmp(Scheme::kernel, pool[j], pool[i]), -want) << "'" << pool[j] << "' vs '" << pool[i] << "'";
      ++checked;
    }
  EXPECT_GT(checked, 1000000);
}

// Runs of digits compare by value, leading zeros aside, at any length (past what fits in 64 bits).
TEST(VersionDigits, CompareByValue) {
  // The value's order from its digits without leading zeros: longer is larger, else bytewise.
  auto reference = [](std::string a, std::string b) {
    a.erase(0, a.find_first_not_of('0') == std::string::npos ? a.size() : a.find_first_not_of('0'));
    b.erase(0, b.find_first_not_of('0') == std::string::npos ? b.size() : b.find_first_not_of('0'));
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a == b ? 0 : a < b ? -1 : 1;
  };
  EXPECT_EQ(detail::compare_digits("", "0"), 0);
  EXPECT_EQ(detail::compare_digits("000", ""), 0);
  EXPECT_EQ(detail::compare_digits("010", "10"), 0);
  EXPECT_EQ(detail::compare_digits("9", "10"), -1);
  EXPECT_EQ(detail::compare_digits("100", "099"), 1);
  EXPECT_EQ(detail::compare_digits("123456789012345678901234567890", "123456789012345678901234567891"), -1);
  std::mt19937 rng(7);
  auto digits = [&] {
    std::string d(rng() % 6, '0');  // leading zeros
    for (std::size_t n = rng() % 25; n > 0; --n) d += static_cast<char>('0' + rng() % (rng() % 3 == 0 ? 2 : 10));
    return d;
  };
  for (int i = 0; i < 200000; ++i) {
    std::string a = digits(), b = rng() % 4 == 0 ? a : digits();
    if (rng() % 4 == 0) b = std::string(rng() % 3, '0') + a;
    ASSERT_EQ(detail::compare_digits(a, b), reference(a, b)) << a << " " << b;
  }
}

TEST(VersionDebian, DpkgOrder) {
  auto d = Scheme::debian;
  EXPECT_EQ(cmp(d, "1:1.0", "2.0"), 1);
  EXPECT_EQ(cmp(d, "1.0~rc1", "1.0"), -1);
  EXPECT_EQ(cmp(d, "1.2.3-1", "1.2.3-1+deb12u1"), -1);
  EXPECT_EQ(cmp(d, "2.80-1+deb10u1", "2.80-1"), 1);
  EXPECT_EQ(cmp(d, "1.0.2k-1~deb9u1", "1.0.2k-1"), -1);
  EXPECT_EQ(cmp(d, "1:2.36.1-8+deb11u1", "1:2.36.1-8"), 1);
  EXPECT_EQ(cmp(d, "1.0", "1.0-0"), 0);
  EXPECT_EQ(cmp(d, "1.0a", "1.0+"), -1);  // letters before other characters
  EXPECT_EQ(cmp(d, "2.89-1", "2.90-1"), -1);
}

TEST(VersionSemver, Precedence) {
  auto s = Scheme::semver;
  std::vector<std::string> ordered = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"};
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) EXPECT_EQ(cmp(s, ordered[i], ordered[i + 1]), -1) << ordered[i];
  EXPECT_EQ(cmp(s, "1.0.0+build.5", "1.0.0"), 0);
  EXPECT_EQ(cmp(s, "v2.1.0", "2.1.0"), 0);
  EXPECT_EQ(cmp(s, "1.10.0", "1.9.0"), 1);
  EXPECT_EQ(cmp(s, "not-semver", "0.0.1"), -1);
}

TEST(VersionSchemes, NamesAndPlausibility) {
  for (auto n : {"generic", "openssl", "kernel", "debian", "semver"}) {
    auto s = scheme_from_name(n);
    ASSERT_TRUE(s) << n;
    EXPECT_EQ(to_string(*s), n);
  }
  EXPECT_FALSE(scheme_from_name("calver"));
  EXPECT_FALSE(plausible_version(Scheme::generic, "*"));
  EXPECT_FALSE(plausible_version(Scheme::generic, "-"));
  EXPECT_FALSE(plausible_version(Scheme::generic, ""));
  EXPECT_TRUE(plausible_version(Scheme::kernel, "v4.14"));
  EXPECT_TRUE(plausible_version(Scheme::openssl, "1.0.2k"));
}

// Antisymmetry and transitivity over real strings mixed with junk, for every scheme: sorting
// and range checks depend on both.
TEST(VersionSchemes, TotalOrderProperties) {
  std::vector<std::string> v = {"1.36.1", "1.36.0", "2019.78", "0.52", "2.80", "2.80test3", "2.8", "2020.10-rc2",
                                "2020.10", "8.9p1", "1.0.2k", "1.0.2", "1.0.2za", "0.9.8zh", "3.0.0-alpha17",
                                "3.0.0", "4.14.180", "4.14.180-openwrt", "5.4-rc3", "v5.4", "1:1.0", "1.0~rc1",
                                "1.2.3-1+deb12u1", "1.0.0-alpha.1", "1.0.0+build", "", "*", "-", "abc", "1..2",
                                "1.-2", "~", "1.0~", "..", "1a2b3c", "rc1", "beta", "1.0.0-", "v", "0", "00.0"};
  std::mt19937 rng(7);
  for (int i = 0; i < 30; ++i) {
    std::string s;
    for (int k = 0, n = static_cast<int>(rng() % 8); k < n; ++k) s += "0123456789.-~+:abrcz"[rng() % 20];
    v.push_back(s);
  }
  for (Scheme s : {Scheme::generic, Scheme::openssl, Scheme::kernel, Scheme::debian, Scheme::semver}) {
    for (const auto& a : v) {
      ASSERT_EQ(cmp(s, a, a), 0) << to_string(s) << " " << a;
      for (const auto& b : v) {
        ASSERT_EQ(cmp(s, a, b), -cmp(s, b, a)) << to_string(s) << " " << a << " vs " << b;
        for (const auto& c : v) {
          if (cmp(s, a, b) <= 0 && cmp(s, b, c) <= 0) {
            ASSERT_LE(cmp(s, a, c), 0) << to_string(s) << " " << a << " <= " << b << " <= " << c;
          }
        }
      }
    }
  }
}

// may_equal() is a necessary condition for equality: never false for two versions a scheme calls
// equal (spellings of one version: leading zeros, "v", trailing ".0", local suffixes, case), and
// false for most versions that differ in their first numbers.
TEST(VersionSchemes, MayEqualNeverRejectsEqualVersions) {
  std::vector<std::string> v = {"2.6.36", "2.6.36.0", "v2.6.36", "02.06.036", "2.6.36-openwrt", "2.6.36+", "2.6.36-rc1",
                                "2.6.36-RC1", "2.6.035", "2.6.3", "2.6", "2.6.0", "2.06", "1.0.2k", "1.0.2K", "1.0.2",
                                "1.0.02k", "2019.78", "2019.078", "1.2.3-alpha", "1.2.3+build", "v1.2.3", "1:2.6.36",
                                "2.6.36~rc1", "", "*", "-", "v", "0", "00", "0.0", ".", "1..2", "1.-2", "abc", "2.6.36a"};
  std::mt19937 rng(11);
  const char alphabet[] = "0123456789.-~+:abrcvzV";
  for (int i = 0; i < 160; ++i) {
    std::string x;
    for (int k = 0, n = static_cast<int>(rng() % 9); k < n; ++k) x += alphabet[rng() % (sizeof alphabet - 1)];
    v.push_back(x);
    // Spellings of x that may compare equal to it.
    v.push_back("0" + x);
    v.push_back("v" + x);
    v.push_back(x + ".0");
    v.push_back(x + "-local");
  }
  std::size_t equal_pairs = 0, rejected = 0;
  for (Scheme s : {Scheme::generic, Scheme::openssl, Scheme::kernel, Scheme::debian, Scheme::semver})
    for (const auto& a : v)
      for (const auto& b : v) {
        const bool may = may_equal(s, a, b);
        if (compare_versions(s, a, b) == 0) {
          ++equal_pairs;
          ASSERT_TRUE(may) << to_string(s) << " " << a << " == " << b;
        }
        rejected += !may;
      }
  EXPECT_GT(equal_pairs, 20000u);  // not only a == a
  EXPECT_GT(rejected, 400000u);    // and it does reject (about 700,000 of the 3.3 million pairs)
  EXPECT_FALSE(may_equal(Scheme::kernel, "2.6.36", "2.6.35"));
  EXPECT_FALSE(may_equal(Scheme::kernel, "v2.6.36", "2.6.0037.1"));
  EXPECT_TRUE(may_equal(Scheme::kernel, "v2.6.36", "2.6.0036.1"));
  EXPECT_TRUE(may_equal(Scheme::kernel, "2.6.36", "2.6"));  // as far as both have numbers
}

// Firmware strings are arbitrary bytes (NUL, non-ASCII, separators only): every scheme must stay
// reflexive and antisymmetric on them, and never read outside the views (ASan builds check that).
TEST(VersionSchemes, RandomBytesRobustness) {
  std::mt19937 rng(12345);
  auto random_string = [&] {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    std::string a = random_string(), b = random_string();
    if (i % 2) a = "1.0." + a;  // half of them past the numeric prefix, into the suffix parsers
    for (Scheme s : {Scheme::generic, Scheme::openssl, Scheme::kernel, Scheme::debian, Scheme::semver}) {
      ASSERT_EQ(cmp(s, a, a), 0) << to_string(s);
      ASSERT_EQ(cmp(s, a, b), -cmp(s, b, a)) << to_string(s);
      (void)plausible_version(s, a);
    }
  }
  EXPECT_EQ(cmp(Scheme::generic, std::string("1.0\xc3\xa4"), "1.0"), 0);  // non-ASCII bytes only separate
  EXPECT_EQ(cmp(Scheme::debian, std::string("1.0\0", 4), "1.0"), 1);      // dpkg: non-letters after letters
}

}  // namespace
}  // namespace iotaudit::match
