#include "formats/busybox.hpp"

#include <cstring>
#include <string_view>

namespace iotaudit::formats {
namespace {

bool name_char(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '[' ||
         (c >= 'A' && c <= 'Z');
}

// Reads a sorted NUL-separated name list starting at `pos`.
std::vector<std::string> read_table(ByteView b, std::size_t pos) {
  const auto* base = reinterpret_cast<const char*>(b.data());
  std::vector<std::string> out;
  std::string prev;
  while (pos < b.size() && out.size() < 2000) {
    std::size_t end = pos;
    while (end < b.size() && end - pos <= 32 && name_char(b.data()[end])) ++end;
    if (end == pos || end >= b.size() || b.data()[end] != 0 || end - pos > 32) break;
    std::string name(base + pos, end - pos);
    if (!prev.empty() && name < prev) break;  // the table is sorted; anything else ends it
    out.push_back(name);
    prev = std::move(name);
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> busybox_applets(ByteView b) {
  // The table starts with "[" and "[["; what precedes it is whatever the linker put there.
  constexpr std::string_view kStart("[\0[[\0", 5);
  const auto* base = reinterpret_cast<const char*>(b.data());
  std::size_t from = 0;
  for (int tries = 0; tries < 64 && from + kStart.size() <= b.size(); ++tries) {
    const void* hit = ::memmem(base + from, b.size() - from, kStart.data(), kStart.size());
    if (hit == nullptr) break;
    std::size_t pos = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    auto names = read_table(b, pos);
    if (names.size() >= 3) return names;  // "[" and "[[" alone are not a table
    from = pos + 1;
  }
  return {};
}

}  // namespace iotaudit::formats
