#include "match/sbom_input.hpp"

#include <optional>

#include <fmt/format.h>
#include <simdjson.h>

namespace iotaudit::match {

namespace {

namespace dom = simdjson::dom;

// A member's string value, or "" when the element is not an object, has no such member or the
// member is not a string.
std::string_view str(dom::element e, std::string_view key) {
  dom::object o;
  dom::element v;
  std::string_view out;
  if (e.get_object().get(o) || o.at_key(key).get(v) || v.get_string().get(out)) return {};
  return out;
}

// A member that is an array, or nothing.
std::optional<dom::array> array_at(dom::element e, std::string_view key) {
  dom::object o;
  dom::array a;
  if (e.get_object().get(o) || o.at_key(key).get_array().get(a)) return std::nullopt;
  return a;
}

void collect(dom::array list, SbomComponents& out, int depth) {
  if (depth > 32) return;
  for (dom::element c : list) {
    if (!c.is_object()) continue;
    Component comp;
    comp.id = str(c, "name");
    comp.version = str(c, "version");
    std::string_view description = str(c, "description");
    comp.name = description.empty() ? comp.id : std::string(description);
    comp.vendor = str(c, "publisher");
    comp.cpe = str(c, "cpe");
    comp.purl = str(c, "purl");
    comp.confidence = "high";
    if (auto props = array_at(c, "properties"))
      for (dom::element p : *props) {
        std::string_view name = str(p, "name");
        if (name == "iotaudit:confidence")
          comp.confidence = str(p, "value");
        else if (name.substr(0, 9) == "iotaudit:")
          comp.properties.emplace_back(name.substr(9), str(p, "value"));
      }
    // iotaudit writes bom-refs as component:ID@VERSION; other tools' refs are kept as given by
    // using the component's name and version.
    if (!comp.id.empty() && !comp.version.empty()) {
      std::string own = fmt::format("component:{}@{}", comp.id, comp.version);
      dom::element evidence;
      std::optional<dom::array> occurrences;
      if (!c["evidence"].get(evidence)) occurrences = array_at(evidence, "occurrences");
      if (occurrences)
        for (dom::element o : *occurrences)
          if (auto loc = str(o, "location"); !loc.empty()) {
            out.locations.emplace(own, loc);
            Occurrence occ;
            occ.path = loc;
            occ.method = "sbom";
            comp.occurrences.push_back(occ);
            break;
          }
      out.components.push_back(std::move(comp));
    } else {
      ++out.skipped;
    }
    if (auto children = array_at(c, "components")) collect(*children, out, depth + 1);
  }
}

}  // namespace

// simdjson, not a document tree: an SBOM of a whole image is several hundred kilobytes, and this
// is on the path of every `iotaudit match` (0.5 ms instead of 4 ms for the TL-WR841N SBOM).
Result<SbomComponents> read_cyclonedx_components(std::string_view text) {
  SbomComponents out;
  dom::parser parser;
  dom::element j;
  if (auto err = parser.parse(text.data(), text.size(), true).get(j))
    return fail(Errc::malformed, fmt::format("not valid JSON: {}", simdjson::error_message(err)));
  if (!j.is_object() || str(j, "bomFormat") != "CycloneDX")
    return fail(Errc::unsupported, "not a CycloneDX JSON document (bomFormat is not \"CycloneDX\")");
  std::string_view spec = str(j, "specVersion");
  if (spec != "1.4" && spec != "1.5" && spec != "1.6")
    return fail(Errc::unsupported, fmt::format("CycloneDX specVersion '{}' (1.4, 1.5 and 1.6 are read)", spec));
  if (auto list = array_at(j, "components")) collect(*list, out, 0);
  dom::element meta_component;
  if (!j.at_pointer("/metadata/component").get(meta_component))
    if (auto props = array_at(meta_component, "properties"))
      for (dom::element p : *props)
        if (str(p, "name") == "iotaudit:elf_machines") {
          std::string_view v = str(p, "value");
          for (std::size_t pos = 0; pos <= v.size();) {
            std::size_t c = v.find(',', pos);
            std::string_view item = v.substr(pos, c == std::string_view::npos ? std::string_view::npos : c - pos);
            if (!item.empty()) out.elf_machines.emplace_back(item);
            if (c == std::string_view::npos) break;
            pos = c + 1;
          }
        }
  return out;
}

}  // namespace iotaudit::match
