#include "match/sbom_input.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace iotaudit::match {

namespace {

std::string str(const nlohmann::json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
}

void collect(const nlohmann::json& list, SbomComponents& out, int depth) {
  if (!list.is_array() || depth > 32) return;
  for (const auto& c : list) {
    if (!c.is_object()) continue;
    Component comp;
    comp.id = str(c, "name");
    comp.version = str(c, "version");
    comp.name = str(c, "description").empty() ? comp.id : str(c, "description");
    comp.vendor = str(c, "publisher");
    comp.cpe = str(c, "cpe");
    comp.purl = str(c, "purl");
    comp.confidence = "high";
    if (c.contains("properties") && c["properties"].is_array())
      for (const auto& p : c["properties"]) {
        std::string name = str(p, "name");
        if (name.rfind("iotaudit:", 0) == 0 && name != "iotaudit:confidence")
          comp.properties.emplace_back(name.substr(9), str(p, "value"));
        else if (name == "iotaudit:confidence")
          comp.confidence = str(p, "value");
      }
    // iotaudit writes bom-refs as component:ID@VERSION; other tools' refs are kept as given by
    // using the component's name and version.
    std::string ref = str(c, "bom-ref");
    if (!comp.id.empty() && !comp.version.empty()) {
      std::string own = fmt::format("component:{}@{}", comp.id, comp.version);
      if (c.contains("evidence") && c["evidence"].contains("occurrences") && c["evidence"]["occurrences"].is_array())
        for (const auto& o : c["evidence"]["occurrences"])
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
    if (c.contains("components")) collect(c["components"], out, depth + 1);
  }
}

}  // namespace

Result<SbomComponents> read_cyclonedx_components(std::string_view text) {
  SbomComponents out;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object() || str(j, "bomFormat") != "CycloneDX")
      return fail(Errc::unsupported, "not a CycloneDX JSON document (bomFormat is not \"CycloneDX\")");
    std::string spec = str(j, "specVersion");
    if (spec != "1.4" && spec != "1.5" && spec != "1.6")
      return fail(Errc::unsupported, fmt::format("CycloneDX specVersion '{}' (1.4, 1.5 and 1.6 are read)", spec));
    if (j.contains("components")) collect(j["components"], out, 0);
    if (j.contains("metadata") && j["metadata"].contains("component") &&
        j["metadata"]["component"].contains("properties") && j["metadata"]["component"]["properties"].is_array())
      for (const auto& p : j["metadata"]["component"]["properties"])
        if (str(p, "name") == "iotaudit:elf_machines") {
          std::string v = str(p, "value");
          for (std::size_t pos = 0; pos <= v.size();) {
            std::size_t c = v.find(',', pos);
            std::string item = v.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
            if (!item.empty()) out.elf_machines.push_back(item);
            if (c == std::string::npos) break;
            pos = c + 1;
          }
        }
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::malformed, e.what());
  }
  return out;
}

}  // namespace iotaudit::match
