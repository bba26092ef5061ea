// The service graph and the text-based checks on hostile input: enormous scripts and configuration
// files, binary junk where text is expected, pathological nesting and self-calling scripts. Each
// must finish with bounded output and keep the sane parts.
#include <gtest/gtest.h>

#include <string>

#include "analyze/analyzer.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/analyze_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

Analyzed analyze_members(const std::vector<Member>& members) {
  return analyze_bytes(make_archive(ArchiveFormat::ustar, members));
}

std::size_t count(const Analyzed& r, std::string_view check) { return findings_of(r, check).size(); }

std::vector<Member> base() {
  return {file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), file("etc/shadow", "root:*:1:0:99999:7:::\n"),
          file("bin/sh", "#!/bin/sh\n", 0755)};
}

TEST(ServiceGraph, EnormousAndJunkInputsStayBounded) {
  auto m = base();
  // 4 MiB of commands and separators, a telnetd at the very end.
  std::string huge;
  while (huge.size() < (4u << 20)) huge += "echo a; b & c && d || e | f\n";
  huge += "/usr/sbin/telnetd -l /bin/sh\n";
  m.push_back(file("etc/init.d/rcS", "#!/bin/sh\n" + huge, 0755));
  // Binary junk where inittab and an init script are expected.
  std::string junk;
  for (int i = 0; i < 200000; ++i) junk.push_back(static_cast<char>((i * 131) & 0xff));
  m.push_back(file("etc/inittab", junk));
  m.push_back(file("etc/init.d/S10junk", junk, 0755));
  // Unbalanced quoting and substitutions, deep nesting of case/if/functions.
  std::string nested = "#!/bin/sh\n";
  for (int i = 0; i < 5000; ++i) nested += "case $1 in\n a) if true; then f() {\n";
  nested += "dropbear -p 22 \"unterminated $(x `y\n";
  m.push_back(file("etc/init.d/S20nested", nested, 0755));
  // Scripts that call each other in a loop.
  m.push_back(file("etc/init.d/S30a", "#!/bin/sh\n/etc/init.d/S31b start\n", 0755));
  m.push_back(file("etc/init.d/S31b", "#!/bin/sh\n/etc/init.d/S30a start\n/usr/sbin/dnsmasq\n", 0755));
  // A 3 MiB configuration file full of keys.
  std::string conf;
  while (conf.size() < (3u << 20)) conf += "user=nobody\nlisten_ip=br-lan\n";
  m.push_back(file("etc/dnsmasq.conf", conf));
  auto r = analyze_members(m);
  // The 4 MiB rcS is larger than a boot script may be (1 MiB): not read, so no telnet finding
  // from it; the rest of the graph is intact.
  EXPECT_EQ(count(r, "services.telnet"), 0u);
  bool dnsmasq = false;
  for (const auto& s : r.result.facts.services) {
    EXPECT_LE(s.command.size(), 240u);
    EXPECT_LE(s.args.size(), 256u);
    if (s.name == "dnsmasq") {
      dnsmasq = true;
      EXPECT_EQ(s.user, "nobody");  // from the 3 MiB configuration file
    }
  }
  EXPECT_TRUE(dnsmasq);
  EXPECT_LE(r.result.facts.services.size(), 64u);
}

TEST(ServiceGraph, LargeButAllowedScriptIsRead) {
  auto m = base();
  std::string big = "#!/bin/sh\n";
  while (big.size() < (900u << 10)) big += "mkdir -p /var/run/x\n";
  big += "/usr/sbin/telnetd -l /bin/sh\n";
  m.push_back(file("etc/init.d/rcS", big, 0755));
  auto r = analyze_members(m);
  EXPECT_EQ(count(r, "services.telnet"), 1u);
}

TEST(TextChecks, SecretsInLongLinesAndJunkAreBounded) {
  auto m = base();
  std::string line(3u << 20, 'A');  // one 3 MiB line of key-id-like characters
  m.push_back(file("etc/config/blob.conf", line + "\n"));
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "api_key=9f3c2a7b51d04e88a6c1f0b2d4e7a91" + std::to_string(i % 10) + "\n";
  m.push_back(file("etc/config/many.conf", many));
  auto r = analyze_members(m);
  // One file with thousands of secrets gives a bounded number of findings, not one per line.
  EXPECT_GE(count(r, "secrets.cloud_credentials"), 1u);
  EXPECT_LE(count(r, "secrets.cloud_credentials"), 256u);
}

}  // namespace
}  // namespace iotaudit
