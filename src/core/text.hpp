#pragma once
// Small text helpers shared across stages.
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit {

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
