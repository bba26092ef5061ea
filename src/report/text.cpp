// Terminal summary: what was found inside, what is wrong with it, and which provisions fail.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/hash.hpp"

#include "report/report.hpp"

namespace iotaudit::report {

namespace {
const char* sev_color(Severity s) {
  switch (s) {
    case Severity::critical: return "\033[1;31m";
    case Severity::high: return "\033[31m";
    case Severity::medium: return "\033[33m";
    case Severity::low: return "\033[36m";
    case Severity::info: return "\033[37m";
  }
  return "";
}
const char* verdict_color(VerdictStatus v) {
  switch (v) {
    case VerdictStatus::pass: return "\033[32m";
    case VerdictStatus::fail: return "\033[1;31m";
    default: return "\033[33m";
  }
}
}  // namespace

void write_text(const ScanResult& r, const Options& opt, std::ostream& os) {
  const Tree& t = *r.tree;
  auto c = [&](const char* code) { return opt.color ? code : ""; };
  const char* reset = opt.color ? "\033[0m" : "";
  os << fmt::format("{}iotaudit {}{} — {}\n", c("\033[1m"), opt.tool_version, reset, r.input.path);
  if (r.input.kind == "image")
    os << fmt::format("  image   {} bytes, sha256 {}\n", r.input.size, r.input.sha256);
  else
    os << "  input   extracted root filesystem (directory)\n";

  std::vector<std::pair<std::string, NodeId>> layers;
  std::size_t diag_count = 0;
  for (NodeId id = 0; id < t.size(); ++id) {
    if (t.at(id).type == NodeType::region) layers.emplace_back(t.logical_path(id), id);
    diag_count += t.at(id).diagnostics.size();
  }
  std::sort(layers.begin(), layers.end());
  os << fmt::format("\nLayers ({})\n", layers.size());
  for (const auto& [lp, id] : layers) {
    const Node& n = t.at(id);
    os << fmt::format("  {:<56} {:>10} bytes{}\n", lp, n.size,
                      n.diagnostics.empty() ? "" : fmt::format("  [{} diagnostic(s)]", n.diagnostics.size()));
  }
  std::uint64_t gap_bytes = 0, pad_bytes = 0, gap_count = 0;
  for (NodeId id = 0; id < t.size(); ++id)
    for (const Gap& g : t.at(id).gaps) {
      ++gap_count;
      (g.fill.empty() ? gap_bytes : pad_bytes) += g.length;
    }
  if (gap_count > 0)
    os << fmt::format("  unclaimed: {} range(s): {} bytes of padding, {} bytes of unknown data\n", gap_count,
                      pad_bytes, gap_bytes);
  std::map<std::string, int> arch;
  for (const auto& e : r.facts.elves)
    arch[fmt::format("{} {}-bit {}", e.machine_name, e.bits, e.endian == Endian::little ? "LE" : "BE")]++;
  os << fmt::format("\nContents: {} files, {} ELF", r.stats.files, r.facts.elves.size());
  for (const auto& [k, v] : arch) os << fmt::format(" ({}: {})", k, v);
  os << "\n";
  for (NodeId root : r.facts.rootfs) os << fmt::format("  root filesystem  {}\n", t.logical_path(root));
  std::size_t with_pw = 0;
  for (const auto& a : r.facts.accounts) with_pw += a.state == PasswordState::hash || a.state == PasswordState::empty;
  os << fmt::format("  accounts         {} ({} with a usable password)\n", r.facts.accounts.size(), with_pw);

  os << fmt::format("\nComponents ({})\n", r.facts.components.size());
  for (const auto& cp : r.facts.components) {
    const auto& first = cp.occurrences.front();
    std::string where = first.path.empty() ? fmt::format("{} @{}", t.logical_path(first.node), hex_u64(first.offset))
                                           : first.path;
    std::size_t more = cp.occurrences.size() - 1 + cp.occurrences_omitted;
    os << fmt::format("  {:<16} {:<14} {:<6} {}{}\n", cp.id, cp.version, cp.confidence, where,
                      more ? fmt::format(" (+{} more)", more) : "");
  }
  {
    const VulnScanInfo& vi = r.facts.vuln_info;
    std::size_t affected = 0, ruled_out = 0, kev = 0;
    for (const auto& v : r.facts.vulns) {
      affected += v.status == VulnStatus::affected;
      ruled_out += v.status != VulnStatus::affected;
      kev += v.status == VulnStatus::affected && v.kev;
    }
    if (!vi.database_present) {
      os << fmt::format("\nVulnerabilities: not checked — {}\n", vi.database_note);
    } else {
      os << fmt::format("\nVulnerabilities ({} affecting, {} in CISA KEV, {} ruled out; database: {})\n", affected, kev,
                        ruled_out, vi.database_note);
      // Per component: count, worst score, and the highest-scored CVEs.
      std::map<std::string, std::vector<const VulnMatch*>> by;
      std::vector<std::string> order;
      for (const auto& v : r.facts.vulns) {
        if (v.status != VulnStatus::affected) continue;
        if (!by.count(v.component_ref)) order.push_back(v.component_ref);
        by[v.component_ref].push_back(&v);
      }
      for (const auto& ref : order) {
        const auto& list = by[ref];
        std::string top;
        for (std::size_t i = 0; i < list.size() && i < 4; ++i) {
          const VulnMatch& m = *list[i];
          double score = m.cvss3_score >= 0 ? m.cvss3_score : m.cvss2_score;
          top += (i ? ", " : "") + m.cve + (score >= 0 ? fmt::format(" ({:.1f}{})", score, m.kev ? ", KEV" : "")
                                                       : (m.kev ? std::string(" (KEV)") : std::string()));
        }
        if (list.size() > 4) top += fmt::format(", +{} more", list.size() - 4);
        os << fmt::format("  {:<16} {:<14} {:>4}  {}\n", list.front()->component_id, list.front()->component_version,
                          list.size(), top);
      }
    }
    for (const auto& n : r.facts.lifecycle) os << fmt::format("  {:<10} {}\n", n.kind, n.detail);
  }
  os << fmt::format("\nFindings ({})\n", r.findings.size());
  for (const auto& f : r.findings) {
    os << fmt::format("  {}{:<8}{} {}\n", c(sev_color(f.severity)), to_string(f.severity), reset, f.title);
    for (const auto& e : f.evidence) {
      os << fmt::format("           at {}{}\n", e.logical_path, e.line ? fmt::format(":{}", *e.line) : "");
      if (!e.excerpt.empty()) os << fmt::format("           {}\n", e.excerpt);
    }
    if (!f.provisions.empty()) {
      std::string p;
      for (const auto& pr : f.provisions) p += (p.empty() ? "" : ", ") + pr.standard + " " + pr.provision;
      os << fmt::format("           breaks {}\n", p);
    }
  }
  os << "\nVerdicts\n";
  // Documentation-only provisions are listed together per standard: the terminal shows what the
  // firmware decided; the JSON report has every verdict with its rationale.
  std::map<std::string, std::vector<std::string>> documentation_only;
  // The first standard (EN 303 645, on which the others are mapped) is listed provision by
  // provision; the others in one line each: counts, and the provisions that fail.
  const std::string first = r.verdicts.empty() ? std::string() : r.verdicts.front().standard;
  std::vector<std::string> others;
  std::map<std::string, std::map<std::string, std::size_t>> counts;
  std::map<std::string, std::vector<std::string>> failing;
  for (const auto& v : r.verdicts) {
    if (v.standard != first) {
      if (!counts.contains(v.standard)) others.push_back(v.standard);
      ++counts[v.standard][to_string(v.status)];
      if (v.status == VerdictStatus::fail) failing[v.standard].push_back(v.provision);
      continue;
    }
    if (v.status == VerdictStatus::needs_evidence) {
      documentation_only[v.standard].push_back(v.provision);
      continue;
    }
    os << fmt::format("  {} {:<13} {}{:<15}{} {}\n", v.standard, v.provision, c(verdict_color(v.status)),
                      to_string(v.status), reset, v.rationale);
  }
  for (const auto& [standard, ids] : documentation_only)
    os << fmt::format("  {} {}{}{} provision(s) need documentation evidence (needs_evidence): {}\n", standard,
                      c(verdict_color(VerdictStatus::needs_evidence)), ids.size(), reset, fmt::join(ids, ", "));
  for (const auto& standard : others) {
    std::string line;
    for (const char* st : {"fail", "inconclusive", "pass", "not_applicable", "needs_evidence"})
      if (auto n = counts[standard][st]; n > 0) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, st);
    os << fmt::format("  {}: {}{}\n", standard, line,
                      failing[standard].empty() ? "" : fmt::format(" — failing: {}", fmt::join(failing[standard], ", ")));
  }
  if (diag_count > 0) os << fmt::format("\n{} diagnostic(s) recorded; see the JSON report.\n", diag_count);
  os << fmt::format("\nScanned in {:.2f} s ({} nodes, {} thread(s)).\n", r.stats.total_seconds, r.stats.nodes,
                    r.stats.threads);
}

}  // namespace iotaudit::report
