#include "report/vulns.hpp"

#include <cctype>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "core/text.hpp"
#include "report/json_text.hpp"

namespace iotaudit::report {

using nlohmann::ordered_json;

namespace {

// A relative URI reference for SARIF's artifactLocation: the path inside the firmware filesystem
// without its leading '/', percent-encoded; the input's name when there is no path (or it is the
// filesystem root).
std::string artifact_uri(std::string_view path, std::string_view fallback) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) path = fallback;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return "firmware";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == '+' || c == ',' || c == '=')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}


// OpenVEX and free-form justifications -> the CycloneDX vocabulary; "" when there is no equivalent.
std::string cdx_justification(const std::string& j) {
  static const std::map<std::string, std::string> map = {
      {"code_not_present", "code_not_present"}, {"code_not_reachable", "code_not_reachable"},
      {"requires_configuration", "requires_configuration"}, {"requires_dependency", "requires_dependency"},
      {"requires_environment", "requires_environment"}, {"protected_by_compiler", "protected_by_compiler"},
      {"protected_at_runtime", "protected_at_runtime"}, {"protected_at_perimeter", "protected_at_perimeter"},
      {"protected_by_mitigating_control", "protected_by_mitigating_control"},
      {"component_not_present", "code_not_present"}, {"vulnerable_code_not_present", "code_not_present"},
      {"vulnerable_code_not_in_execute_path", "code_not_reachable"},
      {"vulnerable_code_cannot_be_controlled_by_adversary", "protected_at_runtime"},
      {"inline_mitigations_already_exist", "protected_by_mitigating_control"}};
  auto it = map.find(j);
  return it == map.end() ? "" : it->second;
}

double best_score(const VulnMatch& m) { return m.cvss3_score >= 0 ? m.cvss3_score : m.cvss2_score; }

}  // namespace

std::string iso_date_time(const std::string& s) {
  // YYYY-MM-DDTHH:MM[:SS[.fff]][Z]
  if (s.size() < 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':') return "";
  std::string out = s.substr(0, 16);
  std::size_t i = 16;
  if (i < s.size() && s[i] == ':' && i + 3 <= s.size()) {
    out += s.substr(i, 3);
    i += 3;
  } else {
    out += ":00";
  }
  while (i < s.size() && (s[i] == '.' || std::isdigit(static_cast<unsigned char>(s[i])))) out += s[i++];
  return out + "Z";
}

namespace {

void write_vulnerability(JsonTextWriter& w, const std::vector<const VulnMatch*>& list, const std::string& ref) {
  const VulnMatch& m = *list.front();
  w.begin_object();
  w.member("bom-ref", ref);
  w.member("id", m.cve);
  w.key("source");
  w.begin_object();
  w.member("name", "NVD");
  w.member("url", "https://nvd.nist.gov/vuln/detail/" + m.cve);
  w.end_object();
  if (m.cvss3_score >= 0 || m.cvss2_score >= 0) {
    auto rating = [&](double score, std::string_view severity, std::string_view method, std::string_view vector) {
      w.begin_object();
      w.key("source");
      w.begin_object();
      w.member("name", "NVD");
      w.end_object();
      w.member("score", score);
      if (!severity.empty()) w.member("severity", severity);
      w.member("method", method);
      w.member("vector", vector);
      w.end_object();
    };
    w.key("ratings");
    w.begin_array();
    if (m.cvss3_score >= 0)
      rating(m.cvss3_score, ascii_lower(m.severity.empty() ? "unknown" : m.severity),
             m.cvss3_version == "3.0" ? "CVSSv3" : "CVSSv31", m.cvss3_vector);
    if (m.cvss2_score >= 0) rating(m.cvss2_score, "", "CVSSv2", m.cvss2_vector);
    w.end_array();
  }
  std::vector<long long> cwes;
  for (const auto& c : m.cwes)
    if (c.rfind("CWE-", 0) == 0 && c.size() > 4 && std::isdigit(static_cast<unsigned char>(c[4])))
      cwes.push_back(std::stoi(c.substr(4)));
  if (!cwes.empty()) {
    w.key("cwes");
    w.begin_array();
    for (long long c : cwes) w.value(c);
    w.end_array();
  }
  if (!m.description.empty()) w.member("description", m.description);
  if (auto p = iso_date_time(m.published); !p.empty()) w.member("published", p);
  if (auto u = iso_date_time(m.modified); !u.empty()) w.member("updated", u);
  if (m.status != VulnStatus::affected) {
    w.key("analysis");
    w.begin_object();
    w.member("state", "not_affected");
    if (auto j = cdx_justification(m.justification); !j.empty()) w.member("justification", j);
    w.member("detail", m.reason);
    w.end_object();
  }
  w.key("affects");
  w.begin_array();
  for (const auto* x : list) {
    w.begin_object();
    w.member("ref", x->component_ref);
    w.end_object();
  }
  w.end_array();
  w.key("properties");
  w.begin_array();
  auto prop = [&](std::string_view name, std::string_view value) {
    w.begin_object();
    w.member("name", name);
    w.member("value", value);
    w.end_object();
  };
  prop("iotaudit:matcher", m.matcher);
  prop("iotaudit:confidence", m.confidence);
  prop("iotaudit:searched", m.searched);
  prop("iotaudit:found", m.found);
  prop("iotaudit:reason", m.reason);
  if (m.kev) {
    prop("iotaudit:cisa_kev", "true");
    prop("iotaudit:cisa_kev_date_added", m.kev_date_added);
  }
  if (m.epss >= 0) {
    prop("iotaudit:epss", fmt::format("{}", m.epss));
    prop("iotaudit:epss_percentile", fmt::format("{}", m.epss_percentile));
  }
  w.end_array();
  w.end_object();
}

}  // namespace

namespace {

// The entries of the `vulnerabilities` array as dump(2) writes them nested at `indent`, each on its
// own (a kernel has 1,600), in parallel.
std::vector<std::string> vulnerability_entries(const std::vector<VulnMatch>& matches, std::size_t indent) {
  // One entry per (CVE, status): CycloneDX puts the analysis on the vulnerability, so affected and
  // ruled-out components of the same CVE become separate entries. Grouped by hash on the CVE
  // (after its length) and the status, in the order of first appearance (ordered maps of string
  // pairs cost 2 M instructions for a kernel's 1,600 matches, before the parallel part).
  std::unordered_map<std::string, std::size_t> group_of;
  std::vector<std::vector<const VulnMatch*>> groups;
  std::vector<std::string> refs;  // per group
  for (const auto& m : matches) {
    std::string key = std::to_string(m.cve.size()) + ':' + m.cve;
    if (m.suppressed_by_vex) key += "vex:" + m.justification + ":" + m.vex_detail;
    else if (m.status == VulnStatus::affected) key += "affected";
    else key += "ruled-out:" + m.justification + ":" + m.reason;
    auto [it, fresh] = group_of.try_emplace(std::move(key), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(&m);
  }
  std::unordered_set<std::string> refs_used;
  refs_used.reserve(groups.size());
  for (const auto& g : groups) {
    const std::string& cve = g.front()->cve;
    std::string ref = "vuln:" + cve;
    for (int n = 2; !refs_used.insert(ref).second; ++n) ref = fmt::format("vuln:{}#{}", cve, n);
    refs.push_back(std::move(ref));
  }
  std::vector<std::string> parts(groups.size());
  tbb::parallel_for(std::size_t{0}, groups.size(), [&](std::size_t i) {
    const std::vector<const VulnMatch*>& list = groups[i];
    // Room for the entry's fixed text and its long strings, so it is not copied as it grows.
    std::size_t room = 1024 + list.front()->description.size();
    for (const VulnMatch* m : list) room += 512 + m->reason.size() + m->found.size() + m->searched.size();
    parts[i].reserve(room);
    JsonTextWriter w(parts[i], indent + 2);
    write_vulnerability(w, list, refs[i]);
  });
  return parts;
}

// The slot as dump() writes it: a string value cannot hold a raw newline, so text inside the
// document never matches the member with its line break.
constexpr std::string_view kSlotToken = "\"\\u0001iotaudit:vulnerabilities\\u0001\"";

}  // namespace

std::string cyclonedx_vulnerabilities_text(const std::vector<VulnMatch>& matches, std::size_t indent) {
  std::string out;
  append_array(out, vulnerability_entries(matches, indent), indent);
  return out;
}

const char* const kVulnerabilitiesSlot = "\x01iotaudit:vulnerabilities\x01";

CycloneDxFrame split_at_slot(std::string text) {
  CycloneDxFrame f;
  f.head = std::move(text);
  std::size_t at = f.head.find("\n  \"vulnerabilities\": " + std::string(kSlotToken));
  if (at == std::string::npos) return f;
  at = f.head.find(kSlotToken, at);
  f.tail = f.head.substr(at + kSlotToken.size());
  f.head.resize(at);
  f.slot = true;
  return f;
}

CycloneDxFrame cyclonedx_frame(const ordered_json& doc) { return split_at_slot(dump_pretty(doc)); }

std::size_t CycloneDxPieces::size() const {
  std::size_t n = 0;
  for (auto p : pieces) n += p.size();
  return n;
}

std::string CycloneDxPieces::joined() const {
  std::string out;
  out.reserve(size());
  for (auto p : pieces) out += p;
  return out;
}

CycloneDxPieces cyclonedx_pieces(const CycloneDxFrame& frame, const std::vector<VulnMatch>& matches,
                                 std::string_view trailer) {
  CycloneDxPieces c;
  if (!frame.slot) {
    c.pieces = {frame.head, trailer};
    return c;
  }
  // The array as append_array() writes it at indentation 2: "[\n", each entry after four spaces,
  // separated by ",\n", then "\n  ]"; "[]" when empty.
  c.parts = vulnerability_entries(matches, 2);
  c.pieces.reserve(2 * c.parts.size() + 5);
  c.pieces.push_back(frame.head);
  if (c.parts.empty()) {
    c.pieces.push_back("[]");
  } else {
    c.pieces.push_back("[\n    ");
    for (std::size_t i = 0; i < c.parts.size(); ++i) {
      if (i) c.pieces.push_back(",\n    ");
      c.pieces.push_back(c.parts[i]);
    }
    c.pieces.push_back("\n  ]");
  }
  c.pieces.push_back(frame.tail);
  c.pieces.push_back(trailer);
  return c;
}

std::string dump_cyclonedx(const CycloneDxFrame& frame, const std::vector<VulnMatch>& matches,
                           std::string_view trailer) {
  return cyclonedx_pieces(frame, matches, trailer).joined();
}

std::string dump_cyclonedx(const ordered_json& doc, const std::vector<VulnMatch>& matches) {
  return dump_cyclonedx(cyclonedx_frame(doc), matches);
}

ordered_json sarif_log(const SarifInput& in) {
  ordered_json rules = ordered_json::array();
  ordered_json results = ordered_json::array();
  std::map<std::string, std::size_t> rule_index;
  auto add_rule = [&](const std::string& id, ordered_json rule) {
    auto it = rule_index.find(id);
    if (it != rule_index.end()) return it->second;
    rule_index[id] = rules.size();
    rules.push_back(std::move(rule));
    return rules.size() - 1;
  };
  auto level_of = [](Severity s) {
    return s >= Severity::high ? "error" : s == Severity::medium ? "warning" : "note";
  };
  auto security_severity = [](Severity s) {
    return s == Severity::critical ? "9.5" : s == Severity::high ? "8.0" : s == Severity::medium ? "5.5"
                                           : s == Severity::low   ? "2.0"
                                                                  : "0.0";
  };
  for (const Finding* f : in.findings) {
    ordered_json rule;
    rule["id"] = f->check_id;
    if (auto it = in.rule_text.find(f->check_id); it != in.rule_text.end()) {
      rule["name"] = it->second.first;
      rule["shortDescription"] = {{"text", it->second.first}};
      rule["fullDescription"] = {{"text", it->second.second}};
    } else {
      rule["shortDescription"] = {{"text", f->title}};
      rule["fullDescription"] = {{"text", f->description}};
    }
    rule["help"] = {{"text", f->remediation.empty() ? f->description : f->remediation}};
    ordered_json tags = ordered_json::array({"security"});
    for (const auto& p : f->provisions) tags.push_back(p.standard + " " + p.provision);
    rule["properties"] = {{"tags", tags}};
    std::size_t idx = add_rule(f->check_id, std::move(rule));
    ordered_json res;
    res["ruleId"] = f->check_id;
    res["ruleIndex"] = idx;
    res["level"] = level_of(f->severity);
    res["message"] = {{"text", f->title}};
    ordered_json locs = ordered_json::array();
    for (const auto& e : f->evidence) {
      ordered_json loc;
      ordered_json phys = {{"artifactLocation", {{"uri", artifact_uri(e.path, in.fallback_uri)}}}};
      if (e.line) phys["region"] = {{"startLine", *e.line}};
      loc["physicalLocation"] = std::move(phys);
      loc["logicalLocations"] = ordered_json::array({{{"fullyQualifiedName", e.logical_path}, {"kind", "member"}}});
      locs.push_back(std::move(loc));
      if (locs.size() >= 5) break;
    }
    if (!locs.empty()) res["locations"] = std::move(locs);
    ordered_json provisions = ordered_json::array();
    for (const auto& p : f->provisions) provisions.push_back(p.standard + " " + p.provision);
    res["properties"] = {{"severity", to_string(f->severity)},
                         {"security-severity", security_severity(f->severity)},
                         {"provisions", provisions},
                         {"logical_path", f->evidence.empty() ? "" : f->evidence.front().logical_path}};
    res["partialFingerprints"] = {{"iotaudit/v1", f->fingerprint}};
    results.push_back(std::move(res));
  }
  // Vulnerabilities: rule indices assigned in order (a CVE matching several components has one
  // rule), then rules and results built in parallel (a kernel has 1,600) and appended in order.
  std::vector<std::size_t> vuln_rule(in.vulns.size());
  std::vector<bool> new_rule(in.vulns.size(), false);
  for (std::size_t i = 0; i < in.vulns.size(); ++i) {
    const std::string& id = in.vulns[i]->cve;
    auto it = rule_index.find(id);
    if (it == rule_index.end()) {
      it = rule_index.emplace(id, rule_index.size()).first;
      new_rule[i] = true;
    }
    vuln_rule[i] = it->second;
  }
  std::vector<ordered_json> vuln_rules(in.vulns.size()), vuln_results(in.vulns.size());
  tbb::parallel_for(std::size_t{0}, in.vulns.size(), [&](std::size_t i) {
    const VulnMatch* m = in.vulns[i];
    double score = best_score(*m);
    if (new_rule[i]) {
      ordered_json rule;
      rule["id"] = m->cve;
      rule["shortDescription"] = {{"text", m->cve}};
      rule["fullDescription"] = {{"text", m->description.empty() ? m->cve : m->description}};
      rule["helpUri"] = "https://nvd.nist.gov/vuln/detail/" + m->cve;
      rule["help"] = {{"text", fmt::format("Update {} to a release outside the vulnerable range, or state in a VEX "
                                           "document why the vulnerability does not apply.", m->component_id)}};
      ordered_json rp = {{"tags", ordered_json::array({"security", "vulnerability"})}};
      if (score >= 0) rp["security-severity"] = fmt::format("{:.1f}", score);
      rule["properties"] = std::move(rp);
      vuln_rules[i] = std::move(rule);
    }
    ordered_json res;
    res["ruleId"] = m->cve;
    res["ruleIndex"] = vuln_rule[i];
    Severity s = score < 0 ? Severity::medium : score >= 9 ? Severity::critical : score >= 7 ? Severity::high
                                            : score >= 4   ? Severity::medium
                                                           : Severity::low;
    res["level"] = m->kev ? "error" : level_of(s);
    res["message"] = {{"text", fmt::format("{} {} is affected by {}{}: {}", m->component_name.empty() ? m->component_id : m->component_name,
                                           m->component_version, m->cve, m->kev ? " (CISA KEV)" : "", m->reason)}};
    std::string uri;
    // Only a path inside a filesystem is an artifact location; a byte range of a raw blob is
    // described by the logical location instead.
    if (auto it = in.component_location.find(m->component_ref);
        it != in.component_location.end() && !it->second.empty() && it->second[0] == '/')
      uri = it->second;
    uri = artifact_uri(uri, in.fallback_uri);
    res["locations"] = ordered_json::array(
        {{{"physicalLocation", {{"artifactLocation", {{"uri", uri}}}}},
          {"logicalLocations", ordered_json::array({{{"fullyQualifiedName", m->component_ref}, {"kind", "module"}}})}}});
    ordered_json props = {{"component", m->component_ref}, {"matcher", m->matcher}, {"confidence", m->confidence},
                          {"searched", m->searched}, {"found", m->found}, {"kev", m->kev}};
    if (m->epss >= 0) props["epss"] = m->epss;
    res["properties"] = std::move(props);
    res["partialFingerprints"] = {{"iotaudit/v1", m->cve + "|" + m->component_ref}};
    if (m->status != VulnStatus::affected)
      res["suppressions"] = ordered_json::array({{{"kind", "external"}, {"justification", m->reason}}});
    vuln_results[i] = std::move(res);
  });
  for (std::size_t i = 0; i < in.vulns.size(); ++i) {
    if (new_rule[i]) rules.push_back(std::move(vuln_rules[i]));
    results.push_back(std::move(vuln_results[i]));
  }
  ordered_json driver = {{"name", "iotaudit"},
                         {"version", in.tool_version},
                         {"rules", std::move(rules)}};
  ordered_json run = {{"tool", {{"driver", std::move(driver)}}}, {"results", std::move(results)}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", ordered_json::array({std::move(run)})}};
}

}  // namespace iotaudit::report
