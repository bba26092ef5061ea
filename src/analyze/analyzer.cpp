#include "analyze/analyzer.hpp"

#include <algorithm>

#include "core/hash.hpp"

namespace iotaudit::analyze {

#define X(id, fn) void fn(Context&, Facts&);
#include "analyze/extractors.def"
#undef X
#define X(id, fn) CheckOutput fn(Context&, const Facts&); extern const CheckInfo fn##_info;
#include "analyze/checks.def"
#undef X

const std::vector<ExtractorInfo>& extractors() {
  static const std::vector<ExtractorInfo> list = {
#define X(id, fn) {#id, "", &fn},
#include "analyze/extractors.def"
#undef X
  };
  return list;
}

const std::vector<CheckInfo>& checks() {
  static const std::vector<CheckInfo> list = {
#define X(id, fn) fn##_info,
#include "analyze/checks.def"
#undef X
  };
  return list;
}

const CheckInfo* find_check(std::string_view id) {
  for (const auto& c : checks())
    if (c.id == id) return &c;
  return nullptr;
}

AnalysisResult analyze(Context& ctx) {
  AnalysisResult r;
  for (const auto& e : extractors()) e.run(ctx, r.facts);
  if (ctx.after_extract) ctx.after_extract(r.facts);
  const auto& list = checks();
  std::vector<CheckOutput> outs(list.size());
  ctx.executor.parallel_for(list.size(), [&](std::size_t i) {
    outs[i] = list[i].run(ctx, r.facts);
    outs[i].run.check_id = list[i].id;
    outs[i].run.version = list[i].version;
    outs[i].run.title = list[i].title;
    outs[i].run.description = list[i].description;
  });
  for (auto& o : outs) {
    for (auto& f : o.findings) r.findings.push_back(std::move(f));
    r.runs.push_back(std::move(o.run));
  }
  std::sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.check_id != b.check_id) return a.check_id < b.check_id;
    return a.fingerprint < b.fingerprint;
  });
  return r;
}

Evidence evidence_at(const Tree& tree, NodeId node) {
  Evidence e;
  e.node = node;
  e.logical_path = tree.logical_path(node);
  const Node& n = tree.at(node);
  if (n.fs_root != kNoNode) e.path = n.path;
  return e;
}

NodeId rootfs_of(const Tree& tree, const Facts& facts, NodeId node) {
  const Node& n = tree.at(node);
  NodeId best = kNoNode;
  std::size_t best_len = 0;
  for (NodeId r : facts.rootfs) {
    const Node& rn = tree.at(r);
    if (rn.fs_root != n.fs_root) continue;
    const std::string& rp = rn.path;
    bool inside = rp.empty() || rp == "/" || n.path == rp || (n.path.starts_with(rp) && n.path.size() > rp.size() && n.path[rp.size()] == '/');
    if (inside && (best == kNoNode || rp.size() >= best_len)) {
      best = r;
      best_len = rp.size();
    }
  }
  return best;
}

std::string device_path(const Tree& tree, const Facts& facts, NodeId node) {
  NodeId r = rootfs_of(tree, facts, node);
  return r == kNoNode ? tree.at(node).path : tree.path_within(r, node);
}

Evidence evidence_in(const Tree& tree, const Facts& facts, NodeId node) {
  Evidence e = evidence_at(tree, node);
  if (tree.at(node).fs_root != kNoNode) e.path = device_path(tree, facts, node);
  return e;
}

std::vector<NodeId> text_files(const Tree& tree, const Facts& facts, std::uint64_t max_size) {
  std::vector<NodeId> out;
  for (const auto& [id, kind] : facts.kinds)
    if ((kind == FileKind::text || kind == FileKind::script) && tree.at(id).size <= max_size) out.push_back(id);
  std::vector<std::pair<std::string, NodeId>> keyed;
  keyed.reserve(out.size());
  for (NodeId id : out) keyed.emplace_back(tree.logical_path(id), id);
  std::sort(keyed.begin(), keyed.end());
  for (std::size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].second;
  return out;
}

std::string fingerprint(std::string_view check_id, std::string_view where, std::string_view subject) {
  std::string key;
  key.append(check_id).append("|").append(where).append("|").append(subject);
  return sha256_hex(ByteView(key)).substr(0, 16);
}

std::string censor(std::string_view secret, std::size_t keep) {
  if (secret.size() <= keep) return std::string(secret.size(), '*');
  return std::string(secret.substr(0, keep)) + std::string(std::min<std::size_t>(secret.size() - keep, 8), '*');
}

}  // namespace iotaudit::analyze
