// Debian package versions, compared as dpkg does ([epoch:]upstream[-revision]; '~' sorts before
// everything, even the end of the string; letters before other characters; digit runs by value).
#include "match/version/schemes_internal.hpp"

namespace iotaudit::match::detail {

namespace {

int order(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (is_digit(static_cast<char>(c))) return 0;
  if (is_alpha(static_cast<char>(c))) return c;
  if (c == '~') return -1;
  return c + 256;
}

int verrevcmp(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = order(a, i), bc = order(b, j);
      if (ac != bc) return ac < bc ? -1 : 1;
      if (i < a.size()) ++i;
      if (j < b.size()) ++j;
    }
    std::size_t si = i, sj = j;
    while (i < a.size() && is_digit(a[i])) ++i;
    while (j < b.size() && is_digit(b[j])) ++j;
    if (int c = compare_digits(a.substr(si, i - si), b.substr(sj, j - sj)); c != 0) return c;
  }
  return 0;
}

struct Parts {
  std::string_view epoch, upstream, revision;
};

Parts split(std::string_view v) {
  Parts p;
  std::size_t colon = v.find(':');
  if (colon != std::string_view::npos) {
    bool digits = colon > 0;
    for (std::size_t k = 0; k < colon; ++k) digits = digits && is_digit(v[k]);
    if (digits) {
      p.epoch = v.substr(0, colon);
      v.remove_prefix(colon + 1);
    }
  }
  std::size_t dash = v.rfind('-');
  if (dash != std::string_view::npos) {
    p.upstream = v.substr(0, dash);
    p.revision = v.substr(dash + 1);
  } else {
    p.upstream = v;
  }
  return p;
}

}  // namespace

int compare_debian(std::string_view a, std::string_view b) {
  Parts x = split(a), y = split(b);
  if (int c = compare_digits(x.epoch, y.epoch); c != 0) return c;
  if (int c = verrevcmp(x.upstream, y.upstream); c != 0) return c;
  return verrevcmp(x.revision, y.revision);
}

}  // namespace iotaudit::match::detail
