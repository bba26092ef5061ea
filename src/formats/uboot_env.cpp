#include "formats/uboot_env.hpp"

#include "formats/crc32.hpp"

namespace iotaudit::formats {

namespace {
constexpr std::uint64_t kStep = 0x100, kMinSize = 0x400;

bool name_char(std::uint8_t c) { return c > 0x20 && c < 0x7f && c != '='; }
bool text_char(std::uint8_t c) { return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r' || c >= 0x80; }

// Cheap shape check before any CRC: "name=" at `at`, then text and NUL separators up to the
// empty string that ends the variables. Returns the offset just past that end, or 0.
std::uint64_t text_end(ByteView d, std::uint64_t at, std::uint64_t limit) {
  std::uint64_t i = at;
  while (i < limit && name_char(d.data()[i])) ++i;
  if (i == at || i >= limit || d.data()[i] != '=') return 0;
  bool prev_nul = false;
  for (; i < limit; ++i) {
    std::uint8_t c = d.data()[i];
    if (c == 0) {
      if (prev_nul) return i + 1;
      prev_nul = true;
    } else if (!text_char(c)) {
      return 0;
    } else {
      prev_nul = false;
    }
  }
  return 0;
}
}  // namespace

Result<UbootEnv> parse_uboot_env(ByteView data, std::size_t max_vars) {
  if (data.size() < kMinSize) return fail(Errc::truncated, "too short for an environment block");
  std::uint64_t limit = std::min<std::uint64_t>(data.size(), kUbootEnvMaxSize);
  for (std::uint64_t hdr : {std::uint64_t{4}, std::uint64_t{5}}) {
    std::uint64_t end = text_end(data, hdr, limit);
    if (end == 0) continue;
    std::uint32_t le = load_endian<std::uint32_t>(data.data(), Endian::little);
    std::uint32_t be = load_endian<std::uint32_t>(data.data(), Endian::big);
    std::uint32_t crc = 0;
    std::uint64_t pos = hdr;
    UbootEnv env;
    for (std::uint64_t size = kMinSize; size <= limit; size += kStep) {
      if (size < end) continue;
      crc = crc32_update(crc, data.sub(pos, size - pos).value());
      pos = size;
      if (crc == le || crc == be) {
        env.size = size;
        env.crc_endian = crc == le ? Endian::little : Endian::big;
        break;
      }
    }
    if (env.size == 0) continue;
    env.redundant = hdr == 5;
    if (env.redundant) env.flags = data.data()[4];
    std::uint64_t i = hdr;
    while (i < end) {
      std::uint64_t j = i;
      while (j < end && data.data()[j] != 0) ++j;
      if (j == i) break;
      std::string_view entry(reinterpret_cast<const char*>(data.data() + i), j - i);
      i = j + 1;
      auto eq = entry.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        ++env.malformed;
        continue;
      }
      if (env.vars.size() >= max_vars) {
        env.vars_truncated = true;
        break;
      }
      env.vars.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return env;
  }
  return fail(Errc::malformed, "no environment block with a matching CRC");
}

}  // namespace iotaudit::formats
