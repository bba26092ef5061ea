// U-Boot environments: the environment partitions the unpacker found (format "uboot-env", whose
// content is "name=value" lines) and the default environment compiled into U-Boot binaries —
// a run of NUL-terminated "name=value" strings next to the bootloader's code, found from its
// "bootcmd=" entry in any raw image or region that also carries a U-Boot version banner.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "analyze/analyzer.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {

constexpr std::size_t kMaxVars = 1000;
constexpr std::size_t kMaxBlock = 64 << 10;

bool var_string(std::string_view s) {
  auto eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq > 64) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// The default environment around `at` (the 'b' of "bootcmd="); its extent in `bytes`.
std::optional<std::pair<std::size_t, std::size_t>> default_env_extent(std::string_view bytes, std::size_t at) {
  // Walk back over whole preceding strings.
  std::size_t start = at;
  for (std::size_t n = 0; n < kMaxVars && start >= 2 && at - start < kMaxBlock; ++n) {
    if (bytes[start - 1] != '\0') break;
    std::size_t prev_end = start - 1;
    std::size_t prev_begin = prev_end;
    while (prev_begin > 0 && bytes[prev_begin - 1] != '\0' && prev_end - prev_begin < 4096) --prev_begin;
    if (prev_begin == prev_end || !var_string(bytes.substr(prev_begin, prev_end - prev_begin))) break;
    start = prev_begin;
  }
  std::size_t end = at;
  for (std::size_t n = 0; n < kMaxVars && end < bytes.size() && end - start < kMaxBlock; ++n) {
    std::size_t z = bytes.find('\0', end);
    if (z == std::string_view::npos || z - end > 4096) break;
    if (!var_string(bytes.substr(end, z - end))) break;
    end = z + 1;
  }
  if (end <= at) return std::nullopt;
  return std::make_pair(start, end);
}

}  // namespace

void extract_boot_envs(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  std::vector<BootEnv> parts, defaults;
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.format == "uboot-env") {
      BlobPtr b = t.content(id);
      if (!b) continue;
      BootEnv e{id, 0, "environment partition", {}};
      formats::for_each_line(b->view().as_chars(), [&](std::string_view l, std::uint64_t) {
        auto eq = l.find('=');
        if (eq != std::string_view::npos && eq > 0) e.vars.emplace_back(std::string(l.substr(0, eq)), std::string(l.substr(eq + 1)));
        return e.vars.size() < kMaxVars;
      });
      parts.push_back(std::move(e));
      continue;
    }
    bool raw = n.type == NodeType::image || n.type == NodeType::region;
    bool named = n.type == NodeType::file && (n.name.find("u-boot") != std::string::npos || n.name.find("uboot") != std::string::npos);
    if (!raw && !named) continue;
    if (n.format == "uboot-env") continue;
    BlobPtr b = t.content(id);
    if (!b || b->view().size() < 64) continue;
    std::string_view bytes = b->view().as_chars();
    if (bytes.find("U-Boot ") == std::string_view::npos) continue;
    // Ranges of environment partitions carved from this node: their variables are not defaults.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> skip;
    for (NodeId c : n.children)
      if (t.at(c).format == "uboot-env") {
        std::uint64_t off = t.at(c).origin.offset >= n.content_at ? t.at(c).origin.offset - n.content_at : 0;
        skip.emplace_back(off, off + std::max<std::uint64_t>(t.at(c).origin.length, 1));
      }
    std::size_t pos = 0;
    while ((pos = bytes.find("bootcmd=", pos)) != std::string_view::npos) {
      std::size_t here = pos;
      pos += 8;
      if (here > 0 && bytes[here - 1] != '\0') continue;
      if (std::any_of(skip.begin(), skip.end(), [&](const auto& r) { return here >= r.first && here < r.second; }))
        continue;
      auto ext = default_env_extent(bytes, here);
      if (!ext) continue;
      BootEnv e{id, ext->first, "bootloader default environment", {}};
      std::string_view block = bytes.substr(ext->first, ext->second - ext->first);
      std::size_t i = 0;
      while (i < block.size() && e.vars.size() < kMaxVars) {
        std::size_t z = block.find('\0', i);
        if (z == std::string_view::npos) z = block.size();
        std::string_view v = block.substr(i, z - i);
        auto eq = v.find('=');
        if (eq != std::string_view::npos) e.vars.emplace_back(std::string(v.substr(0, eq)), std::string(v.substr(eq + 1)));
        i = z + 1;
      }
      pos = ext->second;
      // A U-Boot build that reads a key to stop autoboot keeps the variable names in its code.
      if (bytes.find("bootstopkey") != std::string_view::npos || bytes.find("bootdelaykey") != std::string_view::npos)
        e.vars.emplace_back("iotaudit.autoboot_keyed", "compiled in");
      defaults.push_back(std::move(e));
      if (defaults.size() > 64) break;
    }
  }
  auto key = [&](const BootEnv& e) { return std::make_pair(t.logical_path(e.node), e.offset); };
  std::sort(parts.begin(), parts.end(), [&](const BootEnv& a, const BootEnv& b) { return key(a) < key(b); });
  std::sort(defaults.begin(), defaults.end(), [&](const BootEnv& a, const BootEnv& b) { return key(a) < key(b); });
  for (auto& e : parts) facts.boot_envs.push_back(std::move(e));
  // The same default environment seen through the image and through a region sliced from it.
  std::vector<std::vector<std::pair<std::string, std::string>>> seen;
  for (auto& e : defaults) {
    if (std::find(seen.begin(), seen.end(), e.vars) != seen.end()) continue;
    seen.push_back(e.vars);
    facts.boot_envs.push_back(std::move(e));
  }
}

}  // namespace iotaudit::analyze
