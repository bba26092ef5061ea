#include "pipeline/scan.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "analyze/analyzer.hpp"
#include "comply/catalog.hpp"
#include "core/hash.hpp"

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

Result<ScanResult> scan(const std::string& path, const ScanOptions& opts, Executor& executor,
                        unpack::Engine& engine) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  ASSIGN_OR_RETURN(auto catalogs, comply::load_builtin_catalogs());
  ScanResult r;
  ASSIGN_OR_RETURN(r.tree, load_input(path, engine, r.input));
  auto t1 = clock::now();
  analyze::Context ctx{*r.tree, executor, opts.limits};
  auto a = analyze::analyze(ctx);
  r.facts = std::move(a.facts);
  r.findings = std::move(a.findings);
  r.check_runs = std::move(a.runs);
  auto by_check = comply::provisions_by_check(catalogs);
  for (auto& f : r.findings)
    if (auto it = by_check.find(f.check_id); it != by_check.end()) f.provisions = it->second;
  r.verdicts = comply::evaluate(catalogs, r.findings, r.check_runs);
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
