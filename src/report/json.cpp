// The full result as JSON. The shape is versioned (schema/report.schema.json, "iotaudit-report/1");
// everything except `stats` is deterministic for a given input and tool version.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "report/document.hpp"
#include "report/json_text.hpp"
#include "report/report.hpp"

namespace iotaudit::report {

using nlohmann::ordered_json;

namespace {

ordered_json evidence_json(const Evidence& e) {
  ordered_json j;
  j["logical_path"] = e.logical_path;
  if (!e.path.empty()) j["path"] = e.path;
  if (e.line) j["line"] = *e.line;
  if (e.offset) j["offset"] = *e.offset;
  if (e.length) j["length"] = *e.length;
  if (!e.excerpt.empty()) j["excerpt"] = e.excerpt;
  ordered_json facts = ordered_json::object();
  for (const auto& [k, v] : e.facts) facts[k] = v;
  j["facts"] = facts;
  return j;
}

}  // namespace

std::string vuln_status_name(const VulnMatch& m) {
  if (m.suppressed_by_vex) return "suppressed";
  return m.status == VulnStatus::affected ? "affected" : "not_affected";
}

ordered_json report_document(const ScanResult& r, const Options& opt) {
  const Tree& t = *r.tree;
  ordered_json j;
  j["schema"] = kReportSchema;
  j["tool"] = {{"name", "iotaudit"}, {"version", opt.tool_version}};
  ordered_json input;
  input["path"] = r.input.path;
  input["name"] = r.input.name;
  input["kind"] = r.input.kind;
  if (r.input.kind == "image") {
    input["size"] = r.input.size;
    input["sha256"] = r.input.sha256;
  }
  j["input"] = input;

  ordered_json summary;
  std::map<std::string, int> by_sev;
  for (const auto& f : r.findings) by_sev[to_string(f.severity)]++;
  ordered_json sev = ordered_json::object();
  for (Severity s : {Severity::critical, Severity::high, Severity::medium, Severity::low, Severity::info})
    sev[to_string(s)] = by_sev[to_string(s)];
  summary["findings"] = r.findings.size();
  summary["by_severity"] = sev;
  summary["nodes"] = r.stats.nodes;
  summary["files"] = r.stats.files;
  summary["root_filesystems"] = r.facts.rootfs.size();
  summary["accounts"] = r.facts.accounts.size();
  summary["components"] = r.facts.components.size();
  summary["elf_files"] = r.facts.elves.size();
  {
    std::size_t affected = 0, kev = 0, suppressed = 0;
    for (const auto& v : r.facts.vulns) {
      affected += v.status == VulnStatus::affected;
      kev += v.status == VulnStatus::affected && v.kev;
      suppressed += v.status != VulnStatus::affected;
    }
    summary["vulnerabilities"] = affected;
    summary["known_exploited"] = kev;
    summary["vulnerabilities_ruled_out"] = suppressed;
  }
  j["summary"] = summary;

  // Layers: every container found, in logical-path order.
  std::vector<std::pair<std::string, NodeId>> layers;
  std::vector<std::tuple<std::string, NodeId, const Diagnostic*>> diags;
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.type == NodeType::region) layers.emplace_back(t.logical_path(id), id);
    for (const auto& d : n.diagnostics) diags.emplace_back(t.logical_path(id), id, &d);
  }
  std::sort(layers.begin(), layers.end());
  ordered_json jl = ordered_json::array();
  for (const auto& [lp, id] : layers) {
    const Node& n = t.at(id);
    ordered_json l;
    l["logical_path"] = lp;
    l["format"] = n.format;
    l["container"] = t.logical_path(n.origin.container);
    l["offset"] = n.origin.offset;
    l["length"] = n.origin.length;
    l["size"] = n.size;
    std::string status = "ok";
    for (const auto& d : n.diagnostics) {
      if (d.code.ends_with(".unsupported")) status = "unsupported";
      else if (status == "ok" && d.severity >= Severity::medium) status = "partial";
    }
    l["status"] = status;
    jl.push_back(l);
  }
  j["layers"] = jl;

  // Every byte of each carved blob is accounted for: regions above, the rest here.
  std::vector<std::pair<std::string, NodeId>> carved;
  for (NodeId id = 0; id < t.size(); ++id)
    if (!t.at(id).gaps.empty()) carved.emplace_back(t.logical_path(id), id);
  std::sort(carved.begin(), carved.end());
  ordered_json unk = ordered_json::array();
  for (const auto& [lp, id] : carved)
    for (const Gap& g : t.at(id).gaps) {
      ordered_json jg;
      jg["container"] = lp;
      jg["offset"] = g.offset;
      jg["length"] = g.length;
      jg["fill"] = g.fill.empty() ? "mixed" : g.fill;
      jg["entropy"] = std::round(g.entropy * 1000) / 1000;
      unk.push_back(jg);
    }
  j["unclaimed_regions"] = unk;

  // Per filesystem (each container's root and each root filesystem found inside one): what it holds.
  std::set<NodeId> elf_nodes;
  for (const auto& e : r.facts.elves) elf_nodes.insert(e.node);
  std::set<NodeId> rootfs(r.facts.rootfs.begin(), r.facts.rootfs.end());
  std::vector<std::pair<std::string, NodeId>> fs_list;
  for (NodeId id = 0; id < t.size(); ++id)
    if (t.at(id).fs_root == id || rootfs.contains(id)) fs_list.emplace_back(t.logical_path(id), id);
  std::sort(fs_list.begin(), fs_list.end());
  ordered_json jfs = ordered_json::array();
  for (const auto& [lp, id] : fs_list) {
    std::uint64_t files = 0, links = 0, dirs = 0, other = 0, bytes = 0, elves = 0;
    std::vector<NodeId> stack(t.at(id).children.begin(), t.at(id).children.end());
    while (!stack.empty()) {
      const Node& n = t.at(stack.back());
      NodeId cur = stack.back();
      stack.pop_back();
      if (n.type == NodeType::region) continue;  // containers found inside files are their own
      switch (n.type) {
        case NodeType::directory:
          ++dirs;
          stack.insert(stack.end(), n.children.begin(), n.children.end());
          break;
        case NodeType::file: case NodeType::hardlink:
          ++files;
          bytes += n.size;
          elves += elf_nodes.contains(cur) ? 1 : 0;
          break;
        case NodeType::symlink: ++links; break;
        default: ++other; break;
      }
    }
    ordered_json f;
    f["logical_path"] = lp;
    NodeId container = t.at(t.at(id).fs_root).parent;
    f["format"] = container != kNoNode ? t.at(container).format : "directory";
    f["root_filesystem"] = rootfs.contains(id);
    f["files"] = files;
    f["symlinks"] = links;
    f["directories"] = dirs;
    f["special"] = other;
    f["bytes"] = bytes;
    f["elf_files"] = elves;
    jfs.push_back(f);
  }
  j["filesystems"] = jfs;

  ordered_json roots = ordered_json::array();
  for (NodeId id : r.facts.rootfs) roots.push_back(t.logical_path(id));
  j["root_filesystems"] = roots;

  ordered_json accts = ordered_json::array();
  for (const auto& a : r.facts.accounts) {
    ordered_json ja;
    ja["name"] = a.name;
    ja["uid"] = a.uid;
    ja["gid"] = a.gid;
    ja["home"] = a.home;
    ja["shell"] = a.shell;
    ja["password"] = to_string(a.state);
    if (!a.hash_scheme.empty()) ja["hash_scheme"] = a.hash_scheme;
    ja["source"] = t.logical_path(a.source);
    ja["line"] = a.line;
    accts.push_back(ja);
  }
  j["accounts"] = accts;

  ordered_json svcs = ordered_json::array();
  for (const auto& s : r.facts.services) {
    ordered_json js;
    js["name"] = s.name;
    js["binary"] = s.binary;
    if (!s.resolved.empty()) js["resolved"] = s.resolved;
    js["args"] = s.args;
    js["started_by"] = s.started_by;
    if (!s.action.empty()) js["action"] = s.action;
    if (!s.console.empty()) js["console"] = s.console;
    js["user"] = s.user;
    js["user_how"] = s.user_how;
    if (!s.config.empty()) js["config"] = s.config;
    if (!s.kind.empty()) js["kind"] = s.kind;
    js["needs_root"] = s.needs_root;
    js["network"] = s.network;
    js["ports"] = s.ports;
    js["source"] = t.logical_path(s.source);
    js["source_path"] = s.source_path;
    if (s.line > 0) js["line"] = s.line;
    js["command"] = s.command;
    js["conditional"] = s.conditional;
    svcs.push_back(js);
  }
  j["services"] = svcs;

  ordered_json comps = ordered_json::array();
  for (const auto& c : r.facts.components) {
    ordered_json jc;
    jc["id"] = c.id;
    jc["name"] = c.name;
    jc["vendor"] = c.vendor;
    jc["version"] = c.version;
    if (!c.cpe.empty()) jc["cpe"] = c.cpe;
    if (!c.purl.empty()) jc["purl"] = c.purl;
    jc["confidence"] = c.confidence;
    ordered_json occ = ordered_json::array();
    for (const auto& o : c.occurrences) {
      ordered_json jo;
      jo["logical_path"] = t.logical_path(o.node);
      if (!o.path.empty()) jo["path"] = o.path;
      jo["offset"] = o.offset;
      jo["evidence"] = o.evidence;
      jo["method"] = o.method;
      jo["confidence"] = o.confidence;
      occ.push_back(jo);
    }
    jc["occurrences"] = occ;
    if (c.occurrences_omitted) jc["occurrences_omitted"] = c.occurrences_omitted;
    if (!c.properties.empty()) {
      ordered_json props = ordered_json::object();
      for (const auto& [k, v] : c.properties) props[k] = v;
      jc["properties"] = props;
    }
    if (!c.depends_on.empty()) {
      ordered_json deps = ordered_json::array();
      for (const auto& d : c.depends_on)
        deps.push_back({{"id", d.id}, {"version", d.version}, {"evidence", d.evidence}});
      jc["depends_on"] = deps;
    }
    comps.push_back(jc);
  }
  j["components"] = comps;

  const VulnScanInfo& vi = r.facts.vuln_info;
  j["vulnerability_scan"] = {{"database_present", vi.database_present},
                             {"database", vi.database_path},
                             {"note", vi.database_note},
                             {"components_checked", vi.components_checked},
                             {"components_without_version", vi.components_without_version}};
  ordered_json vulns = ordered_json::array();
  for (const auto& v : r.facts.vulns) {
    ordered_json jv;
    jv["cve"] = v.cve;
    jv["component"] = v.component_ref;
    jv["component_id"] = v.component_id;
    jv["component_version"] = v.component_version;
    jv["status"] = vuln_status_name(v);
    if (!v.justification.empty()) jv["justification"] = v.justification;
    jv["matcher"] = v.matcher;
    jv["confidence"] = v.confidence;
    jv["searched"] = v.searched;
    jv["found"] = v.found;
    jv["reason"] = v.reason;
    if (!v.severity.empty()) jv["severity"] = v.severity;
    if (v.cvss3_score >= 0) jv["cvss3"] = {{"version", v.cvss3_version}, {"vector", v.cvss3_vector}, {"score", v.cvss3_score}};
    if (v.cvss2_score >= 0) jv["cvss2"] = {{"vector", v.cvss2_vector}, {"score", v.cvss2_score}};
    jv["cwes"] = v.cwes;
    jv["kev"] = v.kev;
    if (v.kev) jv["kev_detail"] = {{"date_added", v.kev_date_added}, {"due_date", v.kev_due_date},
                                   {"ransomware", v.kev_ransomware}};
    if (v.epss >= 0) jv["epss"] = {{"score", v.epss}, {"percentile", v.epss_percentile}};
    if (!v.published.empty()) jv["published"] = v.published;
    if (v.suppressed_by_vex) jv["vex"] = {{"source", v.vex_source}, {"detail", v.vex_detail}};
    jv["description"] = v.description;
    vulns.push_back(jv);
  }
  j["vulnerabilities"] = vulns;
  ordered_json life = ordered_json::array();
  for (const auto& n : r.facts.lifecycle)
    life.push_back({{"component", n.component_ref}, {"kind", n.kind}, {"date", n.date}, {"detail", n.detail},
                    {"source", n.source}});
  j["lifecycle"] = life;

  std::map<std::string, int> arch;
  for (const auto& e : r.facts.elves)
    arch[fmt::format("{} {}-bit {}", e.machine_name, e.bits, e.endian == Endian::little ? "LE" : "BE")]++;
  ordered_json ja = ordered_json::object();
  for (const auto& [k, v] : arch) ja[k] = v;
  j["elf_architectures"] = ja;

  ordered_json fs = ordered_json::array();
  for (const auto& f : r.findings) {
    ordered_json jf;
    jf["id"] = f.fingerprint;
    jf["check"] = f.check_id;
    jf["severity"] = to_string(f.severity);
    jf["title"] = f.title;
    jf["description"] = f.description;
    jf["remediation"] = f.remediation;
    ordered_json prov = ordered_json::array();
    for (const auto& p : f.provisions) prov.push_back({{"standard", p.standard}, {"provision", p.provision}});
    jf["provisions"] = prov;
    ordered_json ev = ordered_json::array();
    for (const auto& e : f.evidence) ev.push_back(evidence_json(e));
    jf["evidence"] = ev;
    fs.push_back(jf);
  }
  j["findings"] = fs;

  ordered_json vs = ordered_json::array();
  for (const auto& v : r.verdicts) {
    ordered_json jv;
    jv["standard"] = v.standard;
    jv["provision"] = v.provision;
    jv["title"] = v.title;
    jv["level"] = v.level;
    jv["status"] = to_string(v.status);
    jv["rationale"] = v.rationale;
    jv["checks"] = v.checks;
    jv["findings"] = v.finding_fingerprints;
    if (!v.condition.empty()) jv["condition"] = v.condition;
    if (!v.maps_to.empty()) jv["maps_to"] = v.maps_to;
    if (v.declared) jv["declared"] = true;
    if (!v.documents.empty()) jv["documents"] = v.documents;
    if (!v.notes.empty()) jv["notes"] = v.notes;
    jv["standard_id"] = v.standard_id;
    jv["facts"] = v.facts;
    if (!v.condition_decided_by.empty()) jv["condition_decided_by"] = v.condition_decided_by;
    if (!v.renumbered_from.empty()) jv["renumbered_from"] = v.renumbered_from;
    vs.push_back(jv);
  }
  j["verdicts"] = vs;
  ordered_json stds = ordered_json::array();
  for (const auto& st : r.standards) {
    ordered_json js = {{"id", st.id}, {"title", st.title}, {"version", st.version}};
    if (!st.owner.empty()) js["owner"] = st.owner;
    if (!st.previous.empty()) js["previous"] = st.previous;
    js["mapping"] = st.partial_mapping ? "partial" : "equivalent";
    std::map<std::string, int> counts;
    for (const auto& v : r.verdicts)
      if (v.standard_id == st.id) ++counts[to_string(v.status)];
    ordered_json jc = ordered_json::object();
    for (const char* k : {"pass", "fail", "not_applicable", "inconclusive", "needs_evidence"}) jc[k] = counts[k];
    js["verdicts"] = jc;
    stds.push_back(js);
  }
  j["standards"] = stds;
  if (!r.declaration_source.empty())
    j["declaration"] = {{"source", r.declaration_source}, {"contradictions", r.declaration_contradictions}};

  ordered_json runs = ordered_json::array();
  for (const auto& c : r.check_runs) {
    ordered_json jc;
    jc["check"] = c.check_id;
    jc["version"] = c.version;
    jc["subjects"] = c.subjects;
    jc["conclusive"] = c.conclusive;
    jc["notes"] = c.notes;
    runs.push_back(jc);
  }
  j["checks"] = runs;

  std::sort(diags.begin(), diags.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) < std::get<0>(b);
    return std::get<2>(a)->code < std::get<2>(b)->code;
  });
  ordered_json jd = ordered_json::array();
  for (const auto& [lp, id, d] : diags)
    jd.push_back({{"logical_path", lp}, {"severity", to_string(d->severity)}, {"code", d->code}, {"message", d->message}});
  j["diagnostics"] = jd;

  j["stats"] = {{"unpack_seconds", r.stats.unpack_seconds},
                {"analyze_seconds", r.stats.analyze_seconds},
                {"total_seconds", r.stats.total_seconds},
                {"bytes_unpacked", r.stats.bytes_unpacked},
                {"threads", r.stats.threads}};
  return j;
}

void write_json(const ScanResult& r, const Options& opt, std::ostream& os) {
  os << dump_pretty(report_document(r, opt)) << "\n";
}

}  // namespace iotaudit::report
