#include "formats/package_db.hpp"

#include <string_view>

namespace iotaudit::formats {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string clip(std::string_view s, std::size_t max) { return std::string(s.substr(0, max)); }

// Calls fn(line_number, line) for every line.
template <class Fn>
void for_lines(ByteView text, Fn&& fn) {
  std::string_view all(reinterpret_cast<const char*>(text.data()), text.size());
  std::uint64_t no = 0;
  while (!all.empty()) {
    std::size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    ++no;
    if (!fn(no, line)) return;
    if (nl == std::string_view::npos) break;
    all.remove_prefix(nl + 1);
  }
}

}  // namespace

std::vector<InstalledPackage> parse_control_stanzas(ByteView text, const PackageDbLimits& limits) {
  std::vector<InstalledPackage> out;
  InstalledPackage cur;
  bool open = false;
  auto flush = [&] {
    if (open && !cur.name.empty() && !cur.version.empty()) out.push_back(cur);
    cur = InstalledPackage{};
    open = false;
  };
  for_lines(text, [&](std::uint64_t no, std::string_view line) {
    if (trim(line).empty()) {
      flush();
      return out.size() < limits.max_packages;
    }
    if (line.front() == ' ' || line.front() == '\t') return true;  // continuation of a field
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return true;
    if (!open) {
      open = true;
      cur.line = no;
    }
    std::string_view key = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (key == "Package") cur.name = clip(value, limits.max_field);
    else if (key == "Version") cur.version = clip(value, limits.max_field);
    else if (key == "Architecture") cur.architecture = clip(value, limits.max_field);
    else if (key == "Source") cur.source = clip(value.substr(0, value.find(' ')), limits.max_field);
    else if (key == "Status") {
      // dpkg: "install ok installed"; opkg: "install user installed". Anything else (deinstall,
      // config-files, not-installed) is not on the device.
      std::string_view last = value.substr(value.rfind(' ') == std::string_view::npos ? 0 : value.rfind(' ') + 1);
      cur.installed = last == "installed";
    }
    return true;
  });
  if (out.size() < limits.max_packages) flush();
  return out;
}

std::vector<InstalledPackage> parse_apk_installed(ByteView text, const PackageDbLimits& limits) {
  std::vector<InstalledPackage> out;
  InstalledPackage cur;
  bool open = false;
  auto flush = [&] {
    if (open && !cur.name.empty() && !cur.version.empty()) out.push_back(cur);
    cur = InstalledPackage{};
    open = false;
  };
  for_lines(text, [&](std::uint64_t no, std::string_view line) {
    line = trim(line);
    if (line.empty()) {
      flush();
      return out.size() < limits.max_packages;
    }
    if (line.size() < 2 || line[1] != ':') return true;
    if (!open) {
      open = true;
      cur.line = no;
    }
    std::string_view value = line.substr(2);
    switch (line[0]) {
      case 'P': cur.name = clip(value, limits.max_field); break;
      case 'V': cur.version = clip(value, limits.max_field); break;
      case 'A': cur.architecture = clip(value, limits.max_field); break;
      case 'o': cur.source = clip(value, limits.max_field); break;
      default: break;
    }
    return true;
  });
  if (out.size() < limits.max_packages) flush();
  return out;
}

std::string upstream_version(std::string_view v) {
  v = trim(v);
  if (std::size_t colon = v.find(':'); colon != std::string_view::npos && colon < 4) v.remove_prefix(colon + 1);
  if (std::size_t dash = v.rfind('-'); dash != std::string_view::npos && dash > 0) v = v.substr(0, dash);
  return std::string(v);
}

}  // namespace iotaudit::formats
