#include "unpack/materialize.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <csignal>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "unit/support/archive_writer.hpp"
#include "unit/support/squashfs_image.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;
namespace fs = std::filesystem;

std::optional<std::string> real(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

bool inside(const std::string& path, const std::string& dir) {
  return path == dir || path.starts_with(dir + "/");
}

const std::string kPasswd = "root:x:0:0::/root:/bin/sh\n";

// An archive that tries every way out of the extraction directory.
std::vector<std::uint8_t> hostile_tar() {
  Member suid = file("bin/su", "#!/bin/sh\n", 04755);
  Member ro = dir("ro", 0555);
  return make_archive(
      ArchiveFormat::ustar,
      {dir("etc"), file("etc/passwd", kPasswd), file("etc/shadow", "root::1:0:99999:7:::\n", 0600),
       dir("bin"), file("bin/busybox", "#!/bin/sh\necho hi\n", 0755), suid, ro, file("ro/f", "r\n"),
       symlink("link", "../../../../etc/passwd"), symlink("abs", "/etc/passwd"),
       dir("sub"), symlink("sub/deep", "../../../../../../etc"), symlink("sub/chain", "../link"),
       symlink("sub/up2", "../.."), symlink("sub/via", "up2/etc/passwd"), symlink("sub/via2", "up2/up2/etc/passwd"),
       symlink("down", "etc/passwd"), symlink("rootlink", "/"), symlink("esc2", "rootlink/etc/passwd"),
       symlink("dangle", "/nonexistent/file"), symlink("dotdot", ".."),
       hardlink("hl", "../outside"), hardlink("etc/passwd-", "etc/passwd"),
       file("../../etc/evil", "pwned\n"), dir("dev"), chardev("dev/console", 5, 1)});
}

class Materialize : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp.ok());
    // Nest the output so that "../../x" from it still lands inside the temporary directory,
    // where the test can see it.
    fs::create_directories(tmp / "a/b");
    out = tmp / "a/b/out";
  }
  TempDir tmp;
  std::string out;
};

TEST_F(Materialize, HostileTarStaysInsideOutputDirectory) {
  auto tree = unpack_bytes(hostile_tar(), Limits{}, "fw.tar");
  InputInfo info{"fw.tar", "fw.tar", "image", 0, ""};
  auto st = unpack::materialize(*tree, info, out);
  ASSERT_TRUE(st) << st.error().message;

  auto out_real = real(out);
  ASSERT_TRUE(out_real);
  const std::string region = out + "/tar@0x0";
  ASSERT_TRUE(fs::is_directory(region));
  auto passwd_real = real(region + "/etc/passwd");
  ASSERT_TRUE(passwd_real);

  // 1. Nothing was created outside the output directory.
  for (auto it = fs::recursive_directory_iterator(tmp.path()); it != fs::recursive_directory_iterator(); ++it) {
    std::string p = it->path().string();
    if (p == tmp / "a" || p == tmp / "a/b") continue;
    EXPECT_TRUE(inside(p, out)) << "created outside the output directory: " << p;
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "a/b/etc/evil")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "a/b/outside")));

  // 2. Every symlink under the output directory resolves inside it.
  int links = 0;
  for (auto it = fs::recursive_directory_iterator(out); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_symlink()) continue;
    ++links;
    std::string p = it->path().string();
    if (auto r = real(p)) {
      EXPECT_TRUE(inside(*r, *out_real)) << p << " -> " << fs::read_symlink(p) << " resolves to " << *r;
    } else {
      // Dangling: whatever exists of its target path must be inside, and the rest descends.
      std::error_code ec;
      fs::path w = fs::weakly_canonical(it->path(), ec);
      ASSERT_FALSE(ec) << p;
      EXPECT_TRUE(inside(w.string(), *out_real)) << p << " -> " << fs::read_symlink(p) << " would be " << w;
    }
  }
  EXPECT_GE(links, 10);

  // 3. Links reach what they reach on the device (chroot semantics), not the host's files.
  for (const char* l : {"link", "abs", "sub/chain", "down", "esc2", "sub/via"}) {
    auto r = real(region + "/" + l);
    ASSERT_TRUE(r) << l;
    EXPECT_EQ(*r, *passwd_real) << l;
    EXPECT_EQ(read_text(region + "/" + l), kPasswd) << l;
  }
  // On the device /sub/up2 is "/", which has no "up2": the link dangles there and here alike.
  EXPECT_FALSE(real(region + "/sub/via2"));
  EXPECT_EQ(real(region + "/sub/deep"), real(region + "/etc"));
  EXPECT_EQ(real(region + "/rootlink"), real(region));
  EXPECT_EQ(real(region + "/dotdot"), real(region));
  EXPECT_EQ(real(region + "/sub/up2"), real(region));

  // 4. The traversal member is kept inside, under its sanitised path.
  EXPECT_EQ(read_text(region + "/etc/evil"), "pwned\n");

  // 5. Modes: permission bits kept, setuid dropped, directories stay usable by the owner.
  struct stat sb {};
  ASSERT_EQ(::lstat((region + "/etc/shadow").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
  ASSERT_EQ(::lstat((region + "/bin/busybox").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((region + "/bin/su").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((region + "/ro").c_str(), &sb), 0);
  EXPECT_TRUE(S_ISDIR(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 0777, 0755u);

  // 6. Devices are never created.
  EXPECT_NE(::lstat((region + "/dev/console").c_str(), &sb), 0);
  EXPECT_EQ(errno, ENOENT);

  // 7. Hard links are written as copies; one pointing out of the archive is empty and inside.
  EXPECT_EQ(read_text(region + "/etc/passwd-"), kPasswd);
  ASSERT_EQ(::lstat((region + "/hl").c_str(), &sb), 0);
  EXPECT_TRUE(S_ISREG(sb.st_mode));
  EXPECT_EQ(sb.st_size, 0);
}

TEST_F(Materialize, ExtractJsonListsEveryNode) {
  auto tree = unpack_bytes(hostile_tar(), Limits{}, "fw.tar");
  InputInfo info{"fw.tar", "fw.tar", "image", 0, ""};
  ASSERT_TRUE(unpack::materialize(*tree, info, out));
  auto j = nlohmann::json::parse(read_text(out + "/extract.json"));
  EXPECT_EQ(j["schema"], "iotaudit-extract/1");
  const auto& nodes = j["nodes"];
  ASSERT_TRUE(nodes.is_array());
  ASSERT_EQ(nodes.size(), tree->size());

  std::vector<std::string> listed, expected;
  for (const auto& n : nodes) listed.push_back(n["logical_path"].get<std::string>());
  for (NodeId id = 0; id < tree->size(); ++id) expected.push_back(tree->logical_path(id));
  std::sort(listed.begin(), listed.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);

  bool saw_device = false, saw_evil = false;
  for (const auto& n : nodes) {
    const std::string type = n["type"];
    if (type == "char_device") {
      saw_device = true;
      EXPECT_TRUE(n["output"].is_null());
      EXPECT_EQ(n["rdev"], "5:1");
      EXPECT_EQ(n["path"], "/dev/console");
    }
    if (n.contains("path") && n["path"] == "/etc/evil") {
      saw_evil = true;
      ASSERT_TRUE(n.contains("diagnostics"));
      EXPECT_EQ(n["diagnostics"][0]["code"], "path.traversal");
      ASSERT_TRUE(n["output"].is_string());
      EXPECT_TRUE(fs::exists(out + "/" + n["output"].get<std::string>()));
    }
    // Every output path is relative and inside the output directory.
    if (n["output"].is_string()) {
      const std::string o = n["output"];
      EXPECT_TRUE(o.empty() || o.front() != '/') << o;
      EXPECT_EQ(o.find(".."), std::string::npos) << o;
    }
  }
  EXPECT_TRUE(saw_device);
  EXPECT_TRUE(saw_evil);
  EXPECT_EQ(j["stats"]["not_materialized"].get<int>() >= 1, true);
}

TEST_F(Materialize, RefusesNonEmptyOutputDirectory) {
  fs::create_directories(out);
  ASSERT_TRUE(write_text(out + "/keep.txt", "mine\n"));
  auto tree = unpack_bytes(hostile_tar(), Limits{}, "fw.tar");
  auto st = unpack::materialize(*tree, InputInfo{}, out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::invalid_argument);
  // Nothing was added or changed.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(read_text(out + "/keep.txt"), "mine\n");
}

TEST_F(Materialize, AcceptsEmptyExistingDirectory) {
  fs::create_directories(out);
  auto tree = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("a.txt", "a\n")}), Limits{}, "x.tar");
  auto st = unpack::materialize(*tree, InputInfo{}, out);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->files, 1u);
  EXPECT_EQ(read_text(out + "/tar@0x0/a.txt"), "a\n");
}

TEST_F(Materialize, FileInTheWayIsAnError) {
  ASSERT_TRUE(write_text(out, "a file, not a directory"));
  auto tree = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("a.txt", "a\n")}), Limits{}, "x.tar");
  EXPECT_FALSE(unpack::materialize(*tree, InputInfo{}, out));
  EXPECT_EQ(read_text(out), "a file, not a directory");
}

// A file that cannot be written in full is counted and named, never left as a silent truncation.
// The process's file size limit stands in for a full disk (write() fails with EFBIG past it).
TEST_F(Materialize, FileThatCannotBeWrittenIsCountedAndNamed) {
  const std::string big(300 << 10, 'x');
  auto tree = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("small.txt", "a\n"), file("big.bin", big)}),
                           Limits{}, "x.tar");
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit lim = old;
  lim.rlim_cur = 200 << 10;  // extract.json and small.txt fit, big.bin does not
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  auto st = unpack::materialize(*tree, InputInfo{}, out);
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->errors, 1u);
  EXPECT_EQ(read_text(out + "/tar@0x0/small.txt"), "a\n");
  auto j = nlohmann::json::parse(read_text(out + "/extract.json"));
  ASSERT_EQ(j["errors"].size(), 1u);
  EXPECT_NE(j["errors"][0].get<std::string>().find("big.bin"), std::string::npos) << j["errors"];
}

TEST_F(Materialize, DecodedStreamIsWrittenNextToItsRegion) {
  auto tree = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("etc/banner", "hello\n")}), Limits{}, "fw");
  ASSERT_TRUE(unpack::materialize(*tree, InputInfo{}, out));
  EXPECT_EQ(read_text(out + "/tar@0x0/etc/banner"), "hello\n");
}

TEST_F(Materialize, SquashfsModesAndLinksOnDisk) {
  if (!have_mksquashfs()) GTEST_SKIP() << "mksquashfs (squashfs-tools) not installed";
  const std::string src = tmp / "src";
  fs::create_directories(src + "/etc");
  fs::create_directories(src + "/bin");
  ASSERT_TRUE(write_text(src + "/etc/shadow", "root::1:0:99999:7:::\n"));
  ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\n"));
  fs::create_symlink("/etc/shadow", src + "/bin/abs");
  fs::create_symlink("../../../../../etc/shadow", src + "/bin/up");
  auto img = mksquashfs(tmp, src, "etc/shadow m 600 0 0\nbin/busybox m 755 0 0\ndev d 755 0 0\ndev/null c 666 0 0 1 3\n");
  ASSERT_TRUE(img) << read_text(tmp / "mksquashfs.log");
  auto tree = unpack_bytes(*img, Limits{}, "fw.bin");
  ASSERT_TRUE(unpack::materialize(*tree, InputInfo{}, out));
  const std::string r = out + "/squashfs@0x0";
  struct stat sb {};
  ASSERT_EQ(::lstat((r + "/etc/shadow").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
  ASSERT_EQ(::lstat((r + "/bin/busybox").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0755u);
  EXPECT_EQ(real(r + "/bin/abs"), real(r + "/etc/shadow"));
  EXPECT_EQ(real(r + "/bin/up"), real(r + "/etc/shadow"));
  EXPECT_NE(::lstat((r + "/dev/null").c_str(), &sb), 0);
  auto j = nlohmann::json::parse(read_text(out + "/extract.json"));
  EXPECT_EQ(j["nodes"].size(), tree->size());
  bool dev = false;
  for (const auto& n : j["nodes"])
    if (n.value("path", "") == "/dev/null") {
      dev = true;
      EXPECT_TRUE(n["output"].is_null());
      EXPECT_EQ(n["rdev"], "1:3");
    }
  EXPECT_TRUE(dev);
}

}  // namespace
}  // namespace iotaudit
