#include "report/vulns.hpp"

#include <cctype>
#include <set>

#include <fmt/format.h>

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

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
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

ordered_json cyclonedx_vulnerabilities(const std::vector<VulnMatch>& matches) {
  ordered_json out = ordered_json::array();
  // One entry per (CVE, status): CycloneDX puts the analysis on the vulnerability, so affected and
  // ruled-out components of the same CVE become separate entries.
  std::map<std::pair<std::string, std::string>, std::vector<const VulnMatch*>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& m : matches) {
    std::string key = m.suppressed_by_vex ? "vex:" + m.justification + ":" + m.vex_detail
                      : m.status == VulnStatus::affected ? "affected"
                                                         : "ruled-out:" + m.justification + ":" + m.reason;
    auto k = std::make_pair(m.cve, key);
    if (!groups.count(k)) order.push_back(k);
    groups[k].push_back(&m);
  }
  std::set<std::string> refs_used;
  for (const auto& k : order) {
    const auto& list = groups[k];
    const VulnMatch& m = *list.front();
    ordered_json v;
    std::string ref = fmt::format("vuln:{}", m.cve);
    for (int n = 2; !refs_used.insert(ref).second; ++n) ref = fmt::format("vuln:{}#{}", m.cve, n);
    v["bom-ref"] = ref;
    v["id"] = m.cve;
    v["source"] = {{"name", "NVD"}, {"url", "https://nvd.nist.gov/vuln/detail/" + m.cve}};
    ordered_json ratings = ordered_json::array();
    if (m.cvss3_score >= 0)
      ratings.push_back({{"source", {{"name", "NVD"}}},
                         {"score", m.cvss3_score},
                         {"severity", lower(m.severity.empty() ? "unknown" : m.severity)},
                         {"method", m.cvss3_version == "3.0" ? "CVSSv3" : "CVSSv31"},
                         {"vector", m.cvss3_vector}});
    if (m.cvss2_score >= 0)
      ratings.push_back({{"source", {{"name", "NVD"}}}, {"score", m.cvss2_score}, {"method", "CVSSv2"},
                         {"vector", m.cvss2_vector}});
    if (!ratings.empty()) v["ratings"] = std::move(ratings);
    ordered_json cwes = ordered_json::array();
    for (const auto& c : m.cwes)
      if (c.rfind("CWE-", 0) == 0 && c.size() > 4 && std::isdigit(static_cast<unsigned char>(c[4])))
        cwes.push_back(std::stoi(c.substr(4)));
    if (!cwes.empty()) v["cwes"] = std::move(cwes);
    if (!m.description.empty()) v["description"] = m.description;
    if (auto p = iso_date_time(m.published); !p.empty()) v["published"] = p;
    if (auto u = iso_date_time(m.modified); !u.empty()) v["updated"] = u;
    if (m.status != VulnStatus::affected) {
      ordered_json a;
      a["state"] = "not_affected";
      if (auto j = cdx_justification(m.justification); !j.empty()) a["justification"] = j;
      a["detail"] = m.reason;
      v["analysis"] = std::move(a);
    }
    ordered_json affects = ordered_json::array();
    for (const auto* x : list) affects.push_back({{"ref", x->component_ref}});
    v["affects"] = std::move(affects);
    ordered_json props = ordered_json::array();
    props.push_back({{"name", "iotaudit:matcher"}, {"value", m.matcher}});
    props.push_back({{"name", "iotaudit:confidence"}, {"value", m.confidence}});
    props.push_back({{"name", "iotaudit:searched"}, {"value", m.searched}});
    props.push_back({{"name", "iotaudit:found"}, {"value", m.found}});
    props.push_back({{"name", "iotaudit:reason"}, {"value", m.reason}});
    if (m.kev) {
      props.push_back({{"name", "iotaudit:cisa_kev"}, {"value", "true"}});
      props.push_back({{"name", "iotaudit:cisa_kev_date_added"}, {"value", m.kev_date_added}});
    }
    if (m.epss >= 0) {
      props.push_back({{"name", "iotaudit:epss"}, {"value", fmt::format("{}", m.epss)}});
      props.push_back({{"name", "iotaudit:epss_percentile"}, {"value", fmt::format("{}", m.epss_percentile)}});
    }
    v["properties"] = std::move(props);
    out.push_back(std::move(v));
  }
  return out;
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
  for (const VulnMatch* m : in.vulns) {
    double score = best_score(*m);
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
    std::size_t idx = add_rule(m->cve, std::move(rule));
    ordered_json res;
    res["ruleId"] = m->cve;
    res["ruleIndex"] = idx;
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
    results.push_back(std::move(res));
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
