// The checks that turn unpacking diagnostics into findings.
#include <gtest/gtest.h>

#include <algorithm>

#include "analyze/analyzer.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

analyze::CheckOutput run_check(const Tree& t, const char* id) {
  auto ex = make_serial_executor();
  Limits lim;
  analyze::Context ctx{t, *ex, lim};
  const auto* check = analyze::find_check(id);
  EXPECT_NE(check, nullptr) << id;
  if (check == nullptr) return {};
  return check->run(ctx, Facts{});
}

TEST(HostilePathCheck, HostilePathCheckReportsTraversal) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {file("../../etc/evil", "x\n"), file("a/../../../b", "y\n"),
                                      file("etc/fine", "z\n")}));
  auto out = run_check(*t, "unpack.hostile_path");
  ASSERT_EQ(out.findings.size(), 2u);
  std::vector<std::string> paths;
  for (const auto& f : out.findings) {
    EXPECT_EQ(f.check_id, "unpack.hostile_path");
    ASSERT_EQ(f.evidence.size(), 1u);
    EXPECT_EQ(f.evidence[0].facts.at("diagnostic"), "path.traversal");
    paths.push_back(f.evidence[0].path);
    EXPECT_FALSE(f.fingerprint.empty());
  }
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/b", "/etc/evil"}));
  EXPECT_NE(out.findings[0].fingerprint, out.findings[1].fingerprint);
  EXPECT_GE(out.run.subjects, 2u);
}

TEST(HostilePathCheck, CleanArchiveHasNoFinding) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("etc/a", "1\n"), file("etc/b", "2\n")}));
  auto out = run_check(*t, "unpack.hostile_path");
  EXPECT_TRUE(out.findings.empty());
}

TEST(HostilePathCheck, DuplicatePathIsNotTraversal) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("a", "1\n"), file("a", "2\n")}));
  EXPECT_TRUE(any_diag(*t, "path.duplicate"));
  EXPECT_TRUE(run_check(*t, "unpack.hostile_path").findings.empty());
}

TEST(LimitReachedCheck, DepthLimitBecomesFinding) {
  std::vector<std::uint8_t> v(4000, 'x');
  for (int i = 0; i < 4; ++i) v = gzip(v);
  Limits lim;
  lim.max_depth = 2;
  auto t = unpack_bytes(v, lim);
  auto out = run_check(*t, "unpack.limit_reached");
  ASSERT_EQ(out.findings.size(), 1u) << diag_dump(*t);
  const auto& f = out.findings[0];
  EXPECT_EQ(f.check_id, "unpack.limit_reached");
  EXPECT_NE(f.title.find("limit.depth"), std::string::npos) << f.title;
  ASSERT_EQ(f.evidence.size(), 1u);
  EXPECT_EQ(f.evidence[0].logical_path, "img \xC2\xBB gzip@0x0 \xC2\xBB gzip@0x0 \xC2\xBB gzip@0x0");
  // Limits are not path traversal.
  EXPECT_TRUE(run_check(*t, "unpack.hostile_path").findings.empty());
}

}  // namespace
}  // namespace iotaudit
