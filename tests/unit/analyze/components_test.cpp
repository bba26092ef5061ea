// Components: classifier hits in files and raw ranges, package databases (opkg, dpkg, apk), one
// component per product and version with every occurrence; the package database parsers alone.
#include <gtest/gtest.h>

#include <map>

#include "analyze/analyzer.hpp"
#include "formats/busybox.hpp"
#include "formats/package_db.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/analyze_util.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;


ByteView bytes(const std::string& s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

const char* kPasswd = "root:x:0:0:root:/root:/bin/sh\n";

std::string elf_with(const std::string& text) {
  return std::string("\x7f" "ELF\x01\x01\x01", 7) + std::string(57, '\0') + text + std::string(64, '\0');
}

TEST(Components, OnePerProductAndVersionWithEveryOccurrence) {
  std::string bb = elf_with("BusyBox v1.36.1 (2024-01-01 00:00:00 UTC) multi-call binary");
  auto t = unpack_bytes(make_archive(
      ArchiveFormat::ustar,
      {file("etc/passwd", kPasswd), file("bin/busybox", bb, 0755), file("sbin/renamed-tool", bb, 0755),
       file("usr/sbin/dropbear", elf_with("SSH-2.0-dropbear_2020.81\r\n"), 0755),
       // A text file that mentions a version is not searched for ELF-only products.
       file("etc/motd", "Powered by BusyBox v9.9.9 (not a binary)\n")}));
  auto cs = components_of(*t);
  const Component* busybox = find(cs, "busybox", "1.36.1");
  ASSERT_NE(busybox, nullptr);
  ASSERT_EQ(busybox->occurrences.size(), 2u);  // the renamed copy too: contents, not names
  EXPECT_EQ(busybox->occurrences[0].path, "/bin/busybox");
  EXPECT_EQ(busybox->occurrences[1].path, "/sbin/renamed-tool");
  EXPECT_EQ(busybox->occurrences[0].offset, 64u);
  EXPECT_EQ(busybox->cpe, "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*");
  EXPECT_EQ(busybox->purl, "pkg:generic/busybox@1.36.1");
  EXPECT_EQ(busybox->occurrences[0].method, "classifier:busybox#1");
  EXPECT_NE(find(cs, "dropbear", "2020.81"), nullptr);
  EXPECT_EQ(find(cs, "busybox", "9.9.9"), nullptr);
  EXPECT_EQ(cs.size(), 2u);
}

TEST(Components, BootloaderBannerInAnUnclaimedRange) {
  std::vector<std::uint8_t> flash(0x20000, 0xff);
  std::string banner = "U-Boot 2018.03 (Mar 01 2019 - 10:00:00 +0800)";
  std::copy(banner.begin(), banner.end(), flash.begin() + 0x100);
  auto t = unpack_bytes(flash);
  auto cs = components_of(*t);
  const Component* ub = find(cs, "u-boot", "2018.03");
  ASSERT_NE(ub, nullptr);
  EXPECT_EQ(ub->occurrences[0].offset, 0x100u);
  ASSERT_EQ(ub->properties.size(), 1u);
  EXPECT_EQ(ub->properties[0], std::make_pair(std::string("u-boot:build_date"), std::string("Mar 01 2019")));
  EXPECT_TRUE(ub->occurrences[0].path.empty());
}

TEST(Components, PackageDatabasesMergeWithBinaries) {
  std::string status =
      "Package: busybox\nVersion: 1.36.1-3\nStatus: install user installed\nArchitecture: mips_24kc\n\n"
      "Package: libopenssl3\nVersion: 3.0.13-1\nStatus: install user installed\n\n"
      "Package: kernel\nVersion: 5.15.150-1-abcdef0123\nStatus: install hold installed\n\n"
      "Package: removed-thing\nVersion: 1.0-1\nStatus: deinstall ok config-files\n\n"
      "Package: uhttpd\nVersion: 2023-06-25-34a8a74d-2\nStatus: install user installed\n";
  std::string bb = elf_with("BusyBox v1.36.1 (2024-01-01 00:00:00 UTC) multi-call binary");
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("etc/passwd", kPasswd), file("bin/busybox", bb, 0755),
                                                            file("usr/lib/opkg/status", status)}));
  auto cs = components_of(*t);
  const Component* busybox = find(cs, "busybox", "1.36.1");
  ASSERT_NE(busybox, nullptr);
  ASSERT_EQ(busybox->occurrences.size(), 2u);  // the binary and the package database agree
  std::set<std::string> methods;
  for (const auto& o : busybox->occurrences) methods.insert(o.method);
  EXPECT_EQ(methods, (std::set<std::string>{"classifier:busybox#1", "package-db:opkg"}));
  const Component* ssl = find(cs, "openssl", "3.0.13");
  ASSERT_NE(ssl, nullptr);
  EXPECT_EQ(ssl->cpe, "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*");
  EXPECT_NE(find(cs, "linux-kernel", "5.15.150"), nullptr);
  EXPECT_EQ(find(cs, "removed-thing", "1.0"), nullptr);
  const Component* uhttpd = find(cs, "uhttpd", "2023-06-25-34a8a74d");
  ASSERT_NE(uhttpd, nullptr);
  EXPECT_TRUE(uhttpd->cpe.empty());
  EXPECT_EQ(uhttpd->purl, "pkg:generic/uhttpd@2023-06-25-34a8a74d-2");
  EXPECT_NE(uhttpd->occurrences[0].evidence.find("(line 18)"), std::string::npos) << uhttpd->occurrences[0].evidence;
}

TEST(Components, BusyBoxAppletsAreRecorded) {
  std::string table("\0[\0[[\0ash\0cat\0telnetd\0wget\0\0more data", 37);
  std::string bb = elf_with("BusyBox v1.36.1 (2024-01-01 00:00:00 UTC) multi-call binary" + table);
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("etc/passwd", kPasswd), file("bin/busybox", bb, 0755)}));
  auto cs = components_of(*t);
  const Component* busybox = find(cs, "busybox", "1.36.1");
  ASSERT_NE(busybox, nullptr);
  ASSERT_EQ(busybox->properties.size(), 1u);
  EXPECT_EQ(busybox->properties[0].first, "busybox:applets");
  EXPECT_EQ(busybox->properties[0].second, "[,[[,ash,cat,telnetd,wget");
  // Not sorted, or too short: not a table.
  EXPECT_TRUE(formats::busybox_applets(bytes(std::string("\0[\0[[\0zz\0aa\0", 12))).size() == 3u);
  EXPECT_TRUE(formats::busybox_applets(bytes(std::string("\0[\0[[\0", 6))).empty());
  EXPECT_TRUE(formats::busybox_applets(bytes("")).empty());
}

TEST(Components, EmbeddedKernelConfigIsFound) {
  std::string config = "#\n# Linux/mips 5.10.0 Kernel Configuration\n#\nCONFIG_MIPS=y\nCONFIG_IKCONFIG=y\n"
                       "# CONFIG_STACKPROTECTOR is not set\nCONFIG_MODULES=y\n";
  auto gz = gzip(config);
  std::string kernel = std::string(4096, '\x11') + "Linux version 5.10.0 (builder@host) (gcc 10.2) #1 SMP" +
                       std::string(300, '\x22') + "IKCFG_ST" + std::string(gz.begin(), gz.end()) + "IKCFG_ED" +
                       std::string(4096, '\x33');
  auto t = unpack_bytes(std::vector<std::uint8_t>(kernel.begin(), kernel.end()));
  auto cs = components_of(*t);
  const Component* k = find(cs, "linux-kernel", "5.10.0");
  ASSERT_NE(k, nullptr) << diag_dump(*t);
  std::map<std::string, std::string> props(k->properties.begin(), k->properties.end());
  EXPECT_EQ(props["linux-kernel:config_options"], "3");
  EXPECT_NE(props["linux-kernel:config"].find("gzip@0x"), std::string::npos) << props["linux-kernel:config"];
}

TEST(PackageDb, ControlStanzasDpkgAndApk) {
  auto pk = formats::parse_control_stanzas(bytes(
      "Package: a\nStatus: install ok installed\nVersion: 1:2.3-4\nDescription: x\n continued: line\n\n\n"
      "Package: b\nVersion: 5\nStatus: purge ok not-installed\n\nPackage: c\nVersion: 6.0-1\nSource: csrc (6.0-1)"));
  ASSERT_EQ(pk.size(), 3u);
  EXPECT_EQ(pk[0].name, "a");
  EXPECT_EQ(pk[0].line, 1u);
  EXPECT_TRUE(pk[0].installed);
  EXPECT_FALSE(pk[1].installed);
  EXPECT_EQ(pk[2].source, "csrc");
  EXPECT_EQ(pk[2].line, 12u);
  auto apk = formats::parse_apk_installed(bytes("C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\n"));
  ASSERT_EQ(apk.size(), 2u);
  EXPECT_EQ(apk[0].name, "musl");
  EXPECT_EQ(apk[0].version, "1.2.4-r2");
  EXPECT_EQ(apk[1].line, 6u);
  EXPECT_EQ(formats::upstream_version("1:1.35.0-4+deb12u1"), "1.35.0");
  EXPECT_EQ(formats::upstream_version("1.1.1k-r0"), "1.1.1k");
  EXPECT_EQ(formats::upstream_version("2022.82"), "2022.82");
  // Limits: a database of a million entries stops at the cap.
  std::string many;
  for (int i = 0; i < 30000; ++i) many += "Package: p" + std::to_string(i) + "\nVersion: 1\n\n";
  formats::PackageDbLimits lim;
  lim.max_packages = 1000;
  EXPECT_EQ(formats::parse_control_stanzas(bytes(many), lim).size(), 1000u);
  EXPECT_TRUE(formats::parse_control_stanzas(bytes("")).empty());
  EXPECT_TRUE(formats::parse_apk_installed(bytes("\n\n:\nP")).empty());
}

}  // namespace
}  // namespace iotaudit
