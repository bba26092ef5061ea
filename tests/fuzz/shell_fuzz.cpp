// Boot-script, inittab, inetd.conf and key/value configuration parsing on the same text: the
// service graph reads all of them from files an attacker controls.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/shell.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sh = formats::parse_shell(text, 5000);
  for (const auto& c : sh.commands) {
    if (c.words.empty() || c.line == 0 || c.words.size() > 256) __builtin_trap();
    for (const auto& w : c.words)
      if (w.size() > 4096) __builtin_trap();
  }
  (void)formats::split_words(text, 64);
  for (const auto& e : formats::parse_inittab(text, 1000))
    if (e.line == 0) __builtin_trap();
  (void)formats::parse_inetd(text, 1000);
  (void)formats::parse_conf(text, 1000);
  (void)formats::looks_like_text(text);
  return 0;
}
