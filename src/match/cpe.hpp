#pragma once
// CPE 2.3 formatted strings ("cpe:2.3:part:vendor:product:version:update:edition:language:
// sw_edition:target_sw:target_hw:other"), split with their backslash escapes honoured.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace iotaudit::match {

struct Cpe {
  // The eleven attributes after "cpe:2.3:", escapes kept (vendor and product compare escaped, as
  // NVD writes them); "*" is ANY and "-" is NA.
  std::array<std::string, 11> f;
  const std::string& part() const { return f[0]; }
  const std::string& vendor() const { return f[1]; }
  const std::string& product() const { return f[2]; }
  const std::string& version() const { return f[3]; }
  const std::string& update() const { return f[4]; }
};

std::optional<Cpe> parse_cpe(std::string_view s);

// The text of attributes first..last (0 = part, 1 = vendor, 2 = product, 3 = version, 4 = update)
// of a CPE 2.3 name, as one view with the separators between them and escapes kept; empty when
// the name is not "cpe:2.3:" or has fewer attributes. No allocation: the matcher's inner loop.
std::string_view cpe_attributes(std::string_view cpe, std::size_t first, std::size_t last);
// Removes CPE escapes: "1.0\\.2" -> "1.0.2".
std::string cpe_unescape(std::string_view s);

}  // namespace iotaudit::match
