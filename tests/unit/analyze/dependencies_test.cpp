// Dependencies between components: DT_NEEDED of a component's ELF files, resolved like ld.so
// inside the root filesystem (RUNPATH with $ORIGIN before the default directories, symlinks
// followed, a unique file of that name elsewhere as the last resort).
#include <gtest/gtest.h>

#include "analyze/analyzer.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/elf_image.hpp"
#include "unit/support/analyze_util.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string elf(std::vector<std::pair<std::int64_t, std::string>> dyn, const std::string& text) {
  ElfSpec s;
  s.dyn_strings = std::move(dyn);
  return elf_string(s) + std::string(16, '\0') + text + std::string(16, '\0');
}


std::vector<std::string> deps(const Component* c) {
  std::vector<std::string> out;
  if (c != nullptr)
    for (const auto& d : c->depends_on) out.push_back(d.id + "@" + d.version);
  return out;
}

TEST(Dependencies, ResolvedLikeTheDynamicLinker) {
  const std::string pcre2_text = std::string("pcre2_compile\0", 14) + std::string("\0" "10.42 2022-12-11\0", 18);
  auto t = unpack_bytes(make_archive(
      ArchiveFormat::ustar,
      {file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
       // RUNPATH with $ORIGIN wins over /usr/lib: dropbear uses its private zlib.
       file("usr/sbin/dropbear",
            elf({{kDtNeeded, "libz.so.1"}, {kDtRunpath, "$ORIGIN/../lib/private"}}, "SSH-2.0-dropbear_2022.83"), 0755),
       file("usr/lib/private/libz.so.1.2.13", elf({}, "deflate 1.2.13 Copyright 1995-2022")),
       symlink("usr/lib/private/libz.so.1", "libz.so.1.2.13"),
       file("usr/lib/libz.so.1", elf({}, "inflate 1.2.11 Copyright 1995-2017")),
       // No path: the default directories, then a unique file of that name (multiarch).
       file("bin/busybox", elf({{kDtNeeded, "libz.so.1"}, {kDtNeeded, "libpcre2-8.so.0"}, {kDtNeeded, "libmissing.so.3"}},
                               "BusyBox v1.36.1 (2024-01-01 00:00:00 UTC) multi-call binary"), 0755),
       file("usr/lib/arm-linux-gnueabihf/libpcre2-8.so.0", elf({}, pcre2_text))}));
  auto cs = components_of(*t);
  const Component* dropbear = find(cs, "dropbear", "2022.83");
  const Component* busybox = find(cs, "busybox", "1.36.1");
  ASSERT_NE(dropbear, nullptr);
  ASSERT_NE(busybox, nullptr);
  ASSERT_NE(find(cs, "zlib", "1.2.13"), nullptr);
  ASSERT_NE(find(cs, "zlib", "1.2.11"), nullptr);
  ASSERT_NE(find(cs, "pcre2", "10.42"), nullptr);
  EXPECT_EQ(deps(dropbear), (std::vector<std::string>{"zlib@1.2.13"}));
  ASSERT_EQ(dropbear->depends_on.size(), 1u);
  EXPECT_EQ(dropbear->depends_on[0].evidence, "/usr/sbin/dropbear needs libz.so.1 (/usr/sbin/../lib/private/libz.so.1)");
  EXPECT_EQ(deps(busybox), (std::vector<std::string>{"pcre2@10.42", "zlib@1.2.11"}));
  EXPECT_TRUE(deps(find(cs, "zlib", "1.2.13")).empty());
}

TEST(Dependencies, LdSoConfDirectoriesComeBeforeTheDefaults) {
  auto t = unpack_bytes(make_archive(
      ArchiveFormat::ustar,
      {file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
       file("etc/ld.so.conf", "# local libraries first\n/opt/lib\ninclude /etc/ld.so.conf.d/*.conf\n"),
       file("opt/lib/libz.so.1", elf({}, "deflate 1.3.1 Copyright 1995-2024")),
       file("lib/libz.so.1", elf({}, "deflate 1.2.11 Copyright 1995-2017")),
       file("usr/sbin/dropbear", elf({{kDtNeeded, "libz.so.1"}}, "SSH-2.0-dropbear_2022.83"), 0755)}));
  auto cs = components_of(*t);
  EXPECT_EQ(deps(find(cs, "dropbear", "2022.83")), (std::vector<std::string>{"zlib@1.3.1"}));
}

// A library known only from the package database: the package's file list makes its files
// occurrences, so the binaries that need it depend on it.
TEST(Dependencies, PackageFileListsMakeLibrariesLinkable) {
  auto t = unpack_bytes(make_archive(
      ArchiveFormat::ustar,
      {file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
       file("usr/lib/opkg/status",
            "Package: libc\nVersion: 0.9.33.2-1\nStatus: install user installed\nArchitecture: ar71xx\n\n"
            "Package: dropbear\nVersion: 2011.54-2\nStatus: install user installed\nArchitecture: ar71xx\n\n"),
       file("usr/lib/opkg/info/libc.list", "/lib/libc.so.0\n/lib/libuClibc-0.9.33.2.so\n/lib/missing.so\n"),
       file("lib/libuClibc-0.9.33.2.so", elf({}, "no version string here")),
       symlink("lib/libc.so.0", "libuClibc-0.9.33.2.so"),
       file("usr/sbin/dropbear", elf({{kDtNeeded, "libc.so.0"}}, "SSH-2.0-dropbear_2011.54"), 0755)}));
  auto cs = components_of(*t);
  const Component* libc = find(cs, "libc", "0.9.33.2");
  ASSERT_NE(libc, nullptr);
  std::vector<std::string> paths;
  for (const auto& o : libc->occurrences) paths.push_back(o.path + " " + o.method);
  // The symlink in the list is not a file of its own; the library it names is listed itself.
  EXPECT_EQ(paths, (std::vector<std::string>{"/lib/libuClibc-0.9.33.2.so package-db:opkg:files",
                                             "/usr/lib/opkg/status package-db:opkg"}));
  EXPECT_EQ(deps(find(cs, "dropbear", "2011.54")), (std::vector<std::string>{"libc@0.9.33.2"}));
}

}  // namespace
}  // namespace iotaudit
