#pragma once
// BusyBox's compiled-in applets: the binary keeps their names as one NUL-separated, sorted list
// (applet_names in include/applet_tables.h, generated at build time), which starts with "[" and
// "[[" when the test applet is built. Knowing them tells which applets' CVEs apply.
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

// The applet names, sorted as stored; empty when no list is found. At most 2000 names.
std::vector<std::string> busybox_applets(ByteView binary);

}  // namespace iotaudit::formats
