// The package database parsers (opkg/dpkg status, apk installed) and the BusyBox applet table
// reader on arbitrary bytes.
#include <cstdint>

#include "formats/busybox.hpp"
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
  auto applets = iotaudit::formats::busybox_applets(v);
  if (applets.size() > 2000) __builtin_trap();
  return 0;
}
