// The version schemes on arbitrary bytes: every scheme must be reflexive and antisymmetric, and
// transitive against a few real versions, or sorting and range checks in the matcher break; and
// may_equal() must hold for every pair the scheme calls equal, or exact versions are missed.
// The input splits at its first NUL into two strings (at the middle when there is none).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "match/version/scheme.hpp"

namespace {

int sign(int v) { return (v > 0) - (v < 0); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace iotaudit::match;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t cut = text.find('\0');
  std::string_view a = cut == std::string_view::npos ? text.substr(0, size / 2) : text.substr(0, cut);
  std::string_view b = cut == std::string_view::npos ? text.substr(size / 2) : text.substr(cut + 1);
  // Pivots from every scheme, so a <= p <= b style chains cross the schemes' special cases.
  static constexpr std::string_view pivots[] = {"1.0.2k", "2020.10-rc2", "5.4", "1:1.0-1~deb9u1",
                                                "1.0.0-beta.2", "v3.0.0-alpha17", ""};
  for (Scheme s : {Scheme::generic, Scheme::openssl, Scheme::kernel, Scheme::debian, Scheme::semver}) {
    if (compare_versions(s, a, a) != 0 || compare_versions(s, b, b) != 0) std::abort();
    int ab = sign(compare_versions(s, a, b));
    if (ab != -sign(compare_versions(s, b, a))) std::abort();
    if (ab == 0 && (!may_equal(s, a, b) || !may_equal(s, b, a))) std::abort();
    if (!may_equal(s, a, a)) std::abort();
    for (std::string_view p : pivots) {
      int ap = sign(compare_versions(s, a, p)), pb = sign(compare_versions(s, p, b));
      if (ap <= 0 && pb <= 0 && ab > 0) std::abort();
      if (ap >= 0 && pb >= 0 && ab < 0) std::abort();
    }
    (void)plausible_version(s, a);
    (void)plausible_version(s, b);
  }
  return 0;
}
