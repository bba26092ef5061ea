// Accounts extracted from /etc/passwd and /etc/shadow of a root filesystem.
#include <gtest/gtest.h>

#include <map>

#include "analyze/analyzer.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

const char* kPasswd =
    "# generated\n"                                          // 1
    "root:x:0:0:root:/root:/bin/ash\n"                       // 2  -> shadow hash
    "daemon:*:1:1:daemon:/var:/bin/false\n"                  // 3  locked in passwd
    "legacy:abJnggxhB/yWI:100:100::/home/legacy:/bin/sh\n"   // 4  DES hash in passwd
    "nopw::101:101::/:/bin/sh\n"                             // 5  empty in passwd
    "shempty:x:102:102::/:/bin/sh\n"                         // 6  -> shadow empty
    "bang:x:103:103::/:/bin/sh\n"                            // 7  -> shadow "!" + hash
    "star:x:104:104::/:/bin/sh\n"                            // 8  -> shadow "*"
    "missing:x:105:105::/:/bin/sh\n"                         // 9  no shadow entry
    "np:x:106:106::/:/bin/sh\n";                             // 10 -> shadow "NP"

const char* kShadow =
    "root:$6$saltsalt$abcdefghijklmnopqrstuvwxyz:19000:0:99999:7:::\n"  // 1
    "shempty::19000:0:99999:7:::\n"                                      // 2
    "bang:!$1$salt$qwertyuiopasdfghjklzxc:19000:0:99999:7:::\n"          // 3
    "star:*:19000:0:99999:7:::\n"                                        // 4
    "np:NP:19000:0:99999:7:::\n";                                        // 5

std::map<std::string, Account> accounts_of(const Tree& t) {
  auto ex = make_serial_executor();
  Limits lim;
  analyze::Context ctx{t, *ex, lim};
  Facts facts;
  for (const auto& e : analyze::extractors()) e.run(ctx, facts);
  std::map<std::string, Account> out;
  for (auto& a : facts.accounts) out.emplace(a.name, a);
  return out;
}

TEST(Accounts, PasswdAndShadowCombined) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("etc/passwd", kPasswd), file("etc/shadow", kShadow, 0600),
                                                            dir("bin")}));
  auto acc = accounts_of(*t);
  ASSERT_EQ(acc.size(), 9u);

  const Account& root = acc.at("root");
  EXPECT_EQ(root.state, PasswordState::hash);
  EXPECT_EQ(root.hash, "$6$saltsalt$abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(root.hash_scheme, "sha512");
  EXPECT_EQ(root.source_path, "/etc/shadow");
  EXPECT_EQ(root.line, 1u);
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.shell, "/bin/ash");
  EXPECT_EQ(root.home, "/root");

  const Account& daemon = acc.at("daemon");
  EXPECT_EQ(daemon.state, PasswordState::locked);
  EXPECT_EQ(daemon.source_path, "/etc/passwd");
  EXPECT_EQ(daemon.line, 3u);

  const Account& legacy = acc.at("legacy");
  EXPECT_EQ(legacy.state, PasswordState::hash);
  EXPECT_EQ(legacy.hash_scheme, "des");
  EXPECT_EQ(legacy.hash, "abJnggxhB/yWI");
  EXPECT_EQ(legacy.source_path, "/etc/passwd");
  EXPECT_EQ(legacy.line, 4u);

  const Account& nopw = acc.at("nopw");
  EXPECT_EQ(nopw.state, PasswordState::empty);
  EXPECT_EQ(nopw.source_path, "/etc/passwd");
  EXPECT_EQ(nopw.line, 5u);

  const Account& shempty = acc.at("shempty");
  EXPECT_EQ(shempty.state, PasswordState::empty);
  EXPECT_EQ(shempty.source_path, "/etc/shadow");
  EXPECT_EQ(shempty.line, 2u);

  EXPECT_EQ(acc.at("bang").state, PasswordState::locked);
  EXPECT_TRUE(acc.at("bang").hash.empty());
  EXPECT_EQ(acc.at("star").state, PasswordState::locked);
  EXPECT_EQ(acc.at("np").state, PasswordState::locked);

  const Account& missing = acc.at("missing");
  EXPECT_EQ(missing.state, PasswordState::missing);
  EXPECT_EQ(missing.source_path, "/etc/passwd");
  EXPECT_EQ(missing.line, 9u);

  // Every account points at the file that holds its password field.
  for (const auto& [name, a] : acc) {
    ASSERT_NE(a.source, kNoNode) << name;
    EXPECT_EQ(t->at(a.source).path, a.source_path) << name;
  }
}

TEST(Accounts, PasswdThroughSymlinkIsFollowedInsideTheFilesystem) {
  // Common on devices: /etc/passwd is a link into a writable directory.
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {dir("etc"), dir("bin"), dir("var/etc"), symlink("etc/passwd", "../var/etc/passwd"),
                                      symlink("etc/shadow", "/var/etc/shadow"),
                                      file("var/etc/passwd", "admin:x:0:0::/:/bin/sh\n"),
                                      file("var/etc/shadow", "admin::1:0:99999:7:::\n")}));
  auto acc = accounts_of(*t);
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_EQ(acc.at("admin").state, PasswordState::empty);
  EXPECT_EQ(acc.at("admin").source_path, "/var/etc/shadow");
}

TEST(Accounts, LinkOutOfTheFilesystemDoesNotReachHostFiles) {
  // A link that climbs out resolves inside the image (chroot semantics): here to nothing.
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {dir("etc"), dir("bin"), symlink("etc/passwd", "../../../../../../etc/passwd")}));
  EXPECT_TRUE(accounts_of(*t).empty());
}

TEST(Accounts, NoPasswdNoAccounts) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {dir("etc"), dir("bin"), file("etc/hostname", "x\n")}));
  EXPECT_TRUE(accounts_of(*t).empty());
}

TEST(Accounts, RootfsUnderPrefixDirectoryIsFound) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {dir("squashfs-root"), dir("squashfs-root/etc"), dir("squashfs-root/bin"),
                                      file("squashfs-root/etc/passwd", "op:x:0:0::/:/bin/sh\n")}));
  auto acc = accounts_of(*t);
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_EQ(acc.at("op").state, PasswordState::missing);
  // The path as the device sees it, not the archive's prefix.
  EXPECT_EQ(acc.at("op").source_path, "/etc/passwd");
  EXPECT_EQ(t->at(acc.at("op").source).path, "/squashfs-root/etc/passwd");
}

}  // namespace
}  // namespace iotaudit
