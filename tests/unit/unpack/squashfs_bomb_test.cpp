// A few KiB of squashfs can declare gigabytes of sparse files: the expansion ratio must stop the
// reader before it allocates them, with a limit diagnostic instead of silence.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/executor.hpp"
#include "unit/support/temp_dir.hpp"
#include "unpack/engine.hpp"

namespace iotaudit {
namespace {

TEST(SquashfsBomb, SparseFilesAreCutByTheExpansionRatio) {
  if (std::system("command -v mksquashfs >/dev/null 2>&1") != 0) GTEST_SKIP() << "mksquashfs not installed";
  test::TempDir dir;
  const std::string src = dir.path() + "/r", img = dir.path() + "/bomb.sqsh";
  ASSERT_EQ(std::system(("mkdir -p " + src + " && truncate -s 1G " + src + "/a " + src + "/b " + src + "/c").c_str()), 0);
  ASSERT_EQ(std::system(("mksquashfs " + src + " " + img + " -b 1M -quiet -no-progress >/dev/null").c_str()), 0);

  Limits limits;
  limits.ratio_floor_bytes = 1 << 20;
  auto exec = make_serial_executor();
  unpack::Engine engine(limits, *exec);
  auto tree = engine.unpack_file(img);
  ASSERT_TRUE(tree.has_value());
  bool ratio = false;
  std::uint64_t content = 0;
  for (NodeId id = 0; id < (*tree)->size(); ++id) {
    const Node& n = (*tree)->at(id);
    for (const auto& d : n.diagnostics) ratio = ratio || d.code == "limit.ratio";
    if (n.type == NodeType::file && n.content) content += n.content->view().size();
  }
  EXPECT_TRUE(ratio);
  EXPECT_LT(content, std::uint64_t{512} << 20) << "the reader materialised the sparse gigabytes";
  EXPECT_LT(engine.budget().bytes(), std::uint64_t{512} << 20);
}

}  // namespace
}  // namespace iotaudit
