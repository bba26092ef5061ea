#pragma once
// Files of data/ compiled into the binary (see cmake/EmbedData.cmake).
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace iotaudit::embedded {

const std::vector<std::pair<std::string_view, std::string_view>>& all_files();

inline std::optional<std::string_view> file(std::string_view path) {
  for (const auto& [p, content] : all_files())
    if (p == path) return content;
  return std::nullopt;
}

}  // namespace iotaudit::embedded
