#pragma once
// Components read back from a CycloneDX SBOM (`iotaudit match`): a fleet re-checks stored SBOMs
// against a newer database without the firmware.
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/component.hpp"

namespace iotaudit::match {

struct SbomComponents {
  std::vector<Component> components;
  std::map<std::string, std::string> locations;  // bom-ref -> first evidence location (path in firmware)
  std::size_t skipped = 0;                       // entries without a name or version
  std::vector<std::string> elf_machines;         // metadata.component property iotaudit:elf_machines
};

// Accepts CycloneDX 1.4-1.6 JSON. Components are taken from `components` (recursively) with
// name, version, cpe, purl and iotaudit:* properties; the bom-ref is kept as the reference.
Result<SbomComponents> read_cyclonedx_components(std::string_view json);

}  // namespace iotaudit::match
