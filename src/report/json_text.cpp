#include "report/json_text.hpp"

#include <vector>

#include <tbb/parallel_for.h>

namespace iotaudit::report {
namespace {

using nlohmann::ordered_json;

// Arrays with fewer elements are dumped in one piece; so is everything below the third level,
// where the arrays are small.
constexpr std::size_t kParallelFrom = 64;
constexpr int kMaxSplitDepth = 3;

// `text` is a dump(2) at indentation 0; each line after the first moves right by `indent`
// (dumped strings hold no raw newline, so every newline is a line break).
void append_indented(std::string& out, const std::string& text, std::size_t indent) {
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.append(text, start, std::string::npos);
      return;
    }
    out.append(text, start, nl + 1 - start);
    out.append(indent, ' ');
    start = nl + 1;
  }
}

void dump_at(std::string& out, const ordered_json& j, std::size_t indent, int depth) {
  if (depth < kMaxSplitDepth && j.is_object() && !j.empty()) {
    out += "{\n";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out.append(indent + 2, ' ');
      out += ordered_json(it.key()).dump();
      out += ": ";
      dump_at(out, it.value(), indent + 2, depth + 1);
    }
    out += '\n';
    out.append(indent, ' ');
    out += '}';
    return;
  }
  if (depth < kMaxSplitDepth && j.is_array() && j.size() >= kParallelFrom) {
    std::vector<std::string> parts(j.size());
    tbb::parallel_for(std::size_t{0}, j.size(), [&](std::size_t i) {
      std::string s;
      append_indented(s, j[i].dump(2), indent + 2);
      parts[i] = std::move(s);
    });
    std::size_t total = 0;
    for (const auto& p : parts) total += p.size() + indent + 4;
    out.reserve(out.size() + total + indent + 2);
    out += "[\n";
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i) out += ",\n";
      out.append(indent + 2, ' ');
      out += parts[i];
    }
    out += '\n';
    out.append(indent, ' ');
    out += ']';
    return;
  }
  append_indented(out, j.dump(2), indent);
}

}  // namespace

std::string dump_pretty(const ordered_json& j) {
  std::string out;
  dump_at(out, j, 0, 0);
  return out;
}

}  // namespace iotaudit::report
