#pragma once
// Unpack bytes built in a test and run every extractor and check over them, serially.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/analyzer.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit::test {

struct Analyzed {
  std::unique_ptr<Tree> tree;
  analyze::AnalysisResult result;
};

inline Analyzed analyze_bytes(std::vector<std::uint8_t> bytes) {
  Analyzed r;
  r.tree = unpack_bytes(std::move(bytes));
  auto ex = make_serial_executor();
  Limits lim;
  analyze::Context ctx{*r.tree, *ex, lim};
  r.result = analyze::analyze(ctx);
  return r;
}

inline std::vector<const Finding*> findings_of(const Analyzed& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const auto& f : r.result.findings)
    if (f.check_id == check) out.push_back(&f);
  return out;
}

// Every extractor (no checks) over a tree: the components it identifies.
inline std::vector<Component> components_of(const Tree& t) {
  auto ex = make_serial_executor();
  Limits lim;
  analyze::Context ctx{t, *ex, lim};
  Facts facts;
  for (const auto& e : analyze::extractors()) e.run(ctx, facts);
  return facts.components;
}

inline const Component* find(const std::vector<Component>& cs, const std::string& id, const std::string& version) {
  for (const auto& c : cs)
    if (c.id == id && c.version == version) return &c;
  return nullptr;
}

}  // namespace iotaudit::test
