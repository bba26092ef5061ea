#include "match/cpe.hpp"

namespace iotaudit::match {

std::optional<Cpe> parse_cpe(std::string_view s) {
  if (s.rfind("cpe:2.3:", 0) != 0 || s.size() > 4096) return std::nullopt;
  Cpe c;
  std::size_t field = 0;
  for (std::size_t i = 8; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '\\' && i + 1 < s.size()) {
      c.f[field] += ch;
      c.f[field] += s[++i];
    } else if (ch == ':') {
      if (++field >= c.f.size()) return std::nullopt;
    } else {
      c.f[field] += ch;
    }
  }
  // Missing trailing attributes are ANY.
  for (std::size_t k = field + 1; k < c.f.size(); ++k) c.f[k] = "*";
  if (c.f[0].empty() || c.f[1].empty() || c.f[2].empty()) return std::nullopt;
  for (auto& v : c.f)
    if (v.empty()) v = "*";
  return c;
}

std::string_view cpe_attributes(std::string_view cpe, std::size_t first, std::size_t last) {
  if (cpe.rfind("cpe:2.3:", 0) != 0 || first > last) return {};
  std::size_t field = 0, start = 8, begin = std::string_view::npos;
  for (std::size_t i = 8; i <= cpe.size(); ++i) {
    if (i < cpe.size() && cpe[i] == '\\') {
      ++i;
      continue;
    }
    if (i < cpe.size() && cpe[i] != ':') continue;
    if (field == first) begin = start;
    if (field == last) return cpe.substr(begin, i - begin);
    ++field;
    start = i + 1;
  }
  return {};
}

std::string cpe_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

}  // namespace iotaudit::match
