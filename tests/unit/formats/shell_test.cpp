#include <gtest/gtest.h>

#include "formats/shell.hpp"

using namespace iotaudit::formats;

namespace {
std::vector<std::string> W(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }
}  // namespace

TEST(Shell, QuotesContinuationsAndVariables) {
  auto s = parse_shell("#!/bin/sh\nBIN=/usr/sbin/telnetd\n$BIN -l \"/bin/sh\" \\\n  -p '23 x' # comment\n"
                       "echo ${UNSET:-dflt} ${BIN} $(cat /x) `id`\n");
  ASSERT_EQ(s.commands.size(), 2u);
  EXPECT_EQ(s.commands[0].words, W({"/usr/sbin/telnetd", "-l", "/bin/sh", "-p", "23 x"}));
  EXPECT_EQ(s.commands[0].line, 3u);
  EXPECT_EQ(s.commands[1].words, W({"echo", "dflt", "/usr/sbin/telnetd", "$(cat /x)", "`id`"}));
  EXPECT_EQ(s.commands[1].line, 5u);
  EXPECT_EQ(s.assignments.at("BIN"), "/usr/sbin/telnetd");
}

TEST(Shell, CaseBranchesFunctionsAndConditions) {
  auto s = parse_shell("start() {\n  a -x\n}\nstop() { b; }\ncase \"$1\" in\n  start|boot) c ;;\n  stop)\n    d\n    ;;\n"
                       "esac\nif [ -f /x ]; then\n  e &\nfi\n[ -x /y ] && f\ng\n");
  std::map<std::string, const ShellCommand*> by;
  for (const auto& c : s.commands) by[c.words[0]] = &c;
  ASSERT_TRUE(by.count("a") && by.count("b") && by.count("c") && by.count("d") && by.count("e") && by.count("f"));
  EXPECT_EQ(by["a"]->function, "start");
  EXPECT_EQ(by["b"]->function, "stop");
  EXPECT_EQ(by["c"]->case_label, "start|boot");
  EXPECT_EQ(by["d"]->case_label, "stop");
  EXPECT_TRUE(by["e"]->conditional);
  EXPECT_TRUE(by["e"]->background);
  EXPECT_TRUE(by["f"]->conditional);
  EXPECT_FALSE(by["g"]->conditional);
  EXPECT_TRUE(by["g"]->case_label.empty());
  EXPECT_EQ(s.functions, W({"start", "stop"}));
}

TEST(Shell, CapsHoldOnHostileInput) {
  std::string many(200000, ';');
  for (int i = 0; i < 30000; ++i) many += "x\n";
  auto s = parse_shell(many, 100);
  EXPECT_EQ(s.commands.size(), 100u);
  EXPECT_TRUE(s.truncated);
  auto w = split_words(std::string(100000, 'a'));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].size(), 4096u);
  auto unbalanced = parse_shell("a \"b\nc $(d\n'e");
  EXPECT_FALSE(unbalanced.commands.empty());
}

TEST(Inittab, BusyBoxAndSysV) {
  auto e = parse_inittab("# c\n::sysinit:/etc/init.d/rcS\nttyS0::respawn:-/bin/sh\nid:2345:respawn:/sbin/getty 38400 tty1\nbad line\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[1].id, "ttyS0");
  EXPECT_EQ(e[1].action, "respawn");
  EXPECT_EQ(e[1].process, "-/bin/sh");
  EXPECT_EQ(e[1].line, 3u);
  EXPECT_EQ(e[2].runlevels, "2345");
}

TEST(Conf, KeyValueForms) {
  auto c = parse_conf("a=1\nb = \"two words\"\nuser root\n# x\n[Service]\nExecStart=/bin/x -y\nserver.username = \"www\"\n");
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].key, "a");
  EXPECT_EQ(c[1].value, "two words");
  EXPECT_EQ(c[2].key, "user");
  EXPECT_EQ(c[2].value, "root");
  EXPECT_EQ(c[3].section, "Service");
  EXPECT_TRUE(c[3].key.empty());
  EXPECT_EQ(c[4].section, "Service");
  EXPECT_EQ(c[4].value, "/bin/x -y");
  EXPECT_EQ(c[5].key, "server.username");
  EXPECT_EQ(c[5].value, "www");
}

TEST(Inetd, Fields) {
  auto e = parse_inetd("telnet stream tcp nowait root /usr/sbin/telnetd telnetd -l /bin/sh\n#x\nshort line\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].user, "root");
  EXPECT_EQ(e[0].server, "/usr/sbin/telnetd");
  EXPECT_EQ(e[0].args, W({"telnetd", "-l", "/bin/sh"}));
}
