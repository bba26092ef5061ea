#include "report/report.hpp"

namespace iotaudit::report {

#define X(id, fn, desc) void fn(const ScanResult&, const Options&, std::ostream&);
#include "report/formats.def"
#undef X

// Format ids are written with '-' on the command line ("psti-statement"); formats.def spells
// them as identifiers.
std::string format_id(std::string id) {
  for (char& c : id)
    if (c == '_') c = '-';
  return id;
}

const std::vector<Format>& formats() {
  static const std::vector<Format> list = {
#define X(id, fn, desc) {format_id(#id), desc, &fn},
#include "report/formats.def"
#undef X
  };
  return list;
}

const Format* find_format(std::string_view id) {
  for (const auto& f : formats())
    if (f.id == id) return &f;
  return nullptr;
}

}  // namespace iotaudit::report
