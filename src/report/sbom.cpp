// SBOM reports: CycloneDX 1.6 JSON and SPDX 2.3 JSON. The firmware image is the root component
// (SPDX: the package the document describes); every identified component is a child with its
// version, CPE, PURL, the SHA-256 of the files it was found in, and every occurrence (CycloneDX
// evidence.occurrences; SPDX a comment per package). Deterministic for a given input and tool
// version, except the creation time, which honours SOURCE_DATE_EPOCH.
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "report/json_text.hpp"
#include "report/document.hpp"
#include "report/report.hpp"
#include "report/vulns.hpp"

namespace iotaudit::report {

using nlohmann::ordered_json;

std::string report_timestamp() {
  std::time_t now = std::time(nullptr);
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e != nullptr && *e) {
    char* end = nullptr;
    long long v = std::strtoll(e, &end, 10);
    if (end != nullptr && *end == '\0' && v >= 0) now = static_cast<std::time_t>(v);
  }
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

std::string sha256_of(const std::string& s) {
  return sha256_hex(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

// A UUID (version 5 layout) derived from a digest, so the same scan gives the same serial number.
std::string uuid_from(const std::string& hex) {
  std::string h = hex.substr(0, 32);
  h[12] = '5';
  const char variant[] = "89ab";
  h[16] = variant[std::stoi(std::string(1, h[16]), nullptr, 16) & 3];
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4), h.substr(20));
}

std::string component_type(const Component& c) {
  if (c.cpe.rfind("cpe:2.3:o:", 0) == 0) return "operating-system";
  if (c.id == "u-boot") return "firmware";
  for (const auto& o : c.occurrences)
    if (o.path.find(".so") != std::string::npos) return "library";
  return "application";
}

std::string input_digest(const ScanResult& r) {
  return r.input.sha256.empty() ? sha256_of(r.input.path) : r.input.sha256;
}

// Distinct files a component was seen in, with their SHA-256.
std::map<std::string, std::string> file_hashes(const ScanResult& r, const Component& c) {
  std::map<std::string, std::string> out;
  for (const auto& o : c.occurrences) {
    if (o.path.empty() || o.node == kNoNode) continue;
    std::string lp = r.tree->logical_path(o.node);
    if (out.contains(lp)) continue;
    BlobPtr b = r.tree->content(o.node);
    out[lp] = sha256_hex(b->view());
  }
  return out;
}

std::string spdx_id(std::string s) {
  for (char& ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
      ch = '-';
  return s;
}


// The compliance result as a CycloneDX 1.6 attestation: each standard under
// definitions.standards with its requirements (grouped by level); under declarations, iotaudit
// (and, with a declaration, the manufacturer) as assessors, one attestation per standard mapping
// each requirement to the claim of its verdict, and the findings and declared answers behind the
// claims as evidence.
void add_attestation(const ScanResult& r, ordered_json& j) {
  if (r.verdicts.empty()) return;
  auto req_ref = [](const Verdict& v) { return fmt::format("requirement:{}:{}", v.standard_id, v.provision); };
  auto claim_ref = [](const Verdict& v) { return fmt::format("claim:{}:{}", v.standard_id, v.provision); };
  std::map<std::string, std::string> finding_titles;
  for (const auto& f : r.findings) finding_titles.emplace(f.fingerprint, f.title);
  const std::string created = report_timestamp();

  ordered_json standards = ordered_json::array();
  for (const auto& st : r.standards) {
    ordered_json js;
    js["bom-ref"] = "standard:" + st.id;
    js["name"] = st.title;
    js["version"] = st.version;
    if (!st.owner.empty()) js["owner"] = st.owner;
    ordered_json reqs = ordered_json::array();
    std::map<std::string, ordered_json> levels;
    for (const auto& v : r.verdicts) {
      if (v.standard_id != st.id) continue;
      ordered_json jr;
      jr["bom-ref"] = req_ref(v);
      jr["identifier"] = v.provision;
      jr["text"] = v.summary.empty() ? v.title : v.summary;
      if (!v.title.empty()) jr["descriptions"] = ordered_json::array({v.title});
      ordered_json props = ordered_json::array({{{"name", "iotaudit:level"}, {"value", v.level}}});
      if (!v.condition.empty()) props.push_back({{"name", "iotaudit:condition"}, {"value", v.condition}});
      for (const auto& m : v.maps_to) props.push_back({{"name", "iotaudit:maps_to"}, {"value", m}});
      for (const auto& n : v.renumbered_from)
        props.push_back({{"name", "iotaudit:renumbered_from"}, {"value", st.previous + ":" + n}});
      jr["properties"] = props;
      reqs.push_back(jr);
      levels[v.level].push_back(req_ref(v));
    }
    js["requirements"] = reqs;
    ordered_json jl = ordered_json::array();
    for (const auto& [level, refs] : levels)
      jl.push_back({{"bom-ref", fmt::format("level:{}:{}", st.id, level)}, {"identifier", level}, {"requirements", refs}});
    js["levels"] = jl;
    standards.push_back(js);
  }
  j["definitions"] = {{"standards", standards}};

  ordered_json decl;
  ordered_json assessors = ordered_json::array(
      {{{"bom-ref", "assessor:iotaudit"}, {"thirdParty", false}, {"organization", {{"name", "iotaudit (automated firmware assessment)"}}}}});
  const bool declared = r.declaration.has_value();
  if (declared)
    assessors.push_back({{"bom-ref", "assessor:manufacturer"},
                         {"thirdParty", false},
                         {"organization", {{"name", r.declaration->manufacturer_name.empty()
                                                        ? std::string("the manufacturer (declaration)")
                                                        : r.declaration->manufacturer_name}}}});
  decl["assessors"] = assessors;

  ordered_json attestations = ordered_json::array();
  ordered_json claims = ordered_json::array();
  ordered_json evidence = ordered_json::array();
  std::set<std::string> evidence_refs;
  for (const auto& st : r.standards) {
    std::map<std::string, int> counts;
    ordered_json map = ordered_json::array();
    for (const auto& v : r.verdicts) {
      if (v.standard_id != st.id) continue;
      const std::string status = to_string(v.status);
      ++counts[status];
      ordered_json claim;
      claim["bom-ref"] = claim_ref(v);
      claim["target"] = "firmware";
      claim["predicate"] = fmt::format("{} {}: {}", v.standard, v.provision, status);
      std::string reasoning = v.rationale;
      if (!v.condition.empty() && v.status == VerdictStatus::not_applicable)
        reasoning += fmt::format(" (condition: {}; decided by {})", v.condition,
                                 v.condition_decided_by.empty() ? "the declaration" : v.condition_decided_by);
      for (const auto& n : v.notes) reasoning += " Note: " + n;
      claim["reasoning"] = reasoning;
      ordered_json ev = ordered_json::array();
      for (const auto& fp : v.finding_fingerprints) {
        std::string ref = "evidence:finding:" + fp;
        ev.push_back(ref);
        if (evidence_refs.insert(ref).second) {
          auto t = finding_titles.find(fp);
          evidence.push_back({{"bom-ref", ref},
                              {"propertyName", "iotaudit:finding"},
                              {"data", ordered_json::array({{{"name", t != finding_titles.end() ? t->second : fp}}})},
                              {"created", created}});
        }
      }
      if (v.declared) {
        std::string ref = fmt::format("evidence:declared:{}:{}", v.standard_id, v.provision);
        ev.push_back(ref);
        ordered_json data = ordered_json::array({{{"name", v.rationale}}});
        for (const auto& d : v.documents) {
          ordered_json item = {{"name", d}};
          if ((d.starts_with("https://") || d.starts_with("http://")) && d.find_first_of(" \t\n\"<>") == std::string::npos)
            item["contents"] = {{"url", d}};
          data.push_back(item);
        }
        evidence.push_back({{"bom-ref", ref}, {"propertyName", "iotaudit:declared"}, {"data", data}, {"created", created}});
      }
      if (!ev.empty()) claim["evidence"] = ev;
      claims.push_back(claim);
      ordered_json m;
      m["requirement"] = req_ref(v);
      if (v.status == VerdictStatus::fail)
        m["counterClaims"] = ordered_json::array({claim_ref(v)});
      else
        m["claims"] = ordered_json::array({claim_ref(v)});
      if (v.status == VerdictStatus::pass || v.status == VerdictStatus::fail)
        m["conformance"] = {{"score", v.status == VerdictStatus::pass ? 1.0 : 0.0}, {"rationale", v.rationale}};
      else
        m["conformance"] = {{"rationale", fmt::format("{}: {}", status, v.rationale)}};
      m["confidence"] = {{"rationale", v.declared ? "decided by the manufacturer's declaration"
                                                  : "decided by automated analysis of the firmware image"}};
      map.push_back(m);
    }
    std::string summary;
    for (const char* s : {"pass", "fail", "not_applicable", "inconclusive", "needs_evidence"})
      if (counts[s]) summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", counts[s], s);
    attestations.push_back({{"summary", fmt::format("{} {}: {}", st.title, st.version, summary)},
                            {"assessor", "assessor:iotaudit"},
                            {"map", map}});
  }
  decl["attestations"] = attestations;
  decl["claims"] = claims;
  if (!evidence.empty()) decl["evidence"] = evidence;
  if (declared && !r.declaration->manufacturer_name.empty()) {
    ordered_json org = {{"name", r.declaration->manufacturer_name}};
    decl["targets"] = {{"organizations", ordered_json::array({org})}};
  }
  decl["affirmation"] = {{"statement", "Automated assessment of the firmware image by iotaudit against the standards "
                                       "above; not a declaration of conformity by the manufacturer."}};
  j["declarations"] = decl;
}

}  // namespace

void write_cyclonedx(const ScanResult& r, const Options& opt, std::ostream& os) {
  const Tree& t = *r.tree;
  ordered_json j;
  j["$schema"] = "http://cyclonedx.org/schema/bom-1.6.schema.json";
  j["bomFormat"] = "CycloneDX";
  j["specVersion"] = "1.6";
  j["serialNumber"] = "urn:uuid:" + uuid_from(sha256_of(input_digest(r) + "|" + opt.tool_version));
  j["version"] = 1;
  ordered_json meta;
  meta["timestamp"] = report_timestamp();
  meta["tools"] = {{"components", ordered_json::array({{{"type", "application"}, {"name", "iotaudit"},
                                                         {"version", opt.tool_version}}})}};
  ordered_json root;
  root["type"] = r.input.kind == "image" ? "firmware" : "file";
  root["bom-ref"] = "firmware";
  root["name"] = r.input.name;
  if (!r.input.sha256.empty()) root["hashes"] = ordered_json::array({{{"alg", "SHA-256"}, {"content", r.input.sha256}}});
  {
    // The architectures of the image's executables, so `iotaudit match` can apply the kernel
    // architecture rule without the firmware.
    std::set<std::string> machines;
    for (const auto& e : r.facts.elves) machines.insert(e.machine_name);
    std::string list;
    for (const auto& m : machines) list += (list.empty() ? "" : ",") + m;
    ordered_json props = ordered_json::array();
    if (!list.empty()) props.push_back({{"name", "iotaudit:elf_machines"}, {"value", list}});
    // Whether `vulnerabilities` below was checked against a database, and which: an SBOM without
    // vulnerabilities proves nothing unless this says a database was used.
    const VulnScanInfo& vi = r.facts.vuln_info;
    props.push_back({{"name", "iotaudit:vulnerability_database"},
                     {"value", vi.database_present ? fmt::format("{} ({})", vi.database_path, vi.database_note)
                                                   : "none: " + vi.database_note}});
    root["properties"] = props;
  }
  meta["component"] = root;
  j["metadata"] = meta;

  ordered_json comps = ordered_json::array();
  ordered_json refs = ordered_json::array();
  for (const auto& c : r.facts.components) {
    ordered_json jc;
    std::string ref = fmt::format("component:{}@{}", c.id, c.version);
    jc["type"] = component_type(c);
    jc["bom-ref"] = ref;
    if (!c.vendor.empty()) jc["publisher"] = c.vendor;
    jc["name"] = c.id;
    jc["version"] = c.version;
    jc["description"] = c.name;
    auto hashes = file_hashes(r, c);
    std::set<std::string> distinct;
    for (const auto& [lp, h] : hashes) distinct.insert(h);
    if (!distinct.empty()) {
      ordered_json hs = ordered_json::array();
      // CycloneDX allows one hash per algorithm; a component seen in several files lists the
      // others' hashes with its occurrences.
      hs.push_back({{"alg", "SHA-256"}, {"content", *distinct.begin()}});
      jc["hashes"] = hs;
    }
    if (!c.cpe.empty()) jc["cpe"] = c.cpe;
    if (!c.purl.empty()) jc["purl"] = c.purl;
    double conf = c.confidence == "high" ? 0.9 : c.confidence == "medium" ? 0.6 : 0.3;
    ordered_json evidence;
    ordered_json methods = ordered_json::array();
    std::set<std::string> seen_methods;
    for (const auto& o : c.occurrences)
      if (seen_methods.insert(o.method).second)
        methods.push_back({{"technique", o.method.find("classifier") == 0 ? "binary-analysis" : "other"},
                           {"confidence", conf},
                           {"value", o.method}});
    evidence["identity"] = ordered_json::array({{{"field", "version"}, {"confidence", conf},
                                                 {"concludedValue", c.version}, {"methods", methods}}});
    ordered_json occ = ordered_json::array();
    for (const auto& o : c.occurrences) {
      ordered_json jo;
      jo["location"] = o.path.empty() ? t.logical_path(o.node) : o.path;
      jo["offset"] = o.offset;
      std::string lp = t.logical_path(o.node);
      std::string ctx = fmt::format("{} in {}", o.evidence, lp);
      if (auto it = hashes.find(lp); it != hashes.end()) ctx += " (sha256 " + it->second + ")";
      jo["additionalContext"] = ctx;
      occ.push_back(jo);
    }
    evidence["occurrences"] = occ;
    jc["evidence"] = evidence;
    ordered_json props = ordered_json::array();
    props.push_back({{"name", "iotaudit:confidence"}, {"value", c.confidence}});
    for (const auto& [k, v] : c.properties) props.push_back({{"name", "iotaudit:" + k}, {"value", v}});
    if (c.occurrences_omitted)
      props.push_back({{"name", "iotaudit:occurrences_omitted"}, {"value", std::to_string(c.occurrences_omitted)}});
    jc["properties"] = props;
    comps.push_back(jc);
    refs.push_back(ref);
  }
  j["components"] = comps;
  ordered_json deps = ordered_json::array({{{"ref", "firmware"}, {"dependsOn", refs}}});
  // Run-time dependencies between components (shared libraries their binaries need).
  for (const auto& c : r.facts.components) {
    if (c.depends_on.empty()) continue;
    ordered_json on = ordered_json::array();
    for (const auto& d : c.depends_on) on.push_back(fmt::format("component:{}@{}", d.id, d.version));
    deps.push_back({{"ref", fmt::format("component:{}@{}", c.id, c.version)}, {"dependsOn", on}});
  }
  j["dependencies"] = deps;
  if (!r.facts.vulns.empty()) j["vulnerabilities"] = kVulnerabilitiesSlot;
  add_attestation(r, j);
  os << dump_cyclonedx(j, r.facts.vulns) << "\n";
}

void write_spdx(const ScanResult& r, const Options& opt, std::ostream& os) {
  const Tree& t = *r.tree;
  ordered_json j;
  j["spdxVersion"] = "SPDX-2.3";
  j["dataLicense"] = "CC0-1.0";
  j["SPDXID"] = "SPDXRef-DOCUMENT";
  j["name"] = r.input.name;
  j["documentNamespace"] = fmt::format("urn:uuid:{}", uuid_from(sha256_of("spdx|" + input_digest(r) + "|" + opt.tool_version)));
  j["creationInfo"] = {{"created", report_timestamp()}, {"creators", ordered_json::array({"Tool: iotaudit-" + opt.tool_version})}};
  ordered_json pkgs = ordered_json::array();
  ordered_json rels = ordered_json::array();
  ordered_json fw;
  fw["SPDXID"] = "SPDXRef-Firmware";
  fw["name"] = r.input.name;
  fw["downloadLocation"] = "NOASSERTION";
  fw["filesAnalyzed"] = false;
  if (!r.input.sha256.empty())
    fw["checksums"] = ordered_json::array({{{"algorithm", "SHA256"}, {"checksumValue", r.input.sha256}}});
  fw["licenseConcluded"] = "NOASSERTION";
  fw["licenseDeclared"] = "NOASSERTION";
  fw["copyrightText"] = "NOASSERTION";
  fw["primaryPackagePurpose"] = r.input.kind == "image" ? "FIRMWARE" : "OTHER";
  pkgs.push_back(fw);
  rels.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"}, {"relationshipType", "DESCRIBES"},
                  {"relatedSpdxElement", "SPDXRef-Firmware"}});
  for (const auto& c : r.facts.components) {
    std::string id = spdx_id("SPDXRef-Package-" + c.id + "-" + c.version);
    ordered_json p;
    p["SPDXID"] = id;
    p["name"] = c.id;
    p["versionInfo"] = c.version;
    p["supplier"] = c.vendor.empty() ? std::string("NOASSERTION") : "Organization: " + c.vendor;
    p["downloadLocation"] = "NOASSERTION";
    p["filesAnalyzed"] = false;
    auto hashes = file_hashes(r, c);
    if (hashes.size() == 1)
      p["checksums"] = ordered_json::array({{{"algorithm", "SHA256"}, {"checksumValue", hashes.begin()->second}}});
    p["licenseConcluded"] = "NOASSERTION";
    p["licenseDeclared"] = "NOASSERTION";
    p["copyrightText"] = "NOASSERTION";
    p["summary"] = c.name;
    std::string where;
    for (const auto& o : c.occurrences)
      where += fmt::format("{}{} @{} (\"{}\")", where.empty() ? "" : "; ", t.logical_path(o.node), o.offset, o.evidence);
    p["sourceInfo"] = fmt::format("identified by iotaudit ({} confidence) at: {}", c.confidence, where);
    ordered_json refs = ordered_json::array();
    if (!c.cpe.empty())
      refs.push_back({{"referenceCategory", "SECURITY"}, {"referenceType", "cpe23Type"}, {"referenceLocator", c.cpe}});
    if (!c.purl.empty())
      refs.push_back({{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", c.purl}});
    if (!refs.empty()) p["externalRefs"] = refs;
    p["primaryPackagePurpose"] = component_type(c) == "operating-system" ? "OPERATING_SYSTEM"
                                 : component_type(c) == "firmware"       ? "FIRMWARE"
                                 : component_type(c) == "library"        ? "LIBRARY"
                                                                         : "APPLICATION";
    pkgs.push_back(p);
    rels.push_back({{"spdxElementId", "SPDXRef-Firmware"}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", id}});
    for (const auto& d : c.depends_on)
      rels.push_back({{"spdxElementId", id},
                      {"relationshipType", "DEPENDS_ON"},
                      {"relatedSpdxElement", spdx_id("SPDXRef-Package-" + d.id + "-" + d.version)},
                      {"comment", d.evidence}});
  }
  j["packages"] = pkgs;
  j["relationships"] = rels;
  os << dump_pretty(j) << "\n";
}

}  // namespace iotaudit::report
