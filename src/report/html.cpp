// HTML report: one self-contained file for people (auditors, buyers, test labs). It renders the JSON
// report document (report/document.hpp), so whatever the JSON report holds reaches the page, and adds
// only the image's SHA-1 and MD5 and the time it was written.
//
// Every string that comes from the firmware is hostile: file names, account names, excerpts and
// banners may hold markup. Everything is written through esc(); the script reads the DOM only through
// textContent and attributes and never builds markup from it. A Content-Security-Policy admits the
// page's own style and script by their SHA-256 and nothing else (no network, no images, no forms),
// so even a missed escape could not run code or fetch anything.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "report/document.hpp"
#include "report/report.hpp"

namespace iotaudit::report {

using nlohmann::ordered_json;

namespace {

// Hand-written, printable, no external resources.
constexpr std::string_view kStyle = R"CSS(
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--accent:#0b5cad;
--critical:#8b0000;--high:#cf222e;--medium:#bc4c00;--low:#0a7a8a;--info:#6e7781;
--pass:#1a7f37;--fail:#cf222e;--na:#8c959f;--inconclusive:#9a6700;--needs:#5a6bb8;--other:#6e7781}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header.top{padding:18px 28px 10px;border-bottom:3px solid var(--accent);background:var(--soft)}
.brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
h1{margin:2px 0 8px;font-size:24px;word-break:break-all}
h2{margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line);font-size:19px}
h3{margin:16px 0 6px;font-size:15px}
main{padding:0 28px 28px}
nav.toc{position:sticky;top:0;z-index:2;background:var(--bg);border-bottom:1px solid var(--line);padding:6px 28px;font-size:13px}
nav.toc a{margin-right:14px;color:var(--accent);text-decoration:none}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;word-break:break-all}
.hash,code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--soft);border:1px solid var(--line);border-radius:3px;padding:0 3px;white-space:pre-wrap;word-break:break-all}
.kpis{display:flex;flex-wrap:wrap;gap:8px;list-style:none;padding:0;margin:12px 0 4px}
.kpis li{border:1px solid var(--line);border-radius:6px;padding:6px 10px;background:var(--bg);min-width:92px}
.kpis b{display:block;font-size:20px}
.kpis span{color:var(--muted);font-size:12px}
.kpis span.badge{color:#fff}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}
.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.st-pass{background:var(--pass);fill:var(--pass)}.st-fail{background:var(--fail);fill:var(--fail)}
.st-not_applicable{background:var(--na);fill:var(--na)}.st-inconclusive{background:var(--inconclusive);fill:var(--inconclusive)}
.st-needs_evidence{background:var(--needs);fill:var(--needs)}.st-other{background:var(--other);fill:var(--other)}
.kev{background:#6639ba}
.std{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:10px 0;break-inside:avoid}
.std h3{margin:0 0 6px;display:flex;justify-content:space-between;gap:10px}
.std h3 span{font-weight:400;color:var(--muted);font-size:13px}
svg.bar{display:block;width:100%;height:16px;border-radius:4px;background:var(--soft)}
ul.counts{list-style:none;display:flex;flex-wrap:wrap;gap:6px;padding:0;margin:8px 0 0}
ol.risks{padding-left:22px;margin:6px 0}
ol.risks li{margin:3px 0}
.where{color:var(--muted);font-size:12.5px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:6px 0 14px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 7px;text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:31px;z-index:1}
td.num,th.num{text-align:right;white-space:nowrap}
tbody tr:target{outline:2px solid var(--accent);outline-offset:-2px;background:#fff8c5}
button.sort{all:unset;cursor:pointer;font-weight:600}
button.sort::after{content:" \2195";color:var(--muted);font-weight:400}
th[aria-sort=ascending] button.sort::after{content:" \2191"}
th[aria-sort=descending] button.sort::after{content:" \2193"}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 0;font-size:13px}
.filters select,.filters input{font:inherit;padding:2px 4px}
.filters .shown{color:var(--muted)}
body:not([data-js=ready]) .filters{display:none}
details>summary{cursor:pointer;color:var(--accent)}
details p{margin:4px 0}
.small{font-size:12px;color:var(--muted)}
dl.extra{margin:4px 0 0;font-size:12px}
dl.extra dt{display:inline;color:var(--muted)}
dl.extra dd{display:inline;margin:0 8px 0 4px}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px;border-left:1px dotted var(--line)}
ul.tree{padding-left:0;border-left:0}
ul.tree li{margin:4px 0}
.node{font-weight:600}
.ok{color:var(--pass)}.partial{color:var(--inconclusive)}.unsupported{color:var(--fail)}
.empty{color:var(--muted);font-style:italic}
footer{padding:10px 28px 24px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
@media print{
 nav.toc,.filters{display:none!important}
 th{position:static}
 body{font-size:11px}
 header.top{background:none}
 tr{break-inside:avoid}
 .badge{color:#000;background:none!important;border:1px solid #000}
 a{color:inherit;text-decoration:none}
 h2{break-after:avoid}
 details:not([open])>summary::after{content:" (details in the electronic report)";color:var(--muted)}
}
)CSS";

// Sorting and filtering over the rendered tables; the page is complete without it.
constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  function key(row, i) {
    var c = row.cells[i];
    if (!c) return '';
    var v = c.getAttribute('data-v');
    return v !== null ? v : c.textContent.trim().toLowerCase();
  }
  function sortable(table) {
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, i) {
      var type = th.getAttribute('data-sort');
      if (!type) return;
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'sort';
      b.textContent = th.textContent;
      th.textContent = '';
      th.appendChild(b);
      b.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        each(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) {
          var a = key(x, i), z = key(y, i), r;
          if (type === 'num') r = (parseFloat(a) || 0) - (parseFloat(z) || 0);
          else r = a < z ? -1 : a > z ? 1 : 0;
          return asc ? r : -r;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  function filter(bar) {
    var table = document.getElementById(bar.getAttribute('data-table'));
    var controls = bar.querySelectorAll('select, input');
    var shown = bar.querySelector('.shown');
    function apply() {
      var rows = table.tBodies[0].rows, n = 0;
      for (var r = 0; r < rows.length; r++) {
        var row = rows[r], ok = true;
        for (var k = 0; k < controls.length && ok; k++) {
          var want = controls[k].value;
          if (!want) continue;
          if (controls[k].type === 'search')
            ok = row.textContent.toLowerCase().indexOf(want.toLowerCase()) >= 0;
          else
            ok = (row.getAttribute('data-' + controls[k].name) || '').indexOf('|' + want + '|') >= 0;
        }
        row.hidden = !ok;
        if (ok) n++;
      }
      shown.textContent = n + ' of ' + rows.length + ' shown';
    }
    each(controls, function (c) {
      c.addEventListener('input', apply);
      c.addEventListener('change', apply);
    });
    apply();
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.hidden) el.hidden = false;
  }
  each(document.querySelectorAll('table.sortable'), sortable);
  each(document.querySelectorAll('.filters'), filter);
  window.addEventListener('hashchange', reveal);
  reveal();
  document.body.setAttribute('data-js', 'ready');
})();
)JS";

// Text and attribute values alike. Control characters (other than tab and newline) become U+FFFD.
std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t': case '\n': out += ch; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) out += "\xEF\xBF\xBD";
        else out += ch;
    }
  }
  return out;
}

// A filter token list for data-* attributes: "|a|b|" ('|' inside a value is dropped).
std::string tokens(const std::vector<std::string>& values) {
  std::string out = "|";
  for (const auto& v : values) {
    for (char c : v)
      if (c != '|') out += c;
    out += '|';
  }
  return esc(out);
}
std::string tokens(const std::string& v) { return tokens(std::vector<std::string>{v}); }

std::string str(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}
double num(const ordered_json& j, const char* key, double fallback = -1) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
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
// Any JSON value as text (generic fields of verdicts and evidence facts).
std::string text_of(const ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_string(); })) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x.get<std::string>();
    return out;
  }
  return v.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

int severity_rank(const std::string& s) {
  static const std::map<std::string, int> rank = {{"critical", 4}, {"high", 3}, {"medium", 2}, {"low", 1}, {"info", 0}};
  auto it = rank.find(s);
  return it == rank.end() ? -1 : it->second;
}
const std::vector<std::string> kSeverities = {"critical", "high", "medium", "low", "info"};
const std::vector<std::string> kStatuses = {"pass", "fail", "not_applicable", "inconclusive", "needs_evidence"};

std::string status_class(const std::string& s) {
  return std::find(kStatuses.begin(), kStatuses.end(), s) != kStatuses.end() ? "st-" + s : "st-other";
}
std::string sev_badge(const std::string& s) {
  return fmt::format("<span class=\"badge sev-{}\">{}</span>", severity_rank(s) >= 0 ? s : "info", esc(s));
}
std::string status_badge(const std::string& s) {
  return fmt::format("<span class=\"badge {}\">{}</span>", status_class(s), esc(s));
}

std::string human_size(std::uint64_t n) {
  if (n < 1024) return fmt::format("{} bytes", n);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {} ({} bytes)", v, units[u], n);
}

double best_score(const ordered_json& v) {
  double s3 = v.contains("cvss3") ? num(v["cvss3"], "score") : -1;
  double s2 = v.contains("cvss2") ? num(v["cvss2"], "score") : -1;
  return s3 >= 0 ? s3 : s2;
}

// A select over the distinct values of a row attribute, in the order given.
std::string select(const std::string& name, const std::string& label, const std::vector<std::string>& values) {
  std::string out = fmt::format("<label>{} <select name=\"{}\"><option value=\"\">all</option>", esc(label), esc(name));
  for (const auto& v : values) {
    std::string clean;
    for (char c : v)
      if (c != '|') clean += c;
    out += fmt::format("<option value=\"{}\">{}</option>", esc(clean), esc(v));
  }
  return out + "</select></label>";
}
std::string filter_bar(const std::string& table_id, const std::string& selects) {
  return fmt::format(
      "<div class=\"filters\" data-table=\"{}\">{}<label>search <input type=\"search\" name=\"q\" "
      "placeholder=\"text in row\"></label><span class=\"shown\"></span></div>\n",
      esc(table_id), selects);
}

template <class T>
std::vector<T> distinct_in_order(const std::vector<T>& v) {
  std::vector<T> out;
  std::set<T> seen;
  for (const auto& x : v)
    if (seen.insert(x).second) out.push_back(x);
  return out;
}

struct Page {
  const ordered_json& doc;
  const ScanResult& r;
  const Options& opt;
  std::ostringstream os;
  std::map<std::string, std::string> finding_title;  // fingerprint -> title

  void header();
  void verdict_summary();
  void top_risks();
  void provisions();
  void findings();
  void components();
  void vulnerabilities();
  void structure();
  void checks();
};

void Page::header() {
  const auto& in = doc["input"];
  const auto& sum = doc["summary"];
  os << "<header class=\"top\">\n<div class=\"brand\">iotaudit firmware assessment</div>\n";
  os << fmt::format("<h1>{}</h1>\n<dl class=\"meta\">\n", esc(str(in, "name")));
  os << fmt::format("<dt>Input</dt><dd>{} ({})</dd>\n", esc(str(in, "path")), esc(str(in, "kind")));
  if (str(in, "kind") == "image") {
    os << fmt::format("<dt>Size</dt><dd>{}</dd>\n", esc(human_size(u64(in, "size"))));
    os << fmt::format("<dt>SHA-256</dt><dd class=\"hash\">{}</dd>\n", esc(str(in, "sha256")));
    // The input's own bytes, for looking the image up in vendor and malware databases.
    if (r.tree && r.tree->root() != kNoNode) {
      BlobPtr blob = r.tree->content(r.tree->root());
      if (blob && !blob->view().empty()) {
        os << fmt::format("<dt>SHA-1</dt><dd class=\"hash\">{}</dd>\n", sha1_hex(blob->view()));
        os << fmt::format("<dt>MD5</dt><dd class=\"hash\">{}</dd>\n", md5_hex(blob->view()));
      }
    }
  }
  os << fmt::format("<dt>Report written</dt><dd>{}</dd>\n", esc(report_timestamp()));
  os << fmt::format("<dt>Tool</dt><dd>iotaudit {}</dd>\n", esc(str(doc["tool"], "version")));
  const auto& vs = doc["vulnerability_scan"];
  os << fmt::format("<dt>Vulnerability data</dt><dd>{}</dd>\n",
                    vs.value("database_present", false) ? esc(str(vs, "note")) : "not checked: " + esc(str(vs, "note")));
  os << "</dl>\n<ul class=\"kpis\">\n";
  for (const auto& s : kSeverities)
    os << fmt::format("<li><b>{}</b><span class=\"badge sev-{}\">{}</span></li>\n",
                      sum["by_severity"].value(s, 0), s, s);
  os << fmt::format("<li><b>{}</b><span>components</span></li>\n", u64(sum, "components"));
  os << fmt::format("<li><b>{}</b><span>CVEs affecting</span></li>\n", u64(sum, "vulnerabilities"));
  os << fmt::format("<li><b>{}</b><span>in CISA KEV</span></li>\n", u64(sum, "known_exploited"));
  os << fmt::format("<li><b>{}</b><span>files</span></li>\n", u64(sum, "files"));
  os << fmt::format("<li><b>{}</b><span>diagnostics</span></li>\n", arr(doc, "diagnostics").size());
  os << "</ul>\n</header>\n";
  os << "<nav class=\"toc\"><a href=\"#verdicts\">Verdicts</a><a href=\"#risks\">Top risks</a>"
        "<a href=\"#provisions\">Provisions</a><a href=\"#findings\">Findings</a><a href=\"#components\">Components</a>"
        "<a href=\"#vulnerabilities\">CVEs</a><a href=\"#structure\">Structure</a><a href=\"#checks\">Checks</a></nav>\n";
}

void Page::verdict_summary() {
  os << "<section id=\"verdicts\">\n<h2>Verdicts per standard</h2>\n";
  const auto& verdicts = arr(doc, "verdicts");
  std::vector<std::string> standards;
  for (const auto& v : verdicts) standards.push_back(str(v, "standard"));
  standards = distinct_in_order(standards);
  if (standards.empty()) os << "<p class=\"empty\">No standard was evaluated.</p>\n";
  for (const auto& std_name : standards) {
    std::map<std::string, int> count;
    std::vector<std::string> order = kStatuses;
    int total = 0;
    for (const auto& v : verdicts) {
      if (str(v, "standard") != std_name) continue;
      std::string s = str(v, "status");
      if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
      ++count[s];
      ++total;
    }
    os << fmt::format("<div class=\"std\"><h3>{}<span>{} provisions</span></h3>\n", esc(std_name), total);
    // A stacked bar of the statuses: SVG geometry attributes, no inline style (the policy forbids it).
    os << fmt::format("<svg class=\"bar\" viewBox=\"0 0 1000 16\" preserveAspectRatio=\"none\" role=\"img\" "
                      "aria-label=\"verdicts of {}\">",
                      esc(std_name));
    double x = 0;
    for (const auto& s : order) {
      if (count[s] == 0) continue;
      double w = 1000.0 * count[s] / total;
      os << fmt::format("<rect class=\"{}\" x=\"{:.1f}\" y=\"0\" width=\"{:.1f}\" height=\"16\"><title>{}: {}</title></rect>",
                        status_class(s), x, w, esc(s), count[s]);
      x += w;
    }
    os << "</svg>\n<ul class=\"counts\">";
    for (const auto& s : order)
      os << fmt::format("<li><span class=\"badge {}\">{} {}</span></li>", status_class(s), esc(s), count[s]);
    os << "</ul></div>\n";
  }
  os << "</section>\n";
}

void Page::top_risks() {
  os << "<section id=\"risks\">\n<h2>Top risks</h2>\n";
  std::vector<const ordered_json*> fs;
  for (const auto& f : arr(doc, "findings")) fs.push_back(&f);
  std::stable_sort(fs.begin(), fs.end(), [](const auto* a, const auto* b) {
    return severity_rank(str(*a, "severity")) > severity_rank(str(*b, "severity"));
  });
  constexpr std::size_t kTop = 10;
  if (fs.empty()) {
    os << "<p class=\"empty\">No findings.</p>\n";
  } else {
    os << "<h3>Most severe findings</h3>\n<ol class=\"risks\">\n";
    for (std::size_t i = 0; i < fs.size() && i < kTop; ++i) {
      const auto& f = *fs[i];
      const auto& ev = arr(f, "evidence");
      std::string where = ev.empty() ? "" : str(ev[0], "path").empty() ? str(ev[0], "logical_path") : str(ev[0], "path");
      os << fmt::format("<li>{} <a href=\"#f-{}\">{}</a> <span class=\"where\">{}</span></li>\n", sev_badge(str(f, "severity")),
                        esc(str(f, "id")), esc(str(f, "title")), esc(where));
    }
    os << "</ol>\n";
    if (fs.size() > kTop) os << fmt::format("<p class=\"small\">{} more in <a href=\"#findings\">Findings</a>.</p>\n", fs.size() - kTop);
  }
  std::vector<const ordered_json*> vs;
  for (const auto& v : arr(doc, "vulnerabilities"))
    if (str(v, "status") == "affected") vs.push_back(&v);
  std::stable_sort(vs.begin(), vs.end(), [](const auto* a, const auto* b) {
    bool ka = a->value("kev", false), kb = b->value("kev", false);
    if (ka != kb) return ka;
    return best_score(*a) > best_score(*b);
  });
  if (!vs.empty()) {
    os << "<h3>Known-exploited and highest-scored CVEs</h3>\n<ol class=\"risks\">\n";
    for (std::size_t i = 0; i < vs.size() && i < kTop; ++i) {
      const auto& v = *vs[i];
      double s = best_score(v);
      os << fmt::format("<li><a href=\"#v-{}-{}\">{}</a> {}{} in {} {}</li>\n", esc(str(v, "cve")), esc(str(v, "component")),
                        esc(str(v, "cve")), s >= 0 ? fmt::format("CVSS {:.1f}", s) : std::string("no CVSS score"),
                        v.value("kev", false) ? " <span class=\"badge kev\">KEV</span>" : "",
                        esc(str(v, "component_id")), esc(str(v, "component_version")));
    }
    os << "</ol>\n";
  }
  os << "</section>\n";
}

void Page::provisions() {
  os << "<section id=\"provisions\">\n<h2>Provision matrix</h2>\n";
  const auto& verdicts = arr(doc, "verdicts");
  if (verdicts.empty()) {
    os << "<p class=\"empty\">No verdicts.</p>\n</section>\n";
    return;
  }
  std::vector<std::string> standards, statuses = kStatuses, levels;
  for (const auto& v : verdicts) {
    standards.push_back(str(v, "standard"));
    levels.push_back(str(v, "level"));
    if (std::find(statuses.begin(), statuses.end(), str(v, "status")) == statuses.end()) statuses.push_back(str(v, "status"));
  }
  os << filter_bar("provision-table", select("std", "standard", distinct_in_order(standards)) +
                                          select("status", "verdict", statuses) +
                                          select("level", "level", distinct_in_order(levels)));
  os << "<table id=\"provision-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">Standard</th>"
        "<th data-sort=\"text\">Provision</th><th data-sort=\"text\">Title</th><th data-sort=\"text\">Level</th>"
        "<th data-sort=\"text\">Verdict</th><th>Rationale and evidence</th></tr></thead>\n<tbody>\n";
  static const std::set<std::string> known = {"standard", "provision", "title", "level", "status", "rationale", "checks", "findings"};
  for (const auto& v : verdicts) {
    std::string status = str(v, "status");
    std::string prov = str(v, "provision");
    // Provisions sort by their numbers ("5.10-1" after "5.9-3").
    std::string sort_key;
    for (std::size_t i = 0; i < prov.size();) {
      if (std::isdigit(static_cast<unsigned char>(prov[i]))) {
        std::size_t j = i;
        while (j < prov.size() && std::isdigit(static_cast<unsigned char>(prov[j]))) ++j;
        sort_key += fmt::format("{:0>6}", prov.substr(i, j - i));
        i = j;
      } else {
        sort_key += prov[i++];
      }
    }
    os << fmt::format("<tr data-std=\"{}\" data-status=\"{}\" data-level=\"{}\"><td>{}</td><td data-v=\"{}\">{}</td><td>{}</td>"
                      "<td>{}</td><td data-v=\"{}\">{}</td><td>{}",
                      tokens(str(v, "standard")), tokens(status), tokens(str(v, "level")), esc(str(v, "standard")),
                      esc(sort_key), esc(prov), esc(str(v, "title")), esc(str(v, "level")), esc(status), status_badge(status),
                      esc(str(v, "rationale")));
    const auto& fps = arr(v, "findings");
    if (!fps.empty()) {
      os << "<ul>";
      for (const auto& fp : fps) {
        std::string id = fp.is_string() ? fp.get<std::string>() : text_of(fp);
        auto it = finding_title.find(id);
        os << fmt::format("<li><a href=\"#f-{}\">{}</a></li>", esc(id), esc(it == finding_title.end() ? id : it->second));
      }
      os << "</ul>";
    }
    std::string extra;
    if (!arr(v, "checks").empty()) extra += fmt::format("<dt>checks</dt><dd>{}</dd>", esc(text_of(v["checks"])));
    for (const auto& [k, val] : v.items())
      if (!known.contains(k) && !val.is_null() && !(val.is_array() && val.empty()) && !(val.is_string() && val.get<std::string>().empty()))
        extra += fmt::format("<dt>{}</dt><dd>{}</dd>", esc(k), esc(text_of(val)));
    if (!extra.empty()) os << "<dl class=\"extra\">" << extra << "</dl>";
    os << "</td></tr>\n";
  }
  os << "</tbody></table>\n</section>\n";
}

void Page::findings() {
  const auto& fs = arr(doc, "findings");
  os << fmt::format("<section id=\"findings\">\n<h2>Findings ({})</h2>\n", fs.size());
  if (fs.empty()) {
    os << "<p class=\"empty\">No findings.</p>\n</section>\n";
    return;
  }
  std::vector<std::string> checks, sevs;
  for (const auto& f : fs) checks.push_back(str(f, "check"));
  std::sort(checks.begin(), checks.end());
  for (const auto& s : kSeverities)
    if (std::any_of(fs.begin(), fs.end(), [&](const auto& f) { return str(f, "severity") == s; })) sevs.push_back(s);
  os << filter_bar("finding-table", select("sev", "severity", sevs) + select("check", "check", distinct_in_order(checks)));
  os << "<table id=\"finding-table\" class=\"sortable\"><thead><tr><th data-sort=\"num\">Severity</th>"
        "<th data-sort=\"text\">Finding</th><th data-sort=\"text\">Location in the firmware</th><th>Evidence</th>"
        "<th data-sort=\"text\">Provisions</th></tr></thead>\n<tbody>\n";
  constexpr std::size_t kEvidenceShown = 3;
  for (const auto& f : fs) {
    std::string sev = str(f, "severity");
    const auto& ev = arr(f, "evidence");
    os << fmt::format("<tr id=\"f-{}\" data-sev=\"{}\" data-check=\"{}\"><td data-v=\"{}\">{}</td>", esc(str(f, "id")),
                      tokens(sev), tokens(str(f, "check")), severity_rank(sev), sev_badge(sev));
    os << fmt::format("<td><b>{}</b><div class=\"small mono\">{}</div><details><summary>why and how to fix</summary>"
                      "<p>{}</p><p><b>Remediation:</b> {}</p></details></td>",
                      esc(str(f, "title")), esc(str(f, "check")), esc(str(f, "description")), esc(str(f, "remediation")));
    auto location = [](const ordered_json& e) {
      std::string out;
      std::string path = str(e, "path");
      if (!path.empty())
        out += e.contains("line") ? fmt::format("<code>{}:{}</code>", esc(path), esc(str(e, "line")))
                                  : fmt::format("<code>{}</code>", esc(path));
      out += fmt::format("<div class=\"where\">{}{}</div>", esc(str(e, "logical_path")),
                         path.empty() && e.contains("offset") ? fmt::format(" @0x{:x}", u64(e, "offset")) : std::string());
      return out;
    };
    auto evidence_text = [](const ordered_json& e) {
      std::string out;
      if (!str(e, "excerpt").empty()) out += fmt::format("<code>{}</code>", esc(str(e, "excerpt")));
      const auto facts = e.find("facts");
      if (facts != e.end() && facts->is_object() && !facts->empty()) {
        out += "<dl class=\"extra\">";
        for (const auto& [k, val] : facts->items()) out += fmt::format("<dt>{}</dt><dd>{}</dd>", esc(k), esc(text_of(val)));
        out += "</dl>";
      }
      return out;
    };
    os << "<td data-v=\"" << esc(ev.empty() ? "" : str(ev[0], "path").empty() ? str(ev[0], "logical_path") : str(ev[0], "path"))
       << "\">";
    for (std::size_t i = 0; i < ev.size() && i < kEvidenceShown; ++i) os << location(ev[i]);
    if (ev.size() > kEvidenceShown) {
      os << fmt::format("<details><summary>{} more</summary>", ev.size() - kEvidenceShown);
      for (std::size_t i = kEvidenceShown; i < ev.size(); ++i) os << location(ev[i]) << evidence_text(ev[i]);
      os << "</details>";
    }
    os << "</td><td>";
    for (std::size_t i = 0; i < ev.size() && i < kEvidenceShown; ++i) os << evidence_text(ev[i]);
    os << "</td><td>";
    std::string provs;
    for (const auto& p : arr(f, "provisions"))
      provs += (provs.empty() ? "" : "<br>") + esc(str(p, "standard")) + " " + esc(str(p, "provision"));
    os << provs << "</td></tr>\n";
  }
  os << "</tbody></table>\n</section>\n";
}

void Page::components() {
  const auto& cs = arr(doc, "components");
  os << fmt::format("<section id=\"components\">\n<h2>Components ({})</h2>\n", cs.size());
  if (cs.empty()) {
    os << "<p class=\"empty\">No components identified.</p>\n</section>\n";
    return;
  }
  std::vector<std::string> confs, methods;
  for (const auto& c : cs) {
    confs.push_back(str(c, "confidence"));
    for (const auto& o : arr(c, "occurrences")) methods.push_back(str(o, "method").substr(0, str(o, "method").find(':')));
  }
  std::sort(methods.begin(), methods.end());
  os << filter_bar("component-table", select("conf", "confidence", distinct_in_order(confs)) +
                                          select("method", "method", distinct_in_order(methods)));
  os << "<table id=\"component-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">Component</th>"
        "<th data-sort=\"text\">Version</th><th data-sort=\"text\">Confidence</th><th>CPE / PURL</th><th>Method</th>"
        "<th data-sort=\"num\">Locations</th><th>Needs</th></tr></thead>\n<tbody>\n";
  constexpr std::size_t kShown = 3;
  for (const auto& c : cs) {
    const auto& occ = arr(c, "occurrences");
    std::vector<std::string> ms;
    for (const auto& o : occ) ms.push_back(str(o, "method"));
    ms = distinct_in_order(ms);
    std::vector<std::string> kinds;
    for (const auto& m : ms) kinds.push_back(m.substr(0, m.find(':')));
    std::uint64_t total = occ.size() + u64(c, "occurrences_omitted");
    os << fmt::format("<tr id=\"c-{}-{}\" data-conf=\"{}\" data-method=\"{}\"><td><b>{}</b><div class=\"small\">{}</div></td>"
                      "<td>{}</td><td>{}</td><td><div class=\"mono\">{}</div><div class=\"mono small\">{}</div></td><td>",
                      esc(str(c, "id")), esc(str(c, "version")), tokens(str(c, "confidence")), tokens(kinds),
                      esc(str(c, "name")), esc(str(c, "id")), esc(str(c, "version")), esc(str(c, "confidence")),
                      esc(str(c, "cpe")), esc(str(c, "purl")));
    for (const auto& m : ms) os << "<div class=\"mono small\">" << esc(m) << "</div>";
    os << fmt::format("</td><td data-v=\"{}\">", total);
    auto occurrence = [](const ordered_json& o) {
      std::string path = str(o, "path");
      return fmt::format("<div>{}<div class=\"where\">{} @0x{:x}</div><code>{}</code></div>",
                         path.empty() ? "" : "<code>" + esc(path) + "</code>", esc(str(o, "logical_path")), u64(o, "offset"),
                         esc(str(o, "evidence")));
    };
    for (std::size_t i = 0; i < occ.size() && i < kShown; ++i) os << occurrence(occ[i]);
    if (total > kShown) {
      os << fmt::format("<details><summary>{} more</summary>", total - std::min<std::uint64_t>(kShown, occ.size()));
      for (std::size_t i = kShown; i < occ.size(); ++i) os << occurrence(occ[i]);
      if (u64(c, "occurrences_omitted")) os << fmt::format("<p class=\"small\">{} not listed</p>", u64(c, "occurrences_omitted"));
      os << "</details>";
    }
    os << "</td><td>";
    const auto& deps = arr(c, "depends_on");
    for (const auto& d : deps)
      os << fmt::format("<div><a href=\"#c-{}-{}\">{} {}</a></div>", esc(str(d, "id")), esc(str(d, "version")), esc(str(d, "id")),
                        esc(str(d, "version")));
    os << "</td></tr>\n";
  }
  os << "</tbody></table>\n</section>\n";
}

void Page::vulnerabilities() {
  const auto& vs = arr(doc, "vulnerabilities");
  const auto& scan = doc["vulnerability_scan"];
  os << "<section id=\"vulnerabilities\">\n<h2>Vulnerabilities</h2>\n";
  if (!scan.value("database_present", false)) {
    os << fmt::format("<p class=\"empty\">Not checked: {}</p>\n", esc(str(scan, "note")));
  } else {
    const auto& sum = doc["summary"];
    os << fmt::format("<p>{} affecting, {} in CISA KEV, {} ruled out or suppressed. Database: {}.</p>\n", u64(sum, "vulnerabilities"),
                      u64(sum, "known_exploited"), u64(sum, "vulnerabilities_ruled_out"), esc(str(scan, "note")));
  }
  const auto& life = arr(doc, "lifecycle");
  if (!life.empty()) {
    os << "<h3>Support status</h3>\n<table><thead><tr><th>Component</th><th>Status</th><th>Detail</th><th>Source</th></tr></thead><tbody>\n";
    for (const auto& n : life)
      os << fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>\n", esc(str(n, "component")),
                        esc(str(n, "kind")), esc(str(n, "detail")), esc(str(n, "source")));
    os << "</tbody></table>\n";
  }
  if (vs.empty()) {
    if (scan.value("database_present", false)) os << "<p class=\"empty\">No CVE matched.</p>\n";
    os << "</section>\n";
    return;
  }
  std::vector<std::string> statuses, comps, confs;
  for (const auto& v : vs) {
    statuses.push_back(str(v, "status"));
    comps.push_back(str(v, "component_id"));
    confs.push_back(str(v, "confidence"));
  }
  std::sort(comps.begin(), comps.end());
  os << filter_bar("cve-table", select("status", "status", distinct_in_order(statuses)) +
                                    select("comp", "component", distinct_in_order(comps)) +
                                    select("conf", "confidence", distinct_in_order(confs)) +
                                    select("kev", "CISA KEV", {"yes", "no"}));
  os << "<table id=\"cve-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">CVE</th><th data-sort=\"text\">Component</th>"
        "<th data-sort=\"num\" class=\"num\">CVSS</th><th data-sort=\"text\">KEV</th><th data-sort=\"num\" class=\"num\">EPSS</th>"
        "<th data-sort=\"text\">Confidence</th><th data-sort=\"text\">Status</th><th>Reason</th></tr></thead>\n<tbody>\n";
  for (const auto& v : vs) {
    double s = best_score(v);
    double epss = v.contains("epss") ? num(v["epss"], "score") : -1;
    std::string vector = v.contains("cvss3") ? str(v["cvss3"], "vector") : v.contains("cvss2") ? str(v["cvss2"], "vector") : "";
    bool kev = v.value("kev", false);
    std::string status = str(v, "status");
    os << fmt::format("<tr id=\"v-{}-{}\" data-status=\"{}\" data-comp=\"{}\" data-conf=\"{}\" data-kev=\"{}\">", esc(str(v, "cve")),
                      esc(str(v, "component")), tokens(status), tokens(str(v, "component_id")), tokens(str(v, "confidence")),
                      kev ? "|yes|" : "|no|");
    os << fmt::format("<td class=\"mono\">{}</td><td>{} {}</td>", esc(str(v, "cve")), esc(str(v, "component_id")),
                      esc(str(v, "component_version")));
    os << fmt::format("<td class=\"num\" data-v=\"{}\" title=\"{}\">{}</td>", s, esc(vector),
                      s >= 0 ? fmt::format("{:.1f}", s) : std::string("—"));
    os << fmt::format("<td>{}</td>", kev ? fmt::format("<span class=\"badge kev\">KEV</span><div class=\"small\">added {}</div>",
                                                       esc(str(v["kev_detail"], "date_added")))
                                         : std::string());
    os << fmt::format("<td class=\"num\" data-v=\"{}\">{}</td>", epss,
                      epss >= 0 ? fmt::format("{:.3f}", epss) + (v["epss"].contains("percentile")
                                                                     ? fmt::format("<div class=\"small\">p{:.0f}</div>", 100 * num(v["epss"], "percentile", 0))
                                                                     : std::string())
                                : std::string("—"));
    os << fmt::format("<td>{}</td><td>{}{}</td>", esc(str(v, "confidence")), esc(status),
                      str(v, "justification").empty() ? "" : "<div class=\"small\">" + esc(str(v, "justification")) + "</div>");
    os << fmt::format("<td>{}<details><summary>description and match</summary><p>{}</p><p class=\"small\">searched {}; "
                      "found {}; matcher {}</p></details></td></tr>\n",
                      esc(str(v, "reason")), esc(str(v, "description")), esc(str(v, "searched")), esc(str(v, "found")),
                      esc(str(v, "matcher")));
  }
  os << "</tbody></table>\n</section>\n";
}

void Page::structure() {
  os << "<section id=\"structure\">\n<h2>Structure of the image</h2>\n";
  const auto& layers = arr(doc, "layers");
  const auto& gaps = arr(doc, "unclaimed_regions");
  const auto& fss = arr(doc, "filesystems");
  std::string root = str(doc["input"], "name");
  // Layers by their container's logical path; filesystems and unclaimed ranges under the deepest layer
  // (or the image) their logical path starts with.
  std::map<std::string, std::vector<const ordered_json*>> children, fs_under, gaps_under;
  std::set<std::string> layer_paths;
  for (const auto& l : layers) layer_paths.insert(str(l, "logical_path"));
  for (const auto& l : layers) children[str(l, "container")].push_back(&l);
  auto owner = [&](const std::string& lp) {
    std::string best;
    for (const auto& p : layer_paths)
      if (lp.size() > p.size() && lp.compare(0, p.size(), p) == 0 && lp.compare(p.size(), 4, " \xC2\xBB ") == 0 && p.size() > best.size())
        best = p;
    return best;
  };
  for (const auto& f : fss) fs_under[owner(str(f, "logical_path"))].push_back(&f);
  for (const auto& g : gaps) {
    std::string c = str(g, "container");
    gaps_under[layer_paths.contains(c) ? c : ""].push_back(&g);
  }
  std::set<std::string> drawn;
  std::function<void(const std::string&, int)> draw = [&](const std::string& at, int depth) {
    const auto& fl = fs_under[at];
    const auto& gl = gaps_under[at];
    const auto& cl = children[at];
    if (fl.empty() && gl.empty() && cl.empty()) return;
    os << "<ul>";
    for (const auto* f : fl) {
      const auto& j = *f;
      os << fmt::format("<li><span class=\"node\">{} filesystem</span> <span class=\"where\">{}</span>{} — {} files, {} directories, "
                        "{} symlinks, {} special, {} ELF, {}</li>",
                        esc(str(j, "format")), esc(str(j, "logical_path")), j.value("root_filesystem", false) ? " <b>(root filesystem)</b>" : "",
                        u64(j, "files"), u64(j, "directories"), u64(j, "symlinks"), u64(j, "special"), u64(j, "elf_files"),
                        esc(human_size(u64(j, "bytes"))));
    }
    for (const auto* c : cl) {
      const auto& l = *c;
      std::string lp = str(l, "logical_path");
      std::string name = lp.substr(lp.rfind(" \xC2\xBB ") == std::string::npos ? 0 : lp.rfind(" \xC2\xBB ") + 4);
      std::string status = str(l, "status");
      os << fmt::format("<li><span class=\"node\">{}</span> {} at offset 0x{:x}, {} of the container, {} decoded "
                        "<span class=\"{}\">{}</span>",
                        esc(name), esc(str(l, "format")), u64(l, "offset"),
                        u64(l, "length") ? esc(human_size(u64(l, "length"))) : std::string("length unknown"), esc(human_size(u64(l, "size"))),
                        status == "ok" || status == "partial" || status == "unsupported" ? status : "partial", esc(status));
      if (depth < 64 && drawn.insert(lp).second) draw(lp, depth + 1);
      os << "</li>";
    }
    if (!gl.empty()) {
      std::uint64_t bytes = 0;
      for (const auto* g : gl) bytes += u64(*g, "length");
      os << fmt::format("<li><details><summary>{} unclaimed range(s), {}</summary><table><thead><tr><th class=\"num\">offset</th>"
                        "<th class=\"num\">length</th><th>fill</th><th class=\"num\">entropy</th></tr></thead><tbody>",
                        gl.size(), esc(human_size(bytes)));
      for (const auto* g : gl)
        os << fmt::format("<tr><td class=\"num mono\">0x{:x}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.3f}</td></tr>",
                          u64(*g, "offset"), u64(*g, "length"), esc(str(*g, "fill")), num(*g, "entropy", 0));
      os << "</tbody></table></details></li>";
    }
    os << "</ul>";
  };
  os << fmt::format("<ul class=\"tree\"><li><span class=\"node\">{}</span> {}", esc(root),
                    str(doc["input"], "kind") == "image" ? esc(human_size(u64(doc["input"], "size"))) : std::string("directory"));
  draw(root, 0);
  // Layers whose container is neither the image nor a layer (should not happen) are still shown.
  for (const auto& [container, list] : children)
    if (container != root && !layer_paths.contains(container) && !drawn.contains(container)) {
      drawn.insert(container);
      os << "<div class=\"where\">" << esc(container) << "</div>";
      draw(container, 1);
    }
  if (!fs_under[""].empty() || !gaps_under[""].empty()) draw("", 1);
  os << "</li></ul>\n";
  const auto& diags = arr(doc, "diagnostics");
  os << fmt::format("<h3>Diagnostics ({})</h3>\n", diags.size());
  if (diags.empty()) {
    os << "<p class=\"empty\">Everything that was found could be read.</p>\n";
  } else {
    std::vector<std::string> sevs;
    for (const auto& s : kSeverities)
      if (std::any_of(diags.begin(), diags.end(), [&](const auto& d) { return str(d, "severity") == s; })) sevs.push_back(s);
    os << filter_bar("diagnostic-table", select("sev", "severity", sevs));
    os << "<table id=\"diagnostic-table\" class=\"sortable\"><thead><tr><th data-sort=\"num\">Severity</th><th data-sort=\"text\">Where</th>"
          "<th data-sort=\"text\">Code</th><th>Message</th></tr></thead><tbody>\n";
    for (const auto& d : diags)
      os << fmt::format("<tr data-sev=\"{}\"><td data-v=\"{}\">{}</td><td class=\"where\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>\n",
                        tokens(str(d, "severity")), severity_rank(str(d, "severity")), sev_badge(str(d, "severity")),
                        esc(str(d, "logical_path")), esc(str(d, "code")), esc(str(d, "message")));
    os << "</tbody></table>\n";
  }
  os << "</section>\n";
}

void Page::checks() {
  const auto& runs = arr(doc, "checks");
  os << fmt::format("<section id=\"checks\">\n<h2>Checks run ({})</h2>\n", runs.size());
  os << "<table id=\"check-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">Check</th><th data-sort=\"num\" class=\"num\">"
        "Subjects</th><th data-sort=\"text\">Conclusive</th><th>Notes</th></tr></thead><tbody>\n";
  for (const auto& c : runs) {
    std::string notes;
    for (const auto& n : arr(c, "notes")) notes += "<div>" + esc(text_of(n)) + "</div>";
    os << fmt::format("<tr><td class=\"mono\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td>{}</td><td class=\"small\">{}</td></tr>\n",
                      esc(str(c, "check")), u64(c, "subjects"), u64(c, "subjects"), c.value("conclusive", false) ? "yes" : "no", notes);
  }
  os << "</tbody></table>\n</section>\n";
}

std::string csp_hash(std::string_view text) { return "'sha256-" + base64(ByteView(sha256_raw(ByteView(text)))) + "'"; }

}  // namespace

void write_html(const ScanResult& r, const Options& opt, std::ostream& out) {
  const ordered_json doc = report_document(r, opt);
  Page page{doc, r, opt, {}, {}};
  for (const auto& f : arr(doc, "findings")) page.finding_title[str(f, "id")] = str(f, "title");
  page.header();
  page.os << "<main>\n";
  page.verdict_summary();
  page.top_risks();
  page.provisions();
  page.findings();
  page.components();
  page.vulnerabilities();
  page.structure();
  page.checks();
  page.os << "</main>\n";

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Only this page's own style and script, by hash; nothing may be fetched, framed or submitted.
  out << fmt::format("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; script-src {}; "
                     "img-src 'none'; base-uri 'none'; form-action 'none'\">\n",
                     csp_hash(kStyle), csp_hash(kScript));
  out << "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out << fmt::format("<meta name=\"generator\" content=\"iotaudit {}\">\n", esc(opt.tool_version));
  out << fmt::format("<title>iotaudit report: {}</title>\n", esc(str(doc["input"], "name")));
  out << "<style>" << kStyle << "</style>\n</head>\n<body data-js=\"none\">\n";
  out << page.os.str();
  out << fmt::format("<footer>Written by iotaudit {} on {}. Every verdict cites the findings and checks behind it; the JSON report "
                     "(<span class=\"mono\">-f json</span>) holds the same data in full.</footer>\n",
                     esc(opt.tool_version), esc(report_timestamp()));
  out << "<script>" << kScript << "</script>\n</body>\n</html>\n";
}

}  // namespace iotaudit::report
