#pragma once
// Small text helpers shared across stages.
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit {

// ASCII letters in lower case; other bytes (UTF-8 included) as they are. What std::tolower does in
// the "C" locale iotaudit runs in, without a library call per byte (a kernel SBOM's match lowered
// 160,000 bytes of CVE descriptions that way).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "a,b,,c" -> {"a", "b", "c"}: the non-empty items of a separated list.
inline std::vector<std::string> split_list(std::string_view s, char sep = ',') {
  std::vector<std::string> out;
  while (true) {
    std::size_t c = s.find(sep);
    std::string_view item = s.substr(0, c);
    if (!item.empty()) out.emplace_back(item);
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

}  // namespace iotaudit
