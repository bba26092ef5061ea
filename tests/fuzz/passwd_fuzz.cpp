// passwd(5) and shadow(5) parsing and hash scheme detection, on the same text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/passwd.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pw = formats::parse_passwd(text);
  for (const auto& e : pw.entries) {
    if (e.name.empty() || e.line == 0) __builtin_trap();
    (void)formats::hash_scheme(e.password);
  }
  auto sh = formats::parse_shadow(text);
  for (const auto& e : sh.entries) {
    if (e.name.empty() || e.line == 0) __builtin_trap();
    (void)formats::hash_scheme(e.password);
  }
  (void)formats::hash_scheme(text);
  return 0;
}
