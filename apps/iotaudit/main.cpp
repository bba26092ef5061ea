// iotaudit command line: parse flags, build the pipeline, run it, map the outcome to an exit code.
#include <malloc.h>
#include <sys/mman.h>
#include <map>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <tbb/task_group.h>

#include "identify/classifier.hpp"
#include "analyze/analyzer.hpp"
#include "core/allocator.hpp"
#include "core/bytes.hpp"
#include "core/embedded_data.hpp"
#include "core/executor.hpp"
#include "core/trace.hpp"
#include "comply/catalog.hpp"
#include "match/db.hpp"
#include "match/import.hpp"
#include "match/matcher.hpp"
#include "match/sbom_input.hpp"
#include "match/vex.hpp"
#include "report/vulns.hpp"
#include "formats/elf_header.hpp"
#include "pipeline/scan.hpp"
#include "report/json_text.hpp"
#include "report/report.hpp"
#include "unpack/materialize.hpp"

#ifndef IOTAUDIT_VERSION
#define IOTAUDIT_VERSION "0.0.0"
#endif

namespace {

using namespace iotaudit;

// The commands, as the first argument names them.
constexpr std::string_view kCommands[] = {"scan", "sbom", "extract", "hardening", "db", "match", "version", "list"};

// Exit codes (also in docs/cli.md).
constexpr int kExitOk = 0;          // finished; no finding at or above --fail-on
constexpr int kExitFindings = 1;    // finished; findings at or above --fail-on
constexpr int kExitUsage = 2;       // bad command line
constexpr int kExitInput = 3;       // the input could not be read
constexpr int kExitOutput = 4;      // a report or the extraction could not be written
constexpr int kExitInternal = 5;    // a bug: please report it

// Progress on stderr while unpacking, only on a terminal.
class Progress {
 public:
  Progress(const unpack::Engine& engine, bool enabled) : engine_(engine) {
    if (!enabled) return;
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, std::chrono::milliseconds(120), [this] { return done_; })) {
        std::cerr << fmt::format("\r\033[K  unpacking… {} nodes, {:.1f} MiB", engine_.budget().nodes(),
                                 static_cast<double>(engine_.budget().bytes()) / (1 << 20))
                  << std::flush;
      }
      std::cerr << "\r\033[K" << std::flush;
    });
  }
  ~Progress() { stop(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void stop() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  const unpack::Engine& engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

struct CommonOptions {
  std::string db_path;
  bool no_db = false;
  std::vector<std::string> vex;
  double max_age_years = 5;
  std::string declaration;
  unsigned jobs = 0;
  bool quiet = false;
  unsigned max_depth = Limits{}.max_depth;
  double time_limit = Limits{}.max_seconds;
  std::uint64_t max_file_bytes = Limits{}.max_node_bytes;
};

void add_vuln_options(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--db", o.db_path, "Vulnerability database (default: " + match::default_db_path() + ")");
  cmd->add_flag("--no-db", o.no_db, "Do not match components against the vulnerability database");
  cmd->add_option("--vex", o.vex, "CycloneDX VEX or OpenVEX file marking CVEs not_affected (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--max-age", o.max_age_years, "Report components released more than this many years ago (0: never)")
      ->capture_default_str();
}

void add_common(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("-j,--jobs", o.jobs, "Worker threads (0: one per core)")->capture_default_str();
  cmd->add_flag("-q,--quiet", o.quiet, "No progress output");
  cmd->add_option("--max-depth", o.max_depth, "Maximum container nesting")->capture_default_str();
  cmd->add_option("--time-limit", o.time_limit, "Unpacking time budget in seconds")->capture_default_str();
  cmd->add_option("--max-file-size", o.max_file_bytes, "Largest extracted file or stream, in bytes")
      ->capture_default_str();
}

Limits limits_from(const CommonOptions& o) {
  Limits l;
  l.max_depth = o.max_depth;
  l.max_seconds = o.time_limit;
  l.max_node_bytes = o.max_file_bytes;
  return l;
}

std::optional<Severity> parse_severity(const std::string& s) {
  for (Severity v : {Severity::info, Severity::low, Severity::medium, Severity::high, Severity::critical})
    if (s == to_string(v)) return v;
  return std::nullopt;
}

struct ReportTarget {
  std::string format;
  std::string output;  // empty or "-": standard output
};

// Serial for the first 10 ms, then TBB (core/executor.hpp): a 1 MB image is done before TBB's
// start-up would have paid off (docs/design.md, "Starting TBB only for work that needs it").
std::unique_ptr<Executor> make_executor(unsigned jobs) {
  return make_adaptive_executor(jobs, std::chrono::milliseconds(10));
}

int run_scan(const std::string& path, const CommonOptions& common, const std::vector<ReportTarget>& targets,
             const std::string& fail_on, const std::string& fail_on_verdict,
             const std::vector<std::string>& gate_standards) {
  if (fail_on_verdict != "never" && fail_on_verdict != "fail" && fail_on_verdict != "inconclusive") {
    std::cerr << "iotaudit: --fail-on-verdict must be one of never, fail, inconclusive\n";
    return kExitUsage;
  }
  if (!gate_standards.empty()) {
    auto cats = comply::load_builtin_catalogs();
    if (!cats) {
      std::cerr << fmt::format("iotaudit: {}\n", cats.error().message);
      return kExitInternal;
    }
    std::string known;
    for (const auto& c : *cats) known += (known.empty() ? "" : ", ") + c.id;
    for (const auto& id : gate_standards)
      if (std::none_of(cats->begin(), cats->end(), [&](const comply::Catalog& c) { return c.id == id; })) {
        std::cerr << fmt::format("iotaudit: unknown standard '{}' for --standard (known: {})\n", id, known);
        return kExitUsage;
      }
  }
  std::optional<Severity> threshold;
  if (!fail_on.empty() && fail_on != "never") {
    threshold = parse_severity(fail_on);
    if (!threshold) {
      std::cerr << "iotaudit: --fail-on must be one of never, info, low, medium, high, critical\n";
      return kExitUsage;
    }
  }
  std::size_t to_stdout = 0;
  for (const auto& t : targets) to_stdout += t.output.empty() || t.output == "-";
  if (to_stdout > 1) {
    std::cerr << "iotaudit: only one format may go to standard output; give -o FILE after the others\n";
    return kExitUsage;
  }
  for (const auto& t : targets)
    if (!report::find_format(t.format)) {
      std::string known;
      for (const auto& k : report::formats()) known += (known.empty() ? "" : ", ") + k.id;
      std::cerr << fmt::format("iotaudit: unknown format '{}' (known: {})\n", t.format, known);
      return kExitUsage;
    }

  pipeline::ScanOptions opts;
  opts.limits = limits_from(common);
  opts.jobs = common.jobs;
  opts.db_path = common.db_path;
  opts.use_db = !common.no_db;
  opts.vex_files = common.vex;
  opts.max_age_years = common.max_age_years;
  opts.declaration_path = common.declaration;
  auto executor = make_executor(common.jobs);
  unpack::Engine engine(opts.limits, *executor);
  Progress progress(engine, !common.quiet && ::isatty(2));
  auto result = pipeline::scan(path, opts, *executor, engine);
  progress.stop();
  if (!result) {
    std::cerr << fmt::format("iotaudit: {}\n", result.error().message);
    return result.error().code == Errc::io || result.error().code == Errc::invalid_argument ? kExitInput
                                                                                              : kExitInternal;
  }
  report::Options ropt;
  ropt.tool_version = IOTAUDIT_VERSION;
  for (const auto& t : targets) {
    const report::Format* f = report::find_format(t.format);
    if (!t.output.empty() && t.output != "-") {
      std::ofstream os(t.output, std::ios::binary | std::ios::trunc);
      if (!os) {
        std::cerr << fmt::format("iotaudit: cannot write {}\n", t.output);
        return kExitOutput;
      }
      f->write(*result, ropt, os);
      os.close();  // the last buffered bytes are written here: a full disk shows only now
      if (!os) {
        std::cerr << fmt::format("iotaudit: cannot write {}\n", t.output);
        return kExitOutput;
      }
      if (!common.quiet) std::cerr << fmt::format("wrote {} report to {}\n", f->id, t.output);
    } else {
      ropt.color = f->id == "text" && ::isatty(1);
      f->write(*result, ropt, std::cout);
      if (!std::cout.flush()) {
        std::cerr << "iotaudit: cannot write the report to standard output\n";
        return kExitOutput;
      }
    }
  }
  if (threshold)
    for (const auto& f : result->findings)
      if (f.severity >= *threshold) return kExitFindings;
  // Gating on the standards: any provision that fails (or, with "inconclusive", that automated
  // evidence could not decide either way). Documentation-only provisions never trip it.
  if (fail_on_verdict != "never")
    for (const auto& v : result->verdicts)
      if (gate_standards.empty() ||
          std::find(gate_standards.begin(), gate_standards.end(), v.standard_id) != gate_standards.end())
      if (v.status == VerdictStatus::fail ||
          (fail_on_verdict == "inconclusive" && v.status == VerdictStatus::inconclusive)) {
        if (!common.quiet)
          std::cerr << fmt::format("iotaudit: {} {} is {} (--fail-on-verdict {})\n", v.standard, v.provision,
                                   to_string(v.status), fail_on_verdict);
        return kExitFindings;
      }
  return kExitOk;
}

int run_extract(const std::string& path, const std::string& out_dir, const CommonOptions& common) {
  auto limits = limits_from(common);
  auto executor = make_executor(common.jobs);
  unpack::Engine engine(limits, *executor);
  Progress progress(engine, !common.quiet && ::isatty(2));
  InputInfo info;
  auto tree = pipeline::load_input(path, engine, info);
  progress.stop();
  if (!tree) {
    std::cerr << fmt::format("iotaudit: {}\n", tree.error().message);
    return kExitInput;
  }
  auto stats = unpack::materialize(**tree, info, out_dir);
  if (!stats) {
    std::cerr << fmt::format("iotaudit: {}\n", stats.error().message);
    return stats.error().code == Errc::invalid_argument ? kExitUsage : kExitOutput;
  }
  if (!common.quiet)
    std::cout << fmt::format("extracted {} files, {} directories, {} symlinks ({} bytes); {} special or unsafe "
                             "entries listed only\nlisting: {}/extract.json\n",
                             stats->files, stats->dirs, stats->symlinks, stats->bytes, stats->skipped, out_dir);
  if (stats->errors > 0) {
    std::cerr << fmt::format("iotaudit: {} entries could not be written in full; they are listed under \"errors\" "
                             "in {}/extract.json\n",
                             stats->errors, out_dir);
    return kExitOutput;
  }
  return kExitOk;
}

// checksec-style table (or JSON) of the exploit mitigations of every ELF file in an image or
// directory: only the extractors that the table needs run.
int run_hardening(const std::string& path, const std::string& format, const CommonOptions& common) {
  if (format != "text" && format != "json") {
    std::cerr << fmt::format("iotaudit: hardening writes text or json, not '{}'\n", format);
    return kExitUsage;
  }
  auto limits = limits_from(common);
  auto executor = make_executor(common.jobs);
  unpack::Engine engine(limits, *executor);
  Progress progress(engine, !common.quiet && ::isatty(2));
  InputInfo info;
  auto tree = pipeline::load_input(path, engine, info);
  progress.stop();
  if (!tree) {
    std::cerr << fmt::format("iotaudit: {}\n", tree.error().message);
    return kExitInput;
  }
  analyze::Context ctx{**tree, *executor, limits};
  Facts facts;
  for (const auto& e : analyze::extractors())
    if (e.id == "file_kinds" || e.id == "hardening") e.run(ctx, facts);
  const bool dir = info.kind == "directory";
  auto name = [&](const ElfHardening& h) { return dir ? h.path : (*tree)->logical_path(h.node); };
  std::vector<std::pair<std::string, const ElfHardening*>> rows;
  for (const auto& h : facts.hardening) rows.emplace_back(name(h), &h);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // A statically linked, stripped executable has no symbols to show a canary by.
  auto canary = [](const ElfHardening& h) -> std::string {
    if (h.canary) return "yes";
    return !h.dynamic && h.stripped && (h.type == 2 || h.type == 3) ? "unknown" : "no";
  };
  auto fortify = [](const ElfHardening& h) -> std::string {
    if (!h.fortified.empty()) return "yes";
    if (!h.unfortified.empty()) return "no";
    return "n/a";
  };
  if (format == "json") {
    nlohmann::ordered_json doc;
    doc["input"] = info.path;
    doc["files"] = nlohmann::ordered_json::array();
    for (const auto& [file, hp] : rows) {
      const ElfHardening& h = *hp;
      nlohmann::ordered_json f;
      f["path"] = file;
      f["machine"] = h.machine_name;
      f["bits"] = h.bits;
      f["type"] = formats::elf_type_name(h.type);
      f["nx"] = to_string(h.nx);
      if (!h.exec_stack_reason.empty()) f["nx_reason"] = h.exec_stack_reason;
      f["pie"] = to_string(h.pie);
      f["relro"] = to_string(h.relro);
      f["canary"] = canary(h);
      if (h.canary) f["canary_symbol"] = h.canary_symbol;
      f["fortify"] = {{"status", fortify(h)}, {"fortified", h.fortified}, {"unfortified", h.unfortified},
                      {"reference", h.fortify_reference}};
      f["rpath"] = h.rpath;
      f["runpath"] = h.runpath;
      f["stripped"] = h.stripped;
      f["debug_info"] = h.debug_info;
      f["dangerous_imports"] = h.dangerous;
      if (!h.diagnostic.empty()) f["diagnostic"] = h.diagnostic;
      doc["files"].push_back(std::move(f));
    }
    std::cout << doc.dump(1) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<8} {:<7} {:<7} {:<4} {:<7} {:<8} {:<5} {:<7} {:<10} {}\n", "RELRO", "CANARY", "NX",
                           "PIE", "FORTIFY", "STRIPPED", "RPATH", "RUNPATH", "ARCH", "FILE");
  for (const auto& [file, hp] : rows) {
    const ElfHardening& h = *hp;
    std::cout << fmt::format("{:<8} {:<7} {:<7} {:<4} {:<7} {:<8} {:<5} {:<7} {:<10} {}", to_string(h.relro),
                             canary(h), to_string(h.nx), to_string(h.pie), fortify(h),
                             h.stripped ? "yes" : "no", h.rpath.empty() ? "-" : "yes", h.runpath.empty() ? "-" : "yes",
                             fmt::format("{}/{}", h.machine_name, h.bits), file);
    // Paths can be long (build-host directories leak into RPATH): after the name, not in a column.
    if (!h.rpath.empty()) std::cout << fmt::format("  [rpath {}]", h.rpath);
    if (!h.runpath.empty()) std::cout << fmt::format("  [runpath {}]", h.runpath);
    if (!h.diagnostic.empty()) std::cout << fmt::format("  [partial: {}]", h.diagnostic);
    std::cout << "\n";
  }
  return kExitOk;
}

// Markdown reference generated from the descriptors (docs/formats.md, docs/checks.md).
int run_list(const std::string& what) {
  if (what == "formats") {
    std::cout << "# Formats\n\nGenerated by `iotaudit list formats`; do not edit.\n\n"
                 "| id | description | magic (offset: bytes) | kind |\n|---|---|---|---|\n";
    for (const auto& u : unpack::registry()) {
      const auto& d = u->descriptor();
      std::string magics;
      for (const auto& m : d.magics) {
        std::string hex;
        for (unsigned char c : m.bytes) hex += fmt::format("{:02x}", c);
        magics += (magics.empty() ? "" : ", ") + fmt::format("{}: `{}`", m.offset, hex);
      }
      std::cout << fmt::format("| `{}` | {} | {} | {} |\n", d.id, d.description, magics,
                               d.filesystem ? "filesystem/archive" : "stream");
    }
    for (const auto& u : unpack::registry()) {
      const auto& d = u->descriptor();
      std::cout << fmt::format("\n## {}\n\n{}.\n", d.id, d.description);
      if (!d.references.empty()) {
        std::cout << "\nReferences:\n";
        for (const auto& r : d.references) std::cout << "- " << r << "\n";
      }
      if (!d.limitations.empty()) {
        std::cout << "\nLimitations:\n";
        for (const auto& l : d.limitations) std::cout << "- " << l << "\n";
      }
    }
    return kExitOk;
  }
  if (what == "checks") {
    auto cats = comply::load_builtin_catalogs();
    if (!cats) {
      std::cerr << "iotaudit: " << cats.error().message << "\n";
      return kExitInternal;
    }
    auto by_check = comply::provisions_by_check(*cats);
    // Severity and remediation in one line per check (data/checks/guidance.json); every check needs one.
    auto guidance_text = embedded::file("checks/guidance.json");
    nlohmann::json guidance = guidance_text ? nlohmann::json::parse(*guidance_text, nullptr, false) : nlohmann::json();
    for (const auto& c : analyze::checks())
      if (!guidance.is_object() || !guidance["checks"].contains(c.id)) {
        std::cerr << "iotaudit: data/checks/guidance.json has no entry for " << c.id << "\n";
        return kExitInternal;
      }
    std::cout << "# Checks\n\nGenerated by `iotaudit list checks`; do not edit.\n\n"
                 "Every finding carries its own severity, description (why it matters), remediation and evidence; "
                 "the version of a check changes whenever what it reports changes meaning. A provision a check only "
                 "indicates is not failed by its findings: they make the verdict inconclusive (the provision is about "
                 "a process the firmware only partly shows).\n\n"
                 "| id | version | title | provisions |\n|---|---:|---|---|\n";
    std::map<std::string, std::vector<std::string>> indicates;  // check -> provisions it points to
    for (const auto& cat : *cats) {
      if (!cat.previous.empty()) continue;  // renumbered versions judge alike (see provisions_by_check)
      for (const auto& pv : cat.provisions)
        for (const auto& chk : pv.indicators) indicates[chk].push_back(cat.title + " " + pv.id);
    }
    for (const auto& c : analyze::checks()) {
      std::string prov;
      for (const auto& p : by_check[c.id]) prov += (prov.empty() ? "" : ", ") + p.standard + " " + p.provision;
      for (const auto& p : indicates[c.id]) prov += (prov.empty() ? "" : ", ") + p + " (indicator: inconclusive)";
      std::cout << fmt::format("| `{}` | {} | {} | {} |\n", c.id, c.version, c.title, prov.empty() ? "—" : prov);
    }
    for (const auto& c : analyze::checks()) {
      const auto& g = guidance["checks"][c.id];
      std::cout << fmt::format("\n## {} (version {})\n\n{}\n\nSeverity: {}. Remediation: {}\n", c.id, c.version,
                               c.description, g.value("severity", ""), g.value("remediation", ""));
      if (!c.limitations.empty()) {
        std::cout << "\nLimitations:\n";
        for (const auto& l : c.limitations) std::cout << "- " << l << "\n";
      }
    }
    return kExitOk;
  }
  if (what == "components") {
    const auto& set = identify::ClassifierSet::builtin();
    if (set.classifiers().empty()) {
      std::cerr << "iotaudit: built-in classifiers failed to load\n";
      return kExitInternal;
    }
    std::cout << "# Components\n\nGenerated by `iotaudit list components`; do not edit.\n\n"
                 "The products iotaudit recognises inside firmware, from "
                 "`data/components/classifiers.json`. Classifiers search file contents, never file names: "
                 "ELF files (`elf`), unidentified binary data such as kernels and bootloaders (`raw`), "
                 "scripts and text. A version read from a library's own file name is used only for "
                 "libraries that carry no version string and were identified by their content.\n\n"
                 "| id | product | CPE (vendor:product) | PURL | searches | patterns |\n|---|---|---|---|---|---:|\n";
    for (const auto& c : set.classifiers()) {
      std::string scopes;
      for (auto [bit, name] : {std::pair{identify::kElf, "elf"}, std::pair{identify::kRaw, "raw"},
                               std::pair{identify::kScript, "script"}, std::pair{identify::kText, "text"}})
        if (c.scopes & bit) scopes += (scopes.empty() ? "" : ", ") + std::string(name);
      std::string cpe = c.cpe.empty() ? "—" : "`" + c.cpe.substr(std::string("cpe:2.3:").size()) + "`";
      std::cout << fmt::format("| `{}` | {} | {} | `{}` | {} | {}{} |\n", c.id, c.product, cpe, c.purl, scopes,
                               c.patterns.size(), c.version_from_name.empty() ? "" : " + file name");
    }
    return kExitOk;
  }
  std::cerr << "iotaudit: list formats | checks | components\n";
  return kExitUsage;
}

int run_db_import(const std::string& db_path, const std::vector<std::string>& sources, unsigned jobs, bool force,
                  bool quiet) {
  auto db = match::VulnDb::open(db_path, true);
  if (!db) {
    std::cerr << fmt::format("iotaudit: {}\n", db.error().message);
    return kExitOutput;
  }
  match::ImportOptions opt;
  opt.jobs = jobs;
  opt.force = force;
  if (!quiet) opt.log = [](const std::string& line) { std::cerr << line << "\n"; };
  auto sum = match::import_sources(**db, sources, opt);
  if (!sum) {
    std::cerr << fmt::format("iotaudit: import failed: {}\n", sum.error().message);
    return sum.error().code == Errc::not_found || sum.error().code == Errc::invalid_argument ? kExitUsage : kExitInput;
  }
  std::cout << fmt::format("imported {} files ({} unchanged{}) into {} in {:.2f} s: {} CVE records, {} KEV entries, {} "
                           "EPSS scores, {} kernel fix records, {} OSV records\n",
                           sum->files, sum->skipped,
                           sum->not_feeds ? fmt::format(", {} not feeds", sum->not_feeds) : std::string(), db_path,
                           sum->seconds, sum->cves, sum->kev, sum->epss, sum->kernel, sum->osv);
  return kExitOk;
}

// Where `match --output-dir` writes the reports of one SBOM: its file name without ".json" and a
// ".cdx"/".bom" suffix, then ".vulns.cdx.json" or ".sarif"; a name already used gets "-2", "-3"...
std::string batch_output_name(const std::string& sbom_path, const std::string& format, std::set<std::string>& used) {
  std::string stem = std::filesystem::path(sbom_path).filename().string();
  for (const char* suffix : {".json", ".cdx", ".bom"})
    if (stem.size() > std::strlen(suffix) && stem.ends_with(suffix)) stem.resize(stem.size() - std::strlen(suffix));
  const std::string ext = format == "cyclonedx" ? ".vulns.cdx.json" : ".sarif";
  std::string name = stem + ext;
  for (int n = 2; !used.insert(name).second; ++n) name = fmt::format("{}-{}{}", stem, n, ext);
  return name;
}

// `iotaudit match SBOM...`: re-evaluates stored CycloneDX SBOMs against the current database. One
// Matcher serves them all, so the candidates of products and kernels the SBOMs share are read and
// decoded once; an SBOM that cannot be read is reported and the others are still checked.
int run_match(const std::vector<std::string>& sbom_paths, const std::string& db_path_opt,
              const std::vector<std::string>& vex_paths, const std::vector<ReportTarget>& targets,
              const std::string& output_dir, const std::string& fail_on, bool quiet) {
  if (sbom_paths.size() > 1 && output_dir.empty()) {
    std::cerr << "iotaudit: several SBOMs need --output-dir (one report per SBOM and format)\n";
    return kExitUsage;
  }
  if (!output_dir.empty())
    for (const auto& t : targets)
      if (!t.output.empty()) {
        std::cerr << "iotaudit: --output-dir names the reports itself; -o cannot be used with it\n";
        return kExitUsage;
      }
  std::optional<Severity> threshold;
  if (fail_on != "never" && !fail_on.empty()) {
    threshold = parse_severity(fail_on);
    if (!threshold) {
      std::cerr << "iotaudit: --fail-on must be one of never, low, medium, high, critical\n";
      return kExitUsage;
    }
  }
  trace::mark("command line read");
  // TBB's start (its worker thread, its allocator library: 2.5-5 ms) on a thread of its own while
  // the database opens and the SBOM is read: the first parallel work finds it running. (A
  // std::jthread is joined when it goes out of scope, on every return.)
  std::jthread tbb_start([] {
    tbb::task_group g;
    g.run([] {});
    g.wait();
    trace::mark("TBB started");
  });
  std::string db_path = db_path_opt.empty() ? match::default_db_path() : db_path_opt;
  // The database opens, and the matcher's product data is read, on a thread of their own while
  // this one reads and parses the first SBOM (each takes 1.5-4 ms at the start of a process on the
  // reference VM).
  std::optional<Result<std::unique_ptr<match::VulnDb>>> opened;
  std::optional<Result<match::MatchData>> data;
  std::jthread opening([&] {
    try {
      opened.emplace(match::VulnDb::open(db_path, false));
      trace::mark("database open");
      data.emplace(match::MatchData::builtin());
    } catch (const std::exception& e) {
      if (!opened) opened.emplace(fail(Errc::internal, fmt::format("cannot open {}: {}", db_path, e.what())));
      data.emplace(fail(Errc::internal, e.what()));
    }
  });
  struct Sbom {
    std::string text;
    std::optional<Result<match::SbomComponents>> comps;  // none when the file could not be read
  };
  auto load_sbom = [](const std::string& path) {
    Sbom sb;
    if (!read_file(path, sb.text)) return sb;
    trace::mark("SBOM read");
    sb.comps.emplace(match::read_cyclonedx_components(sb.text));
    trace::mark("SBOM parsed");
    return sb;
  };
  std::optional<Sbom> first;
  if (!sbom_paths.empty()) first = load_sbom(sbom_paths.front());
  opening.join();
  auto& db = *opened;
  if (!db) {
    std::cerr << fmt::format("iotaudit: {}\n", db.error().message);
    return kExitInput;
  }
  if (!*data) {
    std::cerr << fmt::format("iotaudit: {}\n", data->error().message);
    return kExitInternal;
  }
  std::vector<std::vector<match::VexStatement>> vex;
  for (const auto& f : vex_paths) {
    auto st = match::load_vex_file(f);
    if (!st) {
      std::cerr << fmt::format("iotaudit: {}\n", st.error().message);
      return kExitInput;
    }
    vex.push_back(std::move(*st));
  }
  if (!output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(output_dir, ec);
    if (ec) {
      std::cerr << fmt::format("iotaudit: cannot create {}: {}\n", output_dir, ec.message());
      return kExitOutput;
    }
  }
  match::Matcher matcher(**db, **data);
  matcher.open_second_connection_early();
  trace::mark("second connection started");
  std::set<std::string> used_names;
  bool input_failed = false, output_failed = false, findings = false;
  const bool want_cyclonedx =
      std::any_of(targets.begin(), targets.end(), [](const ReportTarget& t) { return t.format == "cyclonedx"; });
  for (std::size_t si = 0; si < sbom_paths.size(); ++si) {
    const std::string& sbom_path = sbom_paths[si];
    Sbom sb = si == 0 && first ? std::move(*first) : load_sbom(sbom_path);
    if (!sb.comps) {
      std::cerr << fmt::format("iotaudit: cannot read {}\n", sbom_path);
      input_failed = true;
      continue;
    }
    const std::string& text = sb.text;
    auto& comps = *sb.comps;
    if (!comps) {
      std::cerr << fmt::format("iotaudit: {}: {}\n", sbom_path, comps.error().message);
      input_failed = true;
      continue;
    }
    // The SBOM as it came, with its vulnerabilities in place of any it had: its text does not
    // depend on the matches and is written on the other core while they are computed.
    report::CycloneDxFrame frame;
    std::string frame_error;
    tbb::task_group framing;
    if (want_cyclonedx)
      framing.run([&] {
        if (auto f = report::cyclonedx_frame_of_text(text)) frame = std::move(*f);
        else frame_error = f.error().message;
        trace::mark("report frame written");
      });
    std::set<std::string> arches;
    for (const auto& m : comps->elf_machines)
      if (auto a = match::kernel_arch_dir(m); !a.empty()) arches.insert(a);
    matcher.set_kernel_arches(std::move(arches));
    auto matches = matcher.match(comps->components);
    trace::mark("matched");
    framing.wait();
    if (!frame_error.empty()) {
      std::cerr << fmt::format("iotaudit: {}: {}\n", sbom_path, frame_error);
      input_failed = true;
      continue;
    }
    for (const auto& st : vex) match::apply_vex(st, matches);
    std::size_t affected = 0, kev = 0;
    for (const auto& m : matches) {
      affected += m.status == VulnStatus::affected;
      kev += m.status == VulnStatus::affected && m.kev;
    }
    if (!quiet)
      std::cerr << fmt::format("{}: {} components ({} without name or version), {} affecting matches ({} in CISA "
                               "KEV), {} ruled out\n",
                               sbom_path, comps->components.size(), comps->skipped, affected, kev,
                               matches.size() - affected);
    for (const auto& t : targets) {
      std::string out_text;
      // CycloneDX as pieces, written without joining them (a kernel's report is 2.6 MB).
      report::CycloneDxPieces pieces;
      const bool as_pieces = t.format == "cyclonedx";
      if (as_pieces) {
        pieces = report::cyclonedx_pieces(frame, matches, "\n");
      } else {
        report::SarifInput si;
        si.tool_version = IOTAUDIT_VERSION;
        si.fallback_uri = std::filesystem::path(sbom_path).filename().string();
        si.component_location = comps->locations;
        for (const auto& m : matches)
          if (m.confidence != "low" || m.status != VulnStatus::affected) si.vulns.push_back(&m);
        out_text = report::dump_pretty(report::sarif_log(si));
        out_text += '\n';
      }
      trace::mark("report text made");
      std::string target = output_dir.empty()
                               ? t.output
                               : (std::filesystem::path(output_dir) / batch_output_name(sbom_path, t.format, used_names))
                                     .string();
      if (!target.empty() && target != "-") {
        bool written;
        if (as_pieces) {
          written = write_file_pieces(target, pieces.pieces);
        } else {
          std::ofstream out(target, std::ios::binary | std::ios::trunc);
          out.write(out_text.data(), static_cast<std::streamsize>(out_text.size()));
          out.close();  // a full disk may show only when the last buffer is written
          written = static_cast<bool>(out);
        }
        if (!written) {
          std::cerr << fmt::format("iotaudit: cannot write {}\n", target);
          output_failed = true;
          continue;
        }
        trace::mark("report written");
        if (!quiet) std::cerr << fmt::format("wrote {} to {}\n", t.format, target);
      } else {
        if (as_pieces) out_text = pieces.joined();
        if (!std::cout.write(out_text.data(), static_cast<std::streamsize>(out_text.size())).flush()) {
          std::cerr << "iotaudit: cannot write to standard output\n";
          output_failed = true;
        }
      }
    }
    if (threshold)
      for (const auto& m : matches) {
        if (m.status != VulnStatus::affected || m.confidence == "low") continue;
        double sc = m.cvss3_score >= 0 ? m.cvss3_score : m.cvss2_score;
        Severity sev = m.kev || sc >= 9  ? Severity::critical
                       : sc >= 7         ? Severity::high
                       : sc >= 4 || sc < 0 ? Severity::medium
                                           : Severity::low;
        findings = findings || sev >= *threshold;
      }
  }
  const int rc = output_failed ? kExitOutput : input_failed ? kExitInput : findings ? kExitFindings : kExitOk;
  // Every report is written and closed: the process ends here rather than freeing the matcher's
  // caches, records and matches piece by piece and joining the worker threads (3-4 ms after a
  // kernel SBOM's 1,600 matches, of a 50 ms run). The read-only connections need no closing.
  trace::report();
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(rc);
}

int run_db_upgrade(const std::string& db_path) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    std::cerr << fmt::format("iotaudit: no vulnerability database at {}\n", db_path);
    return kExitInput;
  }
  auto db = match::VulnDb::open(db_path, true);  // opening for writing converts an older schema
  if (!db) {
    std::cerr << fmt::format("iotaudit: {}\n", db.error().message);
    return kExitInput;
  }
  std::cerr << fmt::format("{}: up to date\n", db_path);
  return kExitOk;
}

int run_db_info(const std::string& db_path) {
  auto db = match::VulnDb::open(db_path, false);
  if (!db) {
    std::cerr << fmt::format("iotaudit: {}\n", db.error().message);
    return kExitInput;
  }
  auto& d = **db;
  std::cout << fmt::format("database: {}\n", db_path);
  std::cout << fmt::format("CVE records: {} (newest modification {})\n", d.count("cve"), d.latest_modified());
  std::cout << fmt::format("products indexed: {} (vendor, product, CVE) rows\n", d.count("affects"));
  std::cout << fmt::format("CISA KEV entries: {}\nEPSS scores: {}\nkernel fix records: {} per-branch, {} ranges\n",
                           d.count("kev"), d.count("epss"), d.count("kernel_fix"), d.count("kernel_range"));
  std::cout << fmt::format("OSV records: {} ({} affected-package entries)\n", d.count("osv"), d.count("osv_affected"));
  std::cout << "sources:\n";
  for (const auto& s : d.sources())
    std::cout << fmt::format("  {:<34} {:<14} {:<36} {:>7} records, data {}, imported {}\n", s.name, s.kind, s.format,
                             s.records, s.data_date.empty() ? "?" : s.data_date, s.imported_at);
  return kExitOk;
}

}  // namespace

#if !defined(IOTAUDIT_MIMALLOC)
// glibc's allocator only (mimalloc takes huge pages itself: core/allocator.hpp). Page faults
// dominate short runs on virtual machines (about 10 us each on the reference VM: a match of an
// SBOM with a Linux kernel took 10,400 of them). The heap is grown once by 64 MiB and that range
// is offered to transparent huge pages, so it faults in 2 MiB at a time: 10,400 -> 4,000 faults,
// 0.25 -> 0.18 s for that match, 0.50 -> 0.39 s for a scan of the TL-WR841N root filesystem
// (bench/vulndb_speed.md). Only virtual space is reserved; untouched pages cost nothing.
void reserve_heap_in_huge_pages() {
#if defined(__SANITIZE_ADDRESS__)
  return;  // the sanitizer's allocator does not use the program break
#endif
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  ::mallopt(M_TOP_PAD, 64 << 20);
  void* probe = std::malloc(8 << 20);  // below M_MMAP_THRESHOLD: grows the heap, plus the pad
  if (probe == nullptr) return;
  auto* end = static_cast<char*>(::sbrk(0));
  auto at = (reinterpret_cast<std::uintptr_t>(probe) + kHuge - 1) & ~(kHuge - 1);
  auto* begin = reinterpret_cast<char*>(at);
  if (end != reinterpret_cast<char*>(-1) && end > begin && end - begin <= (80 << 20))
    (void)::madvise(begin, static_cast<std::size_t>(end - begin), MADV_HUGEPAGE);
  std::free(probe);
}

// A worker thread's allocations come from a malloc arena of its own: a heap glibc maps 64 MiB at
// a time (HEAP_MAX_SIZE on 64-bit systems; with the 64 MiB top pad set in main it is writable
// whole from the start) that is not offered to transparent huge pages like the main heap, so
// the worker's buffers are faulted in 4 KiB at a time. Advised on the worker's first task. Sharing
// the main arena instead (M_ARENA_MAX 1) saved as much but serialised allocation: a fleet match
// with SARIF took 11.5 s instead of 6.3 s with it.
void advise_worker_heap() {
  constexpr std::uintptr_t kHeapMax = std::uintptr_t{64} << 20;
  void* p = std::malloc(64);
  if (p == nullptr) return;
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::free(p);
  const auto brk_end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  if (at < brk_end && brk_end - at < (std::uintptr_t{1} << 30)) return;  // the main heap: advised already
  (void)::madvise(reinterpret_cast<void*>(at & ~(kHeapMax - 1)), kHeapMax, MADV_HUGEPAGE);
}
#endif

int main(int argc, char** argv) {
  trace::mark("main");
  tune_allocator();  // core/allocator.hpp
#if !defined(IOTAUDIT_MIMALLOC)
  reserve_heap_in_huge_pages();
#endif
  CLI::App app{"iotaudit — security assessment of IoT firmware against EN 303 645, PSTI and related standards"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 finished (no finding at or above --fail-on), 1 findings at or above --fail-on\n"
      "(or a provision verdict named by --fail-on-verdict),\n"
      "2 usage error, 3 input unreadable, 4 output not writable, 5 internal error.");

  // Only the options of the command named first are built (all of them when the first argument
  // names no command, as for --help): CLI11's option objects for every command cost 1 ms of a
  // 40 ms `iotaudit match`.
  const std::string_view first = argc > 1 ? std::string_view(argv[1]) : std::string_view();
  const bool one_command = std::find(std::begin(kCommands), std::end(kCommands), first) != std::end(kCommands);
  if (!one_command && !first.empty() && first.front() != '-') {
    std::cerr << fmt::format("iotaudit: unknown command '{}' (commands: {}; --help for more)\n", first,
                             fmt::join(kCommands, ", "));
    return kExitUsage;
  }
  auto wanted = [&](std::string_view name) { return !one_command || first == name; };
  auto ran = [](const CLI::App* cmd) { return cmd != nullptr && cmd->parsed(); };

  CommonOptions scan_common, extract_common;
  std::string scan_path, extract_path, out_dir, fail_on = "never", fail_on_verdict = "never";
  std::vector<std::string> formats, outputs;

  CLI::Option* format_opt = nullptr;
  CLI::Option* output_opt = nullptr;
  std::vector<std::string> gate_standards;
  CLI::App* scan = nullptr;
  if (wanted("scan")) {
    scan = app.add_subcommand("scan", "Unpack a firmware image (or an extracted root filesystem) and assess it");
    scan->add_option("PATH", scan_path, "Firmware image file or root filesystem directory")->required();
    format_opt = scan->add_option("-f,--format", formats,
                                  "Report format: text, json, cyclonedx, spdx, sarif, psti-statement (repeatable; each may be followed by -o FILE)");
    output_opt = scan->add_option("-o,--output", outputs,
                                  "Output file for the -f just before it ('-' for stdout; default stdout)");
    scan->add_option("--fail-on", fail_on, "Exit 1 if a finding has this severity or higher (never, info, low, "
                                           "medium, high, critical)")->capture_default_str();
    scan->add_option("--fail-on-verdict", fail_on_verdict,
                     "Exit 1 if a provision of a standard has this verdict: fail, or inconclusive (fail or "
                     "inconclusive); never by default")->capture_default_str();
    scan->add_option("--standard", gate_standards,
                     "Only provisions of this standard trip --fail-on-verdict (repeatable; catalog ids: "
                     "etsi-en-303-645, etsi-en-303-645-v3, uk-psti, ncsc-dsp, en-18031-1, nistir-8259a; default all)");
    add_common(scan, scan_common);
    add_vuln_options(scan, scan_common);
    scan->add_option("--declaration", scan_common.declaration,
                     "Manufacturer declaration (YAML or JSON, schema/declaration.schema.json): support period, disclosure "
                     "policy, conditions, answers for documentation-only provisions");
  }

  std::string sbom_path;
  std::vector<std::string> sbom_formats, sbom_outputs;
  CommonOptions sbom_common;
  CLI::App* sbom = nullptr;
  CLI::Option* sbom_format_opt = nullptr;
  CLI::Option* sbom_output_opt = nullptr;
  if (wanted("sbom")) {
    sbom = app.add_subcommand("sbom", "Identify the components of a firmware image and write an SBOM");
    sbom->add_option("PATH", sbom_path, "Firmware image file or root filesystem directory")->required();
    sbom_format_opt = sbom->add_option("-f,--format", sbom_formats,
                                       "SBOM format: cyclonedx (default), spdx, json (repeatable; each may be "
                                       "followed by -o FILE)");
    sbom_output_opt = sbom->add_option("-o,--output", sbom_outputs,
                                       "Output file for the -f just before it ('-' for stdout; default stdout)");
    add_common(sbom, sbom_common);
    add_vuln_options(sbom, sbom_common);
  }

  CLI::App* extract = nullptr;
  if (wanted("extract")) {
    extract = app.add_subcommand("extract", "Unpack a firmware image into a directory, safely, with a listing");
    extract->add_option("PATH", extract_path, "Firmware image file")->required();
    extract->add_option("-o,--output", out_dir, "Output directory (created; must be empty)")->required();
    add_common(extract, extract_common);
  }

  CommonOptions hardening_common;
  std::string hardening_path, hardening_format = "text";
  CLI::App* hardening = nullptr;
  if (wanted("hardening")) {
    hardening = app.add_subcommand("hardening", "List the exploit mitigations (NX, PIE, RELRO, canary, FORTIFY, "
                                                "RPATH) of every ELF file in an image or directory");
    hardening->add_option("PATH", hardening_path, "Firmware image file or directory")->required();
    hardening->add_option("-f,--format", hardening_format, "text (a checksec-style table) or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "json"}));
    add_common(hardening, hardening_common);
  }

  std::string db_path;
  std::vector<std::string> db_sources;
  unsigned db_jobs = 0;
  bool db_force = false, db_quiet = false;
  CLI::App* db_import = nullptr;
  CLI::App* db_info = nullptr;
  CLI::App* db_upgrade = nullptr;
  if (wanted("db")) {
    auto* dbcmd = app.add_subcommand("db", "Manage the offline vulnerability database");
    dbcmd->require_subcommand(1);
    db_path = match::default_db_path();
    db_import = dbcmd->add_subcommand("import", "Import vulnerability feeds (NVD JSON 1.1 / API 2.0, CISA KEV, "
                                                      "EPSS, linux-kernel-cves) into the database");
    db_import->add_option("SOURCE", db_sources, "Feed files (plain or .gz) or directories of them")->required();
    db_import->add_option("--db", db_path, "Database file")->capture_default_str();
    db_import->add_option("-j,--jobs", db_jobs, "Parser threads (0: one per core)");
    db_import->add_flag("--force", db_force, "Re-import files that were imported before");
    db_import->add_flag("-q,--quiet", db_quiet, "No per-file lines");
    db_info = dbcmd->add_subcommand("info", "Print the database's sources, record counts and data dates");
    db_info->add_option("--db", db_path, "Database file")->capture_default_str();
    db_upgrade = dbcmd->add_subcommand("upgrade", "Convert a database written by an older iotaudit to this one's "
                                                        "schema, in place");
    db_upgrade->add_option("--db", db_path, "Database file")->capture_default_str();
  }

  std::string match_db, match_fail_on = "never", match_output_dir;
  std::vector<std::string> match_sboms, match_vex, match_formats, match_outputs;
  bool match_quiet = false;
  CLI::App* matchcmd = nullptr;
  CLI::Option* match_format_opt = nullptr;
  CLI::Option* match_output_opt = nullptr;
  if (wanted("match")) {
    matchcmd = app.add_subcommand("match", "Check stored CycloneDX SBOMs against the current vulnerability database");
    matchcmd->add_option("SBOM", match_sboms, "CycloneDX JSON SBOMs (from `iotaudit sbom` or another tool)")->required();
    matchcmd->add_option("--output-dir", match_output_dir,
                         "Write each SBOM's reports to DIR/NAME.vulns.cdx.json and DIR/NAME.sarif (needed for several "
                         "SBOMs)");
    matchcmd->add_option("--db", match_db, "Vulnerability database (default: " + match::default_db_path() + ")");
    matchcmd->add_option("--vex", match_vex, "CycloneDX VEX or OpenVEX file marking CVEs not_affected (repeatable)")
        ->allow_extra_args(false);
    match_format_opt = matchcmd->add_option("-f,--format", match_formats,
                                            "cyclonedx (the SBOM with vulnerabilities; default) or sarif "
                                            "(repeatable; each may be followed by -o FILE)")
                           ->allow_extra_args(false);
    match_output_opt = matchcmd->add_option("-o,--output", match_outputs, "Output file for the -f just before it")
                           ->allow_extra_args(false);
    matchcmd->add_option("--fail-on", match_fail_on, "Exit 1 if an affecting CVE has this severity or higher")
        ->capture_default_str();
    matchcmd->add_flag("-q,--quiet", match_quiet, "No summary on stderr");
  }

  CLI::App* version = wanted("version") ? app.add_subcommand("version", "Print the version") : nullptr;
  std::string list_what;
  CLI::App* list = nullptr;
  if (wanted("list")) {
    list = app.add_subcommand("list", "Print the supported formats, checks or components as Markdown");
    list->add_option("WHAT", list_what, "formats | checks | components")
        ->required()
        ->check(CLI::IsMember({"formats", "checks", "components"}));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    if (ran(version)) {
      std::cout << "iotaudit " << IOTAUDIT_VERSION << "\n";
      return kExitOk;
    }
    // Only for the commands that run worker threads: installing it starts TBB (2 ms, 160 system
    // calls). Not under the sanitizer: its allocator has no glibc arenas to advise, and observing
    // the main thread's TBB arena makes TBB keep a record LeakSanitizer reports at exit.
    std::optional<WorkerThreadHook> worker_heaps;
#if !defined(__SANITIZE_ADDRESS__) && !defined(IOTAUDIT_MIMALLOC)
    if (!ran(list) && !ran(db_info) && !ran(db_upgrade)) worker_heaps.emplace(&advise_worker_heap);
#endif
    // Pair each -o with the -f that precedes it, in command-line order.
    auto pair_targets = [](CLI::App* cmd, const CLI::Option* fopt, const CLI::Option* oopt,
                           const std::vector<std::string>& fs, const std::vector<std::string>& os,
                           const std::string& default_format) -> std::optional<std::vector<ReportTarget>> {
      std::vector<ReportTarget> targets;
      std::size_t fi = 0, oi = 0;
      for (const CLI::Option* o : cmd->parse_order()) {
        if (o == fopt && fi < fs.size()) {
          targets.push_back({fs[fi++], ""});
        } else if (o == oopt && oi < os.size()) {
          if (targets.empty()) targets.push_back({default_format, ""});
          if (!targets.back().output.empty()) return std::nullopt;
          targets.back().output = os[oi++];
        }
      }
      if (targets.empty()) targets.push_back({default_format, ""});
      return targets;
    };
    if (ran(scan) || ran(sbom)) {
      auto targets = ran(scan) ? pair_targets(scan, format_opt, output_opt, formats, outputs, "text")
                           : pair_targets(sbom, sbom_format_opt, sbom_output_opt, sbom_formats, sbom_outputs,
                                          "cyclonedx");
      if (!targets) {
        std::cerr << "iotaudit: each -o must follow its own -f\n";
        return kExitUsage;
      }
      if (ran(sbom))
        for (const auto& t : *targets)
          if (t.format != "cyclonedx" && t.format != "spdx" && t.format != "json") {
            std::cerr << fmt::format("iotaudit: sbom writes cyclonedx, spdx or json, not '{}'\n", t.format);
            return kExitUsage;
          }
      return ran(scan) ? run_scan(scan_path, scan_common, *targets, fail_on, fail_on_verdict, gate_standards)
                   : run_scan(sbom_path, sbom_common, *targets, "never", "never", {});
    }
    if (ran(extract)) return run_extract(extract_path, out_dir, extract_common);
    if (ran(hardening)) return run_hardening(hardening_path, hardening_format, hardening_common);
    if (ran(matchcmd)) {
      auto targets = pair_targets(matchcmd, match_format_opt, match_output_opt, match_formats, match_outputs, "cyclonedx");
      if (!targets) {
        std::cerr << "iotaudit: each -o must follow its own -f\n";
        return kExitUsage;
      }
      for (const auto& t : *targets)
        if (t.format != "cyclonedx" && t.format != "sarif") {
          std::cerr << fmt::format("iotaudit: match writes cyclonedx or sarif, not '{}'\n", t.format);
          return kExitUsage;
        }
      return run_match(match_sboms, match_db, match_vex, *targets, match_output_dir, match_fail_on, match_quiet);
    }
    if (ran(db_import)) return run_db_import(db_path, db_sources, db_jobs, db_force, db_quiet);
    if (ran(db_info)) return run_db_info(db_path);
    if (ran(db_upgrade)) return run_db_upgrade(db_path);
    if (ran(list)) return run_list(list_what);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("iotaudit: internal error: {}\n", e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
