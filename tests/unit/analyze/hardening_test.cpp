// facts.hardening and the binaries.* checks on small ELF files packed into a tar root filesystem.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/elf_image.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

struct Run {
  std::unique_ptr<Tree> tree;
  analyze::AnalysisResult result;
};

ElfSpec legacy_mips() {
  ElfSpec s;
  s.is64 = false;
  s.big = true;
  s.machine = 8;
  s.type = 2;
  s.gnu_stack = {};
  s.sections = false;
  s.interp = "/lib/ld-uClibc.so.0";
  s.dyn_strings = {{kDtNeeded, "libc.so.0"}, {kDtRpath, "/tmp/lib"}};
  s.symbols = {{"system", false}, {"gets", false}, {"strcpy", false}, {"memcpy", false}};
  return s;
}

ElfSpec hardened_mips() {
  ElfSpec s = legacy_mips();
  s.type = 3;
  s.gnu_stack = {6};
  s.relro = true;
  s.dyn_strings = {{kDtNeeded, "libc.so.0"}};
  s.dyn_values = {{kDtFlags, 0x8}, {kDtFlags1, 0x08000001}};
  s.symbols = {{"__stack_chk_fail", false}, {"__stack_chk_guard", false}, {"__memcpy_chk", false}, {"strcpy", false}};
  return s;
}

ElfSpec libc_with_chk() {
  ElfSpec s = legacy_mips();
  s.type = 3;
  s.interp.clear();
  s.gnu_stack = {6};
  s.relro = true;
  s.dyn_strings = {{kDtSoname, "libc.so.0"}};
  s.symbols = {{"__memcpy_chk", true}, {"memcpy", true}, {"strcpy", true}, {"__stack_chk_fail", true}};
  return s;
}

Run analyze_files(std::vector<Member> members) {
  Run r;
  members.insert(members.begin(), {dir("bin"), dir("etc"), dir("lib")});
  members.push_back(file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
  r.tree = unpack_bytes(make_archive(ArchiveFormat::ustar, members));
  auto ex = make_serial_executor();
  Limits lim;
  analyze::Context ctx{*r.tree, *ex, lim};
  r.result = analyze::analyze(ctx);
  return r;
}

std::vector<const Finding*> findings_of(const Run& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const auto& f : r.result.findings)
    if (f.check_id == check) out.push_back(&f);
  return out;
}

const ElfHardening* hardening_of(const Run& r, std::string_view path) {
  for (const auto& h : r.result.facts.hardening)
    if (h.path == path) return &h;
  return nullptr;
}

bool lists(const Finding& f, std::string_view path) {
  return std::any_of(f.evidence.begin(), f.evidence.end(), [&](const Evidence& e) { return e.path == path; });
}

TEST(Hardening, FactsPerBinary) {
  auto r = analyze_files({file("bin/legacy", elf_string(legacy_mips()), 0755),
                          file("bin/good", elf_string(hardened_mips()), 0755),
                          file("lib/libc.so.0", elf_string(libc_with_chk()), 0755)});
  const ElfHardening* legacy = hardening_of(r, "/bin/legacy");
  const ElfHardening* good = hardening_of(r, "/bin/good");
  const ElfHardening* libc = hardening_of(r, "/lib/libc.so.0");
  ASSERT_TRUE(legacy && good && libc);
  EXPECT_EQ(legacy->nx, Tristate::no);
  EXPECT_NE(legacy->exec_stack_reason.find("MIPS"), std::string::npos) << legacy->exec_stack_reason;
  EXPECT_EQ(legacy->pie, PieKind::no);
  EXPECT_EQ(legacy->relro, Relro::none);
  EXPECT_FALSE(legacy->canary);
  EXPECT_EQ(legacy->rpath, "/tmp/lib");
  EXPECT_TRUE(legacy->stripped);
  EXPECT_EQ(legacy->dangerous, (std::vector<std::string>{"gets", "strcpy", "system"}));
  // The image's libc offers only __memcpy_chk: memcpy is fortifiable, strcpy is not.
  EXPECT_EQ(legacy->unfortified, (std::vector<std::string>{"memcpy"}));
  EXPECT_EQ(legacy->fortify_reference, "/lib/libc.so.0");

  EXPECT_EQ(good->nx, Tristate::yes);
  EXPECT_EQ(good->pie, PieKind::yes);
  EXPECT_EQ(good->relro, Relro::full);
  EXPECT_TRUE(good->canary);
  EXPECT_EQ(good->canary_symbol, "__stack_chk_fail");
  EXPECT_EQ(good->fortified, (std::vector<std::string>{"__memcpy_chk"}));
  EXPECT_TRUE(good->unfortified.empty());

  EXPECT_EQ(libc->pie, PieKind::dso);
  EXPECT_FALSE(libc->canary);  // its own __stack_chk_fail definition is no evidence of protection
}

TEST(Hardening, OneFindingPerMitigation) {
  auto r = analyze_files({file("bin/legacy", elf_string(legacy_mips()), 0755),
                          file("bin/legacy2", elf_string(legacy_mips()), 0755),
                          file("bin/good", elf_string(hardened_mips()), 0755)});
  for (auto id : {"binaries.no_nx", "binaries.no_pie", "binaries.no_relro", "binaries.no_canary"}) {
    auto f = findings_of(r, id);
    ASSERT_EQ(f.size(), 1u) << id;
    EXPECT_TRUE(lists(*f[0], "/bin/legacy")) << id;
    EXPECT_TRUE(lists(*f[0], "/bin/legacy2")) << id;
    EXPECT_FALSE(lists(*f[0], "/bin/good")) << id;
    EXPECT_EQ(f[0]->evidence.front().facts.at("binaries_affected"), "2") << id;
    EXPECT_EQ(f[0]->evidence.front().facts.at("binaries_examined"), "3") << id;
  }
  EXPECT_EQ(findings_of(r, "binaries.no_nx")[0]->severity, Severity::high);
  EXPECT_EQ(findings_of(r, "binaries.no_relro")[0]->severity, Severity::medium);
  auto d = findings_of(r, "binaries.dangerous_functions");
  ASSERT_EQ(d.size(), 3u);  // both legacy binaries (gets: low) and good (strcpy: info)
  for (const auto* f : d) {
    if (lists(*f, "/bin/good")) {
      EXPECT_EQ(f->severity, Severity::info);
      EXPECT_EQ(f->evidence[0].facts.at("imports"), "strcpy");
    } else {
      EXPECT_EQ(f->severity, Severity::low);
    }
  }
}

TEST(Hardening, CleanImageHasNoMitigationFindings) {
  auto r = analyze_files({file("bin/good", elf_string(hardened_mips()), 0755)});
  for (auto id : {"binaries.no_nx", "binaries.no_pie", "binaries.no_relro", "binaries.no_canary"})
    EXPECT_TRUE(findings_of(r, id).empty()) << id;
  auto run = std::find_if(r.result.runs.begin(), r.result.runs.end(),
                          [](const CheckRun& c) { return c.check_id == "binaries.no_nx"; });
  ASSERT_NE(run, r.result.runs.end());
  EXPECT_EQ(run->subjects, 1u);
}

TEST(Hardening, EvidenceIsCapped) {
  std::vector<Member> m;
  for (int i = 0; i < 60; ++i) m.push_back(file(fmt::format("bin/b{:02}", i), elf_string(legacy_mips()), 0755));
  auto r = analyze_files(m);
  auto f = findings_of(r, "binaries.no_nx");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->evidence.size(), 51u);  // summary + 50
  EXPECT_EQ(f[0]->evidence.front().facts.at("binaries_affected"), "60");
  EXPECT_EQ(f[0]->evidence.front().facts.at("binaries_listed"), "50");
}

TEST(Hardening, StaticBinariesAndKernelModules) {
  ElfSpec stat = hardened_mips();
  stat.type = 2;
  stat.interp.clear();
  stat.dynamic = false;
  stat.relro = false;
  stat.symtab = true;
  stat.sections = true;
  stat.symbols = {{"__stack_chk_fail", true}, {"__memcpy_chk", true}, {"system", true}, {"main", true}};
  ElfSpec stripped = stat;
  stripped.symtab = false;
  ElfSpec module = legacy_mips();
  module.type = 1;  // ET_REL
  module.dynamic = false;
  module.sections = true;
  module.symtab = true;
  module.interp.clear();
  module.symbols = {{"__stack_chk_fail", false}, {"strcpy", false}};
  auto r = analyze_files({file("bin/static", elf_string(stat), 0755), file("bin/static-stripped", elf_string(stripped), 0755),
                          file("lib/mod.ko", elf_string(module))});
  const ElfHardening* s = hardening_of(r, "/bin/static");
  const ElfHardening* ss = hardening_of(r, "/bin/static-stripped");
  const ElfHardening* ko = hardening_of(r, "/lib/mod.ko");
  ASSERT_TRUE(s && ss && ko);
  // Static: the symbol table shows the canary, a fortified copy and system linked in.
  EXPECT_FALSE(s->dynamic);
  EXPECT_TRUE(s->canary);
  EXPECT_EQ(s->fortified, (std::vector<std::string>{"__memcpy_chk"}));
  EXPECT_EQ(s->dangerous, (std::vector<std::string>{"system"}));
  EXPECT_FALSE(ss->canary);
  EXPECT_TRUE(ss->stripped);
  // Kernel module: no NX verdict, not PIE-classified, never a binaries.* subject.
  EXPECT_EQ(ko->nx, Tristate::unknown);
  EXPECT_EQ(ko->pie, PieKind::rel);
  EXPECT_TRUE(ko->canary);  // its __stack_chk_fail reference, from .symtab
  EXPECT_TRUE(ko->dangerous.empty());  // the kernel's strcpy is not libc's
  for (const auto& f : r.result.findings) EXPECT_FALSE(lists(f, "/lib/mod.ko")) << f.check_id;
  // The stripped static binary cannot be judged for a canary: the run says so.
  EXPECT_TRUE(findings_of(r, "binaries.no_canary").empty());
  auto run = std::find_if(r.result.runs.begin(), r.result.runs.end(),
                          [](const CheckRun& c) { return c.check_id == "binaries.no_canary"; });
  ASSERT_NE(run, r.result.runs.end());
  EXPECT_FALSE(run->conclusive);
  EXPECT_EQ(run->subjects, 1u);
  // Static executables are RELRO subjects only when dynamically linked: none here.
  EXPECT_TRUE(findings_of(r, "binaries.no_relro").empty());
}

}  // namespace
}  // namespace iotaudit
