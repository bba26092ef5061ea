// GitHub-flavoured Markdown for pull-request comments and CI job summaries: the summary, the verdicts
// per standard, the findings, the components and a summary of the CVEs. Rendered from the JSON
// report document, like the HTML report.
//
// Firmware strings are hostile here too: GitHub renders inline HTML in Markdown (an <img> would be
// fetched by every reader of the comment). Plain text goes through md_text(), which turns markup
// characters into entities or backslash escapes; paths and excerpts go into code spans, where
// nothing is interpreted, through md_code(). Long lists are cut so that the output stays within
// what a comment holds (GitHub: 65536 characters).
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/document.hpp"
#include "report/md.hpp"
#include "report/report.hpp"

namespace iotaudit::report {

using nlohmann::ordered_json;

// One line of text inside a table cell or paragraph.
std::string md_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '|': out += "\\|"; break;
      case '\n': case '\r': case '\t': out += ' '; break;
      // Emphasis, code, links (no '[' means no link, so parentheses stay) and strikethrough.
      case '\\': case '`': case '*': case '_': case '[': case ']': case '~':
        out += '\\';
        out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += "\xEF\xBF\xBD";
        else out += c;
    }
  }
  return out;
}

// A code span holding `s` literally: a fence longer than any backtick run inside, '|' escaped for
// tables (GFM removes that backslash before the span is parsed), line breaks as spaces.
std::string md_code(std::string_view s) {
  if (s.empty()) return "";
  std::string body;
  std::size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '\n' || c == '\r' || c == '\t') body += ' ';
    else if (c == '|') body += "\\|";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) body += "\xEF\xBF\xBD";
    else body += c;
  }
  std::string fence(longest + 1, '`');
  bool pad = body.front() == '`' || body.back() == '`' || (body.front() == ' ' && body.back() == ' ');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}


namespace {

std::string str(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}
std::uint64_t u64(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}
const ordered_json& arr(const ordered_json& j, const char* key) {
  static const ordered_json empty = ordered_json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

int severity_rank(const std::string& s) {
  static const std::map<std::string, int> rank = {{"critical", 4}, {"high", 3}, {"medium", 2}, {"low", 1}, {"info", 0}};
  auto it = rank.find(s);
  return it == rank.end() ? -1 : it->second;
}
const char* severity_mark(const std::string& s) {
  switch (severity_rank(s)) {
    case 4: return "🟥";
    case 3: return "🟧";
    case 2: return "🟨";
    case 1: return "🟦";
    default: return "⬜";
  }
}
const std::vector<std::string> kSeverities = {"critical", "high", "medium", "low", "info"};
const std::vector<std::string> kStatuses = {"pass", "fail", "not_applicable", "inconclusive", "needs_evidence"};

double best_score(const ordered_json& v) {
  auto score = [](const ordered_json& j, const char* k) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_object()) return -1.0;
    auto s = it->find("score");
    return s != it->end() && s->is_number() ? s->get<double>() : -1.0;
  };
  double s3 = score(v, "cvss3");
  return s3 >= 0 ? s3 : score(v, "cvss2");
}

}  // namespace

void write_markdown(const ScanResult& r, const Options& opt, std::ostream& os) {
  const ordered_json doc = report_document(r, opt);
  const auto& in = doc["input"];
  const auto& sum = doc["summary"];
  constexpr std::size_t kMaxFindings = 60, kMaxComponents = 80, kMaxFailing = 80;

  os << fmt::format("## iotaudit: {}\n\n", md_text(str(in, "name")));
  os << "| | |\n|---|---|\n";
  if (str(in, "kind") == "image") {
    os << fmt::format("| Image | {} bytes |\n", u64(in, "size"));
    os << fmt::format("| SHA-256 | `{}` |\n", md_text(str(in, "sha256")));
  } else {
    os << "| Input | extracted root filesystem (directory) |\n";
  }
  os << fmt::format("| Tool | iotaudit {} |\n", md_text(str(doc["tool"], "version")));
  std::string sev_line;
  for (const auto& s : kSeverities) {
    int n = sum["by_severity"].value(s, 0);
    if (n > 0) sev_line += fmt::format("{}{} {} {}", sev_line.empty() ? "" : ", ", severity_mark(s), n, s);
  }
  os << fmt::format("| Findings | {} |\n", sev_line.empty() ? "none" : sev_line);
  os << fmt::format("| Components | {} |\n", u64(sum, "components"));
  const auto& vscan = doc["vulnerability_scan"];
  if (vscan.value("database_present", false))
    os << fmt::format("| Vulnerabilities | {} affecting, {} in CISA KEV, {} ruled out |\n", u64(sum, "vulnerabilities"),
                      u64(sum, "known_exploited"), u64(sum, "vulnerabilities_ruled_out"));
  else
    os << fmt::format("| Vulnerabilities | not checked: {} |\n", md_text(str(vscan, "note")));
  os << fmt::format("| Diagnostics | {} |\n\n", arr(doc, "diagnostics").size());

  // Verdicts: counts per standard, then the provisions that fail.
  const auto& verdicts = arr(doc, "verdicts");
  os << "### Verdicts\n\n";
  if (verdicts.empty()) {
    os << "No standard was evaluated.\n\n";
  } else {
    std::vector<std::string> standards, statuses = kStatuses;
    std::map<std::string, std::map<std::string, int>> count;
    for (const auto& v : verdicts) {
      std::string st = str(v, "standard"), s = str(v, "status");
      if (std::find(standards.begin(), standards.end(), st) == standards.end()) standards.push_back(st);
      if (std::find(statuses.begin(), statuses.end(), s) == statuses.end()) statuses.push_back(s);
      ++count[st][s];
    }
    os << "| Standard |";
    for (const auto& s : statuses) os << " " << md_text(s) << " |";
    os << "\n|---|";
    for (std::size_t i = 0; i < statuses.size(); ++i) os << "--:|";
    os << "\n";
    for (const auto& st : standards) {
      os << "| " << md_text(st) << " |";
      for (const auto& s : statuses) os << " " << (count[st][s] ? (s == "fail" ? fmt::format("**{}**", count[st][s]) : std::to_string(count[st][s])) : "0") << " |";
      os << "\n";
    }
    std::vector<const ordered_json*> failing;
    for (const auto& v : verdicts)
      if (str(v, "status") == "fail") failing.push_back(&v);
    if (!failing.empty()) {
      os << fmt::format("\n<details><summary>Failing provisions ({})</summary>\n\n", failing.size());
      os << "| Standard | Provision | Level | Rationale |\n|---|---|---|---|\n";
      for (std::size_t i = 0; i < failing.size() && i < kMaxFailing; ++i) {
        const auto& v = *failing[i];
        os << fmt::format("| {} | {} {} | {} | {} |\n", md_text(str(v, "standard")), md_text(str(v, "provision")),
                          md_text(str(v, "title")), md_text(str(v, "level")), md_text(str(v, "rationale")));
      }
      if (failing.size() > kMaxFailing) os << fmt::format("\n{} more in the JSON or HTML report.\n", failing.size() - kMaxFailing);
      os << "\n</details>\n";
    }
    os << "\n";
  }

  // Findings, most severe first.
  const auto& fs = arr(doc, "findings");
  os << fmt::format("### Findings ({})\n\n", fs.size());
  if (fs.empty()) {
    os << "No findings.\n\n";
  } else {
    std::vector<const ordered_json*> list;
    for (const auto& f : fs) list.push_back(&f);
    std::stable_sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      return severity_rank(str(*a, "severity")) > severity_rank(str(*b, "severity"));
    });
    os << "| Severity | Finding | Location | Provisions |\n|---|---|---|---|\n";
    for (std::size_t i = 0; i < list.size() && i < kMaxFindings; ++i) {
      const auto& f = *list[i];
      const auto& ev = arr(f, "evidence");
      std::string where;
      if (!ev.empty()) {
        const auto& e = ev[0];
        std::string path = str(e, "path");
        where = path.empty() ? md_code(str(e, "logical_path"))
                             : md_code(e.contains("line") ? fmt::format("{}:{}", path, str(e, "line")) : path);
        if (ev.size() > 1) where += fmt::format(" (+{} more)", ev.size() - 1);
      }
      std::string provs;
      for (const auto& p : arr(f, "provisions")) provs += (provs.empty() ? "" : ", ") + md_text(str(p, "provision"));
      os << fmt::format("| {} {} | {} <sub>{}</sub> | {} | {} |\n", severity_mark(str(f, "severity")), md_text(str(f, "severity")),
                        md_text(str(f, "title")), md_text(str(f, "check")), where, provs);
    }
    if (list.size() > kMaxFindings) os << fmt::format("\n{} more findings in the JSON or HTML report.\n", list.size() - kMaxFindings);
    os << "\n";
  }

  // Components, with the number of CVEs affecting each.
  const auto& cs = arr(doc, "components");
  const auto& vs = arr(doc, "vulnerabilities");
  std::map<std::string, std::vector<const ordered_json*>> by_component;
  for (const auto& v : vs)
    if (str(v, "status") == "affected") by_component[str(v, "component")].push_back(&v);
  os << fmt::format("### Components ({})\n\n", cs.size());
  if (cs.empty()) {
    os << "No components identified.\n\n";
  } else {
    os << "| Component | Version | Confidence | CPE / PURL | Found at | CVEs |\n|---|---|---|---|---|--:|\n";
    for (std::size_t i = 0; i < cs.size() && i < kMaxComponents; ++i) {
      const auto& c = cs[i];
      const auto& occ = arr(c, "occurrences");
      std::string where;
      if (!occ.empty()) where = md_code(str(occ[0], "path").empty() ? str(occ[0], "logical_path") : str(occ[0], "path"));
      std::uint64_t more = (occ.empty() ? 0 : occ.size() - 1) + u64(c, "occurrences_omitted");
      if (more) where += fmt::format(" (+{} more)", more);
      std::string ids = md_code(str(c, "cpe"));
      if (!str(c, "purl").empty()) ids += (ids.empty() ? "" : "<br>") + md_code(str(c, "purl"));
      std::string ref = "component:" + str(c, "id") + "@" + str(c, "version");
      os << fmt::format("| {} | {} | {} | {} | {} | {} |\n", md_text(str(c, "id")), md_text(str(c, "version")),
                        md_text(str(c, "confidence")), ids, where,
                        vscan.value("database_present", false) ? std::to_string(by_component[ref].size()) : "—");
    }
    if (cs.size() > kMaxComponents) os << fmt::format("\n{} more components in the JSON or HTML report.\n", cs.size() - kMaxComponents);
    os << "\n";
  }

  // CVEs: per component, the count and the most serious ones.
  os << "### Vulnerabilities\n\n";
  if (!vscan.value("database_present", false)) {
    os << fmt::format("Not checked: {}\n\n", md_text(str(vscan, "note")));
  } else if (by_component.empty()) {
    os << "No CVE affects the identified components.\n\n";
  } else {
    os << "| Component | Version | CVEs | KEV | Highest CVSS | Most serious |\n|---|---|--:|--:|--:|---|\n";
    std::vector<std::string> order;
    for (const auto& v : vs)
      if (str(v, "status") == "affected" && std::find(order.begin(), order.end(), str(v, "component")) == order.end())
        order.push_back(str(v, "component"));
    for (const auto& ref : order) {
      auto list = by_component[ref];
      std::stable_sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
        bool ka = a->value("kev", false), kb = b->value("kev", false);
        if (ka != kb) return ka;
        return best_score(*a) > best_score(*b);
      });
      std::size_t kev = std::count_if(list.begin(), list.end(), [](const auto* v) { return v->value("kev", false); });
      std::string top;
      for (std::size_t i = 0; i < list.size() && i < 4; ++i) {
        double s = best_score(*list[i]);
        top += fmt::format("{}{}{}", i ? ", " : "", md_text(str(*list[i], "cve")),
                           s >= 0 ? fmt::format(" ({:.1f}{})", s, list[i]->value("kev", false) ? ", KEV" : "")
                                  : (list[i]->value("kev", false) ? std::string(" (KEV)") : std::string()));
      }
      if (list.size() > 4) top += fmt::format(", +{} more", list.size() - 4);
      double best = best_score(*list.front());
      for (const auto* v : list) best = std::max(best, best_score(*v));
      os << fmt::format("| {} | {} | {} | {} | {} | {} |\n", md_text(str(*list.front(), "component_id")),
                        md_text(str(*list.front(), "component_version")), list.size(), kev,
                        best >= 0 ? fmt::format("{:.1f}", best) : std::string("—"), top);
    }
    os << "\n";
  }
  const auto& life = arr(doc, "lifecycle");
  if (!life.empty()) {
    os << "| Support status | Detail |\n|---|---|\n";
    for (const auto& n : life) os << fmt::format("| {} | {} |\n", md_text(str(n, "kind")), md_text(str(n, "detail")));
    os << "\n";
  }
  os << fmt::format("<sub>iotaudit {}; the JSON report (`-f json`) and the HTML report (`-f html`) hold every verdict with its "
                    "evidence.</sub>\n",
                    md_text(opt.tool_version));
}

}  // namespace iotaudit::report
