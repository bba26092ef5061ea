#pragma once
// Vulnerability matches in exchange formats: CycloneDX 1.6 `vulnerabilities` and SARIF 2.1.0.
// Shared by `scan -f cyclonedx|sarif` and `iotaudit match` (SBOM re-evaluation).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "model/finding.hpp"
#include "model/vuln.hpp"

namespace iotaudit::report {

// The CycloneDX `vulnerabilities` array: one entry per CVE, affecting every component it matched,
// as text exactly as dump(2) writes it nested at `indent` (entries written in parallel, without
// building them as a document: a kernel has 1,600).
std::string cyclonedx_vulnerabilities_text(const std::vector<VulnMatch>& matches, std::size_t indent);

// Where the array goes in a CycloneDX document being built: `doc["vulnerabilities"] =
// kVulnerabilitiesSlot`; dump_cyclonedx() then writes the document with the array in that place
// (dump(2) text, no trailing newline). A document without the slot is dumped as it is.
extern const char* const kVulnerabilitiesSlot;
std::string dump_cyclonedx(const nlohmann::ordered_json& doc, const std::vector<VulnMatch>& matches);

// The same in two steps, for a document that does not depend on the matches (`iotaudit match`
// writes the SBOM it was given): the document's text around the slot, which can be written while
// the matches are being computed, then the whole text in one buffer, `trailer` appended.
struct CycloneDxFrame {
  std::string head, tail;  // tail is empty and head the whole text when there is no slot
  bool slot = false;
};
CycloneDxFrame cyclonedx_frame(const nlohmann::ordered_json& doc);
// The frame of a document's dump(2) text: split where the slot is, as a top-level member.
CycloneDxFrame split_at_slot(std::string text);
// The frame of a document given as JSON text, with its top-level `vulnerabilities` as the slot:
// the text cyclonedx_frame() writes for `ordered_json::parse(json)` with the slot set, without
// building that document (simdjson; 1 ms instead of 7 ms for the 400 KB SBOM of an image).
// Fails on text that is not a JSON object.
Result<CycloneDxFrame> cyclonedx_frame_of_text(std::string_view json);
std::string dump_cyclonedx(const CycloneDxFrame& frame, const std::vector<VulnMatch>& matches,
                           std::string_view trailer = {});

// The text dump_cyclonedx() returns, as pieces to be written one after the other (writev) rather
// than joined first: a kernel's vulnerabilities are 2 MB. `pieces` view `frame`, `parts` and
// static text; they are valid while those live.
struct CycloneDxPieces {
  CycloneDxPieces() = default;
  CycloneDxPieces(CycloneDxPieces&&) = default;  // moving keeps the parts where `pieces` see them
  CycloneDxPieces& operator=(CycloneDxPieces&&) = default;
  CycloneDxPieces(const CycloneDxPieces&) = delete;  // a copy's pieces would view the original
  CycloneDxPieces& operator=(const CycloneDxPieces&) = delete;
  std::vector<std::string> parts;          // one per vulnerability entry
  std::vector<std::string_view> pieces;    // the document in order
  std::size_t size() const;
  std::string joined() const;
};
CycloneDxPieces cyclonedx_pieces(const CycloneDxFrame& frame, const std::vector<VulnMatch>& matches,
                                 std::string_view trailer = {});

struct SarifInput {
  std::string tool_version;
  std::vector<const Finding*> findings;
  std::vector<const VulnMatch*> vulns;
  // Where each component was found (path inside the firmware), for result locations.
  std::map<std::string, std::string> component_location;
  std::string fallback_uri;  // location when a component has none (the SBOM file, the image)
  // Check id -> (title, description) of the check, for the rule's short and full description.
  std::map<std::string, std::pair<std::string, std::string>> rule_text;
};
nlohmann::ordered_json sarif_log(const SarifInput& in);

// "2021-11-15T21:15Z" (NVD 1.1) -> "2021-11-15T21:15:00Z"; returns "" when not a date-time.
std::string iso_date_time(const std::string& s);

}  // namespace iotaudit::report
