#pragma once
// Installed-package databases found in root filesystems: opkg (OpenWrt, /usr/lib/opkg/status and
// info/*.control), dpkg (/var/lib/dpkg/status) - both RFC 822-style stanzas - and apk
// (/lib/apk/db/installed: "P:name", "V:version" lines, blank line between packages).
// Pure parsing with limits on entries and field sizes.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct InstalledPackage {
  std::string name, version, architecture, source;
  std::uint64_t line = 0;     // 1-based line where the entry starts
  bool installed = true;      // dpkg/opkg: Status names "installed" (or "install ... installed")
};

struct PackageDbLimits {
  std::size_t max_packages = 20000;
  std::size_t max_field = 4096;
};

// opkg status, dpkg status and *.control files.
std::vector<InstalledPackage> parse_control_stanzas(ByteView text, const PackageDbLimits& limits = {});
// apk installed database.
std::vector<InstalledPackage> parse_apk_installed(ByteView text, const PackageDbLimits& limits = {});

// "1:1.35.0-4+deb12u1" -> "1.35.0"; "1.19.4-6" -> "1.19.4"; "2022.82-5.1" -> "2022.82";
// "1.1.1k-r0" -> "1.1.1k". The upstream part of a distribution package version.
std::string upstream_version(std::string_view version);

}  // namespace iotaudit::formats
