// The package database parsers (opkg/dpkg status, apk installed) on arbitrary text.
#include <cstdint>

#include "formats/package_db.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  iotaudit::ByteView v(data, size);
  iotaudit::formats::PackageDbLimits lim;
  lim.max_packages = 500;
  for (const auto& p : iotaudit::formats::parse_control_stanzas(v, lim)) {
    if (p.name.empty() || p.version.empty() || p.name.size() > lim.max_field) __builtin_trap();
    (void)iotaudit::formats::upstream_version(p.version);
  }
  for (const auto& p : iotaudit::formats::parse_apk_installed(v, lim))
    if (p.name.empty() || p.version.empty()) __builtin_trap();
  return 0;
}
