// Turns unpacking diagnostics that matter to a reviewer into findings: a limit that stopped
// extraction (the scan is incomplete, and the image may be a decompression bomb), and member
// paths that try to escape their container (a hostile or broken image).
#include <fmt/format.h>

#include "analyze/analyzer.hpp"

namespace iotaudit::analyze {

namespace {
CheckOutput from_diagnostics(Context& ctx, std::string_view prefix, const char* check_id,
                             Severity severity, const char* title_fmt, const char* description,
                             const char* remediation) {
  CheckOutput out;
  const Tree& t = ctx.tree;
  for (NodeId id = 0; id < t.size(); ++id) {
    for (const Diagnostic& d : t.at(id).diagnostics) {
      ++out.run.subjects;
      if (!d.code.starts_with(prefix)) continue;
      Finding f;
      f.check_id = check_id;
      f.title = fmt::format(fmt::runtime(title_fmt), d.code);
      f.severity = severity;
      f.description = description;
      f.remediation = remediation;
      Evidence e = evidence_at(t, id);
      e.excerpt = d.message;
      e.facts["diagnostic"] = d.code;
      f.evidence.push_back(std::move(e));
      f.fingerprint = fingerprint(check_id, t.logical_path(id), d.code + d.message);
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}
}  // namespace

CheckOutput check_unpack_limits(Context& ctx, const Facts&) {
  return from_diagnostics(
      ctx, "limit.", "unpack.limit_reached", Severity::medium, "Unpacking stopped at a limit ({})",
      "A safety limit stopped extraction, so part of the image was not analysed. Results for the "
      "affected container are incomplete.",
      "Check whether the container is a decompression bomb; otherwise raise the limit and scan again.");
}

CheckOutput check_hostile_paths(Context& ctx, const Facts&) {
  return from_diagnostics(
      ctx, "path.traversal", "unpack.hostile_path", Severity::medium,
      "Container member path escapes its root ({})",
      "A member of a container stores a path that climbs above the container root ('../'). "
      "Extracted naively, it would write outside the target directory. iotaudit kept it inside.",
      "Rebuild the image with relative member paths; treat the file as possibly tampered with.");
}

extern const CheckInfo check_unpack_limits_info;  // listed in checks.def
const CheckInfo check_unpack_limits_info{
    "unpack.limit_reached", "Unpacking limit reached",
    "A depth, size, ratio, node-count or time limit stopped extraction.", {}, &check_unpack_limits};
extern const CheckInfo check_hostile_paths_info;  // listed in checks.def
const CheckInfo check_hostile_paths_info{
    "unpack.hostile_path", "Path traversal in a container",
    "Archive or filesystem members whose stored path escapes the container root.", {}, &check_hostile_paths};

}  // namespace iotaudit::analyze
