// Corpus test: scans every image listed in ${IOTAUDIT_SHARED_DIR}/corpus/index.json with the
// iotaudit binary and compares the default/empty-password findings with the image's ground truth
// (NAME.truth.json):
//   (a) every truth issue of kind default_password / empty_password is reported, for the same
//       account, with the truth path as evidence path and provision 5.1-1;
//   (b) no other such finding is reported (false positives fail the test, on every image);
//   (c) when the tool reads a root filesystem, the accounts it lists include root, the accounts
//       named in truth issues and the users the image's services run as;
//   (d) verdicts: all 68 EN 303 645 V2.1.1 provisions (and the 78 of V3.1.3) have a verdict; every
//       planted issue is found by the check that judges its kind, and each EN 303 645 provision
//       the truth names for it (`etsi`) is `fail` with that finding among its evidence; on a clean
//       image no EN 303 645 provision (either version) fails.
// Images whose format is not in kSupported are reported as skipped, with the reason, after checks
// (b) and (c); a failure in those still fails the test. corpus_summary.passwords prints per-image
// counts and precision/recall.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#ifndef IOTAUDIT_BIN
#error "IOTAUDIT_BIN must be defined (path of the iotaudit binary)"
#endif
#ifndef IOTAUDIT_SHARED_DIR
#error "IOTAUDIT_SHARED_DIR must be defined"
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Outer formats (truth image.format) the tool is expected to handle today. "flash" counts only
// when the layer mounted at / is a squashfs (see unsupported_reason).
// "fit" counts because its root filesystem is a gzip'd cpio, found by carving inside the FIT blob.
const std::set<std::string> kSupported = {
    "squashfs", "trx", "uimage-multi", "zip-bundle", "tar.gz", "cpio.gz", "zip",
    "fit",      "ext2", "ext4",        "jffs2",      "ubi",    "cramfs"};

// Truth issue kind -> the check that judges it (every kind the corpus plants).
const std::map<std::string, std::string> kAllKinds = {
    {"default_password", "credentials.default_password"},
    {"empty_password", "credentials.empty_password"},
    {"web_hardcoded_credential", "credentials.web_password"},
    {"default_wifi_psk", "credentials.wifi_psk"},
    {"hardcoded_cloud_secret", "secrets.cloud_credentials"},
    {"telnet_enabled", "services.telnet"},
    {"uart_root_shell", "services.console_shell"},
    {"debug_gdbserver", "services.debug_daemon"},
    {"service_runs_as_root", "services.root_daemon"},
    {"ssh_root_password_login", "services.ssh_root_password"},
    {"debug_command_cgi", "web.command_cgi"},
    {"upnp_wan_enabled", "config.upnp"},
    {"snmp_public_community", "config.snmp_community"},
    {"ftp_anonymous", "config.ftp_anonymous"},
    {"world_writable", "files.world_writable"},
    {"extra_setuid_binary", "files.setuid"},
    {"unsigned_update", "updates.unsigned"},
    {"missing_vulnerability_disclosure", "disclosure.contact"},
    {"missing_support_period", "disclosure.support_period"},
    {"embedded_tls_private_key", "crypto.private_key"},
    {"embedded_ssh_host_key", "crypto.ssh_host_key"},
    {"weak_crypto_key", "crypto.weak_key"},
    {"expired_certificate", "crypto.expired_certificate"},
};

// Truth issue kind -> check id.
const std::map<std::string, std::string> kKinds = {
    {"default_password", "credentials.default_password"},
    {"empty_password", "credentials.empty_password"},
};

fs::path corpus_dir() { return fs::path(IOTAUDIT_SHARED_DIR) / "corpus"; }

std::string binary() {
  if (const char* b = std::getenv("IOTAUDIT_CORPUS_BINARY"); b != nullptr && *b) return b;
  return IOTAUDIT_BIN;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<json> load_json(const fs::path& p, std::string& error) {
  if (!fs::exists(p)) {
    error = p.string() + " does not exist";
    return std::nullopt;
  }
  json j = json::parse(read_file(p), nullptr, false);
  if (j.is_discarded()) {
    error = p.string() + " is not valid JSON";
    return std::nullopt;
  }
  return j;
}

struct Scan {
  int exit_code = -1;
  std::string how;  // "exit 0", "killed by signal 11"
  std::string stderr_text;
  std::optional<json> report;
  std::string error;  // why there is no report
};

// Runs `iotaudit scan IMAGE -f json -q`, stdout and stderr into temporary files.
Scan run_scan(const fs::path& image) {
  Scan s;
  const char* base = std::getenv("TMPDIR");
  std::string dir_tmpl = std::string(base && *base ? base : "/tmp") + "/iotaudit-corpus-XXXXXX";
  if (::mkdtemp(dir_tmpl.data()) == nullptr) {
    s.error = std::string("mkdtemp: ") + std::strerror(errno);
    return s;
  }
  fs::path dir = dir_tmpl;
  fs::path out_path = dir / "report.json", err_path = dir / "stderr.txt";
  std::vector<std::string> argv{binary(), "scan", image.string(), "-f", "json", "-q"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (pid < 0) {
    s.error = std::string("fork: ") + std::strerror(errno);
  } else {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
      s.exit_code = WEXITSTATUS(status);
      s.how = "exit " + std::to_string(s.exit_code);
    } else if (WIFSIGNALED(status)) {
      s.how = "killed by signal " + std::to_string(WTERMSIG(status));
    }
    s.stderr_text = read_file(err_path);
    json j = json::parse(read_file(out_path), nullptr, false);
    if (j.is_discarded())
      s.error = "the output is not JSON (" + s.how + "): " + s.stderr_text.substr(0, 500);
    else
      s.report = std::move(j);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return s;
}

std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const json& v = j.at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// (kind, account, path): one password issue.
using Key = std::tuple<std::string, std::string, std::string>;

std::string show(const Key& k) {
  return std::get<0>(k) + " for account '" + std::get<1>(k) + "' at " + std::get<2>(k);
}

std::set<Key> truth_issues(const json& truth) {
  std::set<Key> out;
  for (const auto& i : truth.value("issues", json::array())) {
    std::string kind = str(i, "kind");
    if (!kKinds.contains(kind)) continue;
    out.insert({kind, str(i.value("detail", json::object()), "user"), str(i, "path")});
  }
  return out;
}

struct Reported {
  std::set<Key> keys;
  std::vector<std::string> problems;  // findings that are malformed for this comparison
};

Reported reported_issues(const json& report) {
  Reported r;
  for (const auto& f : report.value("findings", json::array())) {
    std::string check = str(f, "check");
    std::string kind;
    for (const auto& [k, c] : kKinds)
      if (c == check) kind = k;
    if (kind.empty()) continue;
    const json ev = f.value("evidence", json::array());
    if (ev.empty()) {
      r.problems.push_back(check + " finding '" + str(f, "title") + "' has no evidence");
      continue;
    }
    const json& e = ev.front();
    Key key{kind, str(e.value("facts", json::object()), "account"), str(e, "path")};
    bool has_provision = false;
    for (const auto& p : f.value("provisions", json::array()))
      has_provision |= str(p, "provision") == "5.1-1";
    if (!has_provision) r.problems.push_back(show(key) + ": the finding does not cite provision 5.1-1");
    r.keys.insert(key);
  }
  return r;
}

// Empty when the tool is expected to read this image's root filesystem today.
std::string unsupported_reason(const json& truth) {
  const json image = truth.value("image", json::object());
  std::string format = str(image, "format");
  std::string rootfs_type;
  for (const auto& l : image.value("layers", json::array()))
    if (str(l, "mount") == "/") rootfs_type = str(l, "type");
  std::string layers;
  for (const auto& t : image.value("layer_types", json::array()))
    layers += (layers.empty() ? "" : ", ") + t.get<std::string>();
  if (format == "flash") {
    if (rootfs_type == "squashfs") return "";
    return "flash image whose root filesystem is " + rootfs_type +
           ", which iotaudit does not read yet (layers: " + layers + ")";
  }
  if (kSupported.contains(format)) return "";
  return "format '" + format + "' is not supported yet (layers: " + layers + ")";
}

struct Image {
  std::string name;  // index "file" without the extension, from the truth file name
  fs::path file, truth;
};

std::string describe(const std::set<Key>& keys) {
  if (keys.empty()) return "  (none)\n";
  std::string s;
  for (const auto& k : keys) s += "  - " + show(k) + "\n";
  return s;
}

class ImageTest : public ::testing::Test {
 public:
  explicit ImageTest(Image img) : img_(std::move(img)) {}

  void TestBody() override {
    std::string error;
    auto truth = load_json(img_.truth, error);
    ASSERT_TRUE(truth) << error;
    ASSERT_TRUE(fs::exists(img_.file)) << img_.file << " is listed in index.json but missing";
    Scan scan = run_scan(img_.file);
    ASSERT_EQ(scan.how, "exit 0") << "iotaudit scan " << img_.file << " ended with " << scan.how << "\n"
                                  << scan.stderr_text;
    ASSERT_TRUE(scan.report) << scan.error;
    const json& report = *scan.report;

    const std::set<Key> expected = truth_issues(*truth);
    const Reported got = reported_issues(report);
    for (const auto& p : got.problems) ADD_FAILURE() << img_.name << ": " << p;

    // (b) False positives count on every image, supported or not.
    std::set<Key> false_pos;
    std::set_difference(got.keys.begin(), got.keys.end(), expected.begin(), expected.end(),
                        std::inserter(false_pos, false_pos.end()));
    EXPECT_TRUE(false_pos.empty()) << img_.name
                                   << ": reported but not in the ground truth (false positives):\n"
                                   << describe(false_pos) << "ground truth:\n"
                                   << describe(expected);

    // (c) Accounts, wherever the tool reads a root filesystem (even in a format not listed as
    // supported).
    const json roots = report.value("root_filesystems", json::array());
    if (!roots.empty()) {
      std::set<std::string> names;
      for (const auto& a : report.value("accounts", json::array())) names.insert(str(a, "name"));
      std::set<std::string> want{"root"};
      for (const auto& k : expected) want.insert(std::get<1>(k));
      for (const auto& s : truth->value("services", json::array()))
        if (!str(s, "user").empty()) want.insert(str(s, "user"));
      std::string found;
      for (const auto& n : names) found += (found.empty() ? "" : ", ") + n;
      for (const auto& w : want)
        EXPECT_TRUE(names.contains(w)) << img_.name << ": account '" << w
                                       << "' (root, an issue's account or a service's user) is not among the "
                                          "accounts found: "
                                       << (found.empty() ? "(none)" : found);
    }

    check_verdicts(*truth, report);

    if (std::string why = unsupported_reason(*truth); !why.empty()) {
      GTEST_SKIP() << img_.name << ": " << why << "; " << expected.size()
                   << " default/empty-password issue(s) in the truth not checked (the tool read "
                   << roots.size() << " root filesystem(s))";
    }

    // A supported format: the root filesystem must be found...
    EXPECT_FALSE(roots.empty()) << img_.name << ": no root filesystem found in a supported format; layers: "
                                << report.value("layers", json::array()).dump()
                                << "\ndiagnostics: " << report.value("diagnostics", json::array()).dump();

    // (a) ...and every truth issue reported, for the same account and path.
    std::set<Key> missed;
    std::set_difference(expected.begin(), expected.end(), got.keys.begin(), got.keys.end(),
                        std::inserter(missed, missed.end()));
    EXPECT_TRUE(missed.empty()) << img_.name << ": in the ground truth but not reported (false negatives):\n"
                                << describe(missed) << "reported:\n"
                                << describe(got.keys);
  }

 private:
  // The finding ids of `report` that match a planted issue: the check that judges its kind, with
  // evidence at the issue's path (by file name for a configuration partition outside the root
  // filesystem); an issue without a path (missing documentation) needs only the check's finding.
  static std::set<std::string> matching_findings(const json& issue, const json& report) {
    std::set<std::string> ids;
    auto check = kAllKinds.find(str(issue, "kind"));
    if (check == kAllKinds.end()) return ids;
    auto text = [&](const char* key) {  // null or absent: empty
      return issue.contains(key) && issue.at(key).is_string() ? issue.at(key).get<std::string>() : std::string();
    };
    const std::string path = text("path"), layer = text("layer");
    for (const auto& f : report.value("findings", json::array())) {
      if (str(f, "check") != check->second) continue;
      bool hit = path.empty();
      for (const auto& e : f.value("evidence", json::array())) {
        std::string p = str(e, "path");
        hit = hit || p == path ||
              (!layer.empty() && layer != "rootfs" && !p.empty() &&
               fs::path(p).filename() == fs::path(path).filename());
      }
      if (hit) ids.insert(str(f, "id"));
    }
    return ids;
  }

  void check_verdicts(const json& truth, const json& report) {
    std::map<std::string, std::map<std::string, json>> by_standard;  // standard id -> provision -> verdict
    for (const auto& v : report.value("verdicts", json::array())) {
      auto& m = by_standard[str(v, "standard_id")];
      EXPECT_FALSE(m.contains(str(v, "provision"))) << img_.name << ": two verdicts for " << str(v, "standard_id")
                                                    << " " << str(v, "provision");
      m[str(v, "provision")] = v;
    }
    EXPECT_EQ(by_standard["etsi-en-303-645"].size(), 68u) << img_.name << ": EN 303 645 V2.1.1 verdicts";
    EXPECT_EQ(by_standard["etsi-en-303-645-v3"].size(), 78u) << img_.name << ": EN 303 645 V3.1.3 verdicts";
    const bool clean = str(truth.value("device", json::object()), "variant") == "clean";
    if (clean) {
      for (const char* sid : {"etsi-en-303-645", "etsi-en-303-645-v3"})
        for (const auto& [id, v] : by_standard[sid])
          EXPECT_NE(str(v, "status"), "fail") << img_.name << " is clean, yet " << sid << " " << id
                                              << " fails: " << str(v, "rationale") << "; findings "
                                              << v.value("findings", json::array()).dump();
    }
    for (const auto& issue : truth.value("issues", json::array())) {
      const std::string what =
          str(issue, "kind") + (issue.value("path", json()).is_string() ? " " + str(issue, "path") : "");
      if (!kAllKinds.contains(str(issue, "kind"))) {
        ADD_FAILURE() << img_.name << ": planted " << what << " is of a kind no check judges";
        continue;
      }
      std::set<std::string> ids = matching_findings(issue, report);
      if (ids.empty()) {
        ADD_FAILURE() << img_.name << ": planted " << what << " is not found by " << kAllKinds.at(str(issue, "kind"));
        continue;
      }
      for (const auto& p : issue.value("etsi", json::array())) {
        const std::string prov = p.get<std::string>();
        auto it = by_standard["etsi-en-303-645"].find(prov);
        if (it == by_standard["etsi-en-303-645"].end()) {
          ADD_FAILURE() << img_.name << ": planted " << what << " names " << prov << ", which has no verdict";
          continue;
        }
        const json& v = it->second;
        bool cited = false;
        for (const auto& fp : v.value("findings", json::array())) cited = cited || ids.contains(fp.get<std::string>());
        EXPECT_TRUE(str(v, "status") == "fail" && cited)
            << img_.name << ": planted " << what << " names " << prov << ", whose verdict is " << str(v, "status")
            << " (" << str(v, "rationale") << ") without the finding among its evidence";
      }
    }
  }

  Image img_;
};

struct Counts {
  std::size_t tp = 0, fp = 0, fn = 0;
  void add(const Counts& o) {
    tp += o.tp;
    fp += o.fp;
    fn += o.fn;
  }
  std::string ratios() const {
    char buf[128];
    auto pct = [](std::size_t a, std::size_t b) {
      return b == 0 ? -1.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b);
    };
    double p = pct(tp, tp + fp), r = pct(tp, tp + fn);
    std::snprintf(buf, sizeof buf, "TP=%zu FP=%zu FN=%zu precision=%s recall=%s", tp, fp, fn,
                  p < 0 ? "n/a" : (std::to_string(static_cast<int>(p + 0.5)) + "%").c_str(),
                  r < 0 ? "n/a" : (std::to_string(static_cast<int>(r + 0.5)) + "%").c_str());
    return buf;
  }
};

class SummaryTest : public ::testing::Test {
 public:
  explicit SummaryTest(std::vector<Image> images) : images_(std::move(images)) {}

  void TestBody() override {
    Counts all, supported;
    std::ostringstream table;
    for (const auto& img : images_) {
      std::string error;
      auto truth = load_json(img.truth, error);
      if (!truth) {
        ADD_FAILURE() << error;
        continue;
      }
      Scan scan = run_scan(img.file);
      if (!scan.report) {
        ADD_FAILURE() << img.name << ": " << scan.error;
        continue;
      }
      const std::set<Key> expected = truth_issues(*truth);
      const std::set<Key> got = reported_issues(*scan.report).keys;
      Counts c;
      for (const auto& k : got) (expected.contains(k) ? c.tp : c.fp) += 1;
      for (const auto& k : expected) c.fn += got.contains(k) ? 0 : 1;
      bool sup = unsupported_reason(*truth).empty();
      all.add(c);
      if (sup) supported.add(c);
      char line[256];
      std::snprintf(line, sizeof line, "  %-45s %-13s TP=%zu FP=%zu FN=%zu%s\n", img.file.filename().c_str(),
                    str(truth->value("image", json::object()), "format").c_str(), c.tp, c.fp, c.fn,
                    sup ? "" : "  (format not supported yet)");
      table << line;
    }
    std::cout << "default/empty passwords per image:\n" << table.str();
    std::cout << "default/empty passwords, all " << images_.size() << " images: " << all.ratios() << "\n";
    std::cout << "default/empty passwords, supported formats: " << supported.ratios() << "\n";
    RecordProperty("all_images", all.ratios());
    RecordProperty("supported_formats", supported.ratios());
  }

 private:
  std::vector<Image> images_;
};

std::string gtest_name(std::string s) {
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

// Stands in for the per-image tests when there is no corpus (skipped) or its index is unreadable
// (failed).
class NoCorpus : public ::testing::Test {
 public:
  NoCorpus(std::string why, bool broken) : why_(std::move(why)), broken_(broken) {}
  void TestBody() override {
    if (broken_) FAIL() << why_;
    GTEST_SKIP() << why_;
  }

 private:
  std::string why_;
  bool broken_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  fs::path index = corpus_dir() / "index.json";
  std::string error;
  const bool present = fs::exists(index);
  auto idx = present ? load_json(index, error) : std::nullopt;
  if (!idx) {
    std::string why =
        present ? error
                : "no corpus: " + index.string() +
                      " does not exist (IOTAUDIT_SHARED_DIR is set at configure time); corpus tests "
                      "skipped";
    ::testing::RegisterTest("corpus", "available", nullptr, nullptr, __FILE__, __LINE__,
                            [why, present]() -> ::testing::Test* { return new NoCorpus(why, present); });
    return RUN_ALL_TESTS();
  }
  std::vector<Image> images;
  for (const auto& i : idx->value("images", json::array())) {
    Image img;
    img.file = corpus_dir() / str(i, "file");
    img.truth = corpus_dir() / str(i, "truth");
    std::string t = str(i, "truth");
    img.name = t.ends_with(".truth.json") ? t.substr(0, t.size() - 11) : str(i, "file");
    images.push_back(img);
    ::testing::RegisterTest("corpus", gtest_name(img.name).c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [img]() -> ::testing::Test* { return new ImageTest(img); });
  }
  ::testing::RegisterTest("corpus_summary", "passwords", nullptr, nullptr, __FILE__, __LINE__,
                          [images]() -> ::testing::Test* { return new SummaryTest(images); });
  return RUN_ALL_TESTS();
}
