#include "pipeline/scan.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>

#include <ctime>
#include <optional>
#include <fmt/format.h>
#include <tbb/task_arena.h>

#include "analyze/analyzer.hpp"
#include "comply/catalog.hpp"
#include "core/bytes.hpp"
#include "core/hash.hpp"
#include "match/lifecycle.hpp"
#include "match/matcher.hpp"
#include "match/vex.hpp"

namespace iotaudit::pipeline {

Result<std::unique_ptr<Tree>> load_input(const std::string& path, unpack::Engine& engine, InputInfo& info) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(Errc::io, path + ": no such file or directory");
  info.path = path;
  info.name = std::filesystem::path(path).filename().string();
  if (S_ISDIR(st.st_mode)) {
    info.kind = "directory";
    return engine.load_directory(path);
  }
  info.kind = "image";
  info.size = static_cast<std::uint64_t>(st.st_size);
  ASSIGN_OR_RETURN(auto tree, engine.unpack_file(path));
  info.sha256 = sha256_hex(tree->content(tree->root())->view());
  return tree;
}

Status attach_vulnerabilities(Facts& facts, const ScanOptions& opts) {
  auto lifecycle = match::LifecycleData::builtin();
  if (lifecycle) {
    match::LifecycleOptions lo;
    lo.max_age_years = opts.max_age_years;
    facts.lifecycle = match::evaluate_lifecycle(facts.components, *lifecycle, lo);
  }
  VulnScanInfo& info = facts.vuln_info;
  info.components_checked = facts.components.size();
  for (const auto& c : facts.components) info.components_without_version += c.version.empty();
  if (!opts.use_db) {
    info.database_note = "vulnerability matching disabled (--no-db)";
    return {};
  }
  info.database_path = opts.db_path.empty() ? match::default_db_path() : opts.db_path;
  std::error_code ec;
  if (!std::filesystem::exists(info.database_path, ec)) {
    info.database_note = fmt::format("no vulnerability database at {}; create it with `iotaudit db import`",
                                     info.database_path);
    return {};
  }
  auto db = match::VulnDb::open(info.database_path, false);
  if (!db) {
    info.database_note = db.error().message;
    return {};
  }
  auto data = match::MatchData::builtin();
  if (!data) return tl::unexpected(data.error());
  info.database_present = true;
  info.database_note = fmt::format("{} CVE records, newest modification {}", (*db)->count("cve"), (*db)->latest_modified());
  match::Matcher matcher(**db, *data);
  std::set<std::string> arches;
  for (const auto& e : facts.elves)
    if (auto a = match::kernel_arch_dir(e.machine_name); !a.empty()) arches.insert(a);
  matcher.set_kernel_arches(std::move(arches));
  // The matcher runs in parallel; -j bounds it like the rest of the scan.
  if (opts.jobs > 0) {
    tbb::task_arena arena(static_cast<int>(opts.jobs));
    arena.execute([&] { facts.vulns = matcher.match(facts.components); });
  } else {
    facts.vulns = matcher.match(facts.components);
  }
  if (!opts.vex_files.empty()) {
    std::vector<match::VexStatement> statements;
    for (const auto& f : opts.vex_files) {
      ASSIGN_OR_RETURN(auto st, match::load_vex_file(f));
      statements.insert(statements.end(), st.begin(), st.end());
    }
    match::apply_vex(statements, facts.vulns);
  }
  return {};
}

Result<ScanResult> scan(const std::string& path, const ScanOptions& opts, Executor& executor,
                        unpack::Engine& engine) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  ASSIGN_OR_RETURN(auto catalogs, comply::load_builtin_catalogs());
  std::optional<comply::Declaration> declaration;
  if (!opts.declaration_path.empty()) {
    std::string text;
    if (!read_file(opts.declaration_path, text))
      return fail(Errc::io, fmt::format("{}: cannot read the declaration", opts.declaration_path));
    auto d = comply::parse_declaration(text);
    if (!d) return fail(Errc::invalid_argument, fmt::format("{}: {}", opts.declaration_path, d.error().message));
    d->source = opts.declaration_path;
    declaration = std::move(*d);
  }
  ScanResult r;
  ASSIGN_OR_RETURN(r.tree, load_input(path, engine, r.input));
  auto t1 = clock::now();
  analyze::Context ctx{*r.tree, executor, opts.limits};
  Status vuln_status;
  ctx.after_extract = [&](Facts& f) { vuln_status = attach_vulnerabilities(f, opts); };
  auto a = analyze::analyze(ctx);
  if (!vuln_status) return tl::unexpected(vuln_status.error());
  r.facts = std::move(a.facts);
  r.findings = std::move(a.findings);
  r.check_runs = std::move(a.runs);
  auto by_check = comply::provisions_by_check(catalogs);
  for (auto& f : r.findings)
    if (auto it = by_check.find(f.check_id); it != by_check.end()) f.provisions = it->second;
  {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char today[16];
    std::strftime(today, sizeof today, "%Y-%m-%d", &tm);
    auto condition_facts = comply::decide_condition_facts(r.facts, r.findings, r.check_runs);
    comply::EvaluationInput in;
    in.findings = &r.findings;
    in.runs = &r.check_runs;
    in.declaration = declaration ? &*declaration : nullptr;
    in.today = today;
    in.condition_facts = &condition_facts;
    in.contradictions = &r.declaration_contradictions;
    r.verdicts = comply::evaluate(catalogs, in);
    for (const auto& c : catalogs)
      r.standards.push_back({c.id, c.title, c.version, c.owner, c.previous, c.partial_mapping, c.provisions.size()});
    if (declaration) {
      r.declaration_source = declaration->source;
      r.declaration = std::move(*declaration);
    }
  }
  auto t2 = clock::now();
  r.stats.unpack_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.stats.analyze_seconds = std::chrono::duration<double>(t2 - t1).count();
  r.stats.total_seconds = std::chrono::duration<double>(t2 - t0).count();
  r.stats.nodes = r.tree->size();
  for (NodeId id = 0; id < r.tree->size(); ++id)
    if (r.tree->at(id).type == NodeType::file) ++r.stats.files;
  r.stats.bytes_unpacked = engine.budget().bytes();
  r.stats.threads = executor.concurrency();
  return r;
}

}  // namespace iotaudit::pipeline
