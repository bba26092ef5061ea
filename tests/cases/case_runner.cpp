// Scenario tests: every tests/cases/<area>/<name>.case file is one GoogleTest test, registered as
// <area>.<name>. A case builds an input (a squashfs, tar, cpio, raw image or directory made from a
// fixture directory), runs the iotaudit binary on it and checks the exit code, the JSON report
// and other outputs against the case's expectations. tests/cases/README.md describes the format.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef IOTAUDIT_BIN
#error "IOTAUDIT_BIN must be defined (path of the iotaudit binary)"
#endif
#ifndef IOTAUDIT_CASES_DIR
#error "IOTAUDIT_CASES_DIR must be defined (tests/cases in the source tree)"
#endif
#ifndef MKSQUASHFS
#define MKSQUASHFS ""
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers

struct CaseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream is{std::string(s)};
  std::string tok;
  while (is >> tok) out.push_back(tok);
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw CaseError("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw CaseError("cannot write " + p.string());
}

// Decimal or 0x-prefixed hexadecimal, optionally negative.
std::optional<std::int64_t> parse_int(std::string_view s) {
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return neg ? -v : v;
}

std::string excerpt(const std::string& s, std::size_t max = 2000) {
  if (s.size() <= max) return s;
  return s.substr(0, max) + "\n[... " + std::to_string(s.size() - max) + " more bytes]";
}

// ---------------------------------------------------------------------------------------------
// Case file parsing

struct Line {
  int number = 0;
  std::string directive;
  std::string value;  // rest of the line, comment removed, trimmed
  std::string text;   // "directive: value", for messages
};

struct Case {
  fs::path file;
  std::string description;
  std::optional<Line> input, command, exit, report;
  std::vector<Line> expectations;
};

const std::set<std::string>& expectation_directives() {
  static const std::set<std::string> d{
      "expect-finding",    "expect-no-finding",    "expect-finding-count",   "expect-verdict",
      "expect-check",      "expect-diagnostic",    "expect-no-diagnostic",   "expect-account",
      "expect-no-account", "expect-account-count", "expect-root-filesystem", "expect-root-filesystem-count",
      "expect-layer",      "expect-no-layer",      "expect-layer-count",     "expect-json",
      "expect-json-match", "expect-stdout",        "expect-stderr",          "expect-file",
      "expect-no-file"};
  return d;
}

// Directives whose value is kept verbatim (free text or JSON), so " #" is not a comment there.
bool verbatim(const std::string& d) {
  return d == "expect-json" || d == "expect-json-match" || d == "expect-stdout" || d == "expect-stderr";
}

Case parse_case(const fs::path& file) {
  Case c;
  c.file = file;
  std::istringstream in(read_file(file));
  std::string raw;
  int n = 0;
  bool in_header = true;
  auto err = [&](const std::string& msg) {
    return CaseError(file.string() + ":" + std::to_string(n) + ": " + msg);
  };
  while (std::getline(in, raw)) {
    ++n;
    std::string t = trim(raw);
    if (t.empty()) continue;
    if (t.front() == '#') {
      if (in_header) {
        std::string d = trim(std::string_view(t).substr(1));
        if (!d.empty()) c.description += (c.description.empty() ? "" : " ") + d;
      }
      continue;
    }
    in_header = false;
    auto colon = t.find(':');
    if (colon == std::string::npos) throw err("expected 'directive: value', got '" + t + "'");
    Line l;
    l.number = n;
    l.directive = trim(std::string_view(t).substr(0, colon));
    std::string value = std::string(t.substr(colon + 1));
    if (!verbatim(l.directive)) {
      // A '#' that starts a word begins a comment.
      for (std::size_t i = 0; i < value.size(); ++i)
        if (value[i] == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(value[i - 1])))) {
          value.resize(i);
          break;
        }
    }
    l.value = trim(value);
    l.text = l.directive + ": " + l.value;
    auto once = [&](std::optional<Line>& slot) {
      if (slot)
        throw err("'" + l.directive + "' given twice (first on line " + std::to_string(slot->number) + ")");
      slot = l;
    };
    if (l.value.empty()) throw err("'" + l.directive + "' needs a value");
    if (l.directive == "input")
      once(c.input);
    else if (l.directive == "command")
      once(c.command);
    else if (l.directive == "exit")
      once(c.exit);
    else if (l.directive == "report")
      once(c.report);
    else if (expectation_directives().contains(l.directive))
      c.expectations.push_back(l);
    else
      throw err("unknown directive '" + l.directive + "'");
  }
  n = 1;
  if (c.description.empty()) throw err("a case starts with a '# description' comment line");
  if (!c.input) throw err("missing 'input:' (use 'input: none' when the command needs no input)");
  if (!c.command) throw err("missing 'command:'");
  if (!c.exit) throw err("missing 'exit:'");
  return c;
}

// Splits "key=value" words; positional words (no '=') are returned in order.
struct Words {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> named;
};

Words split_words(const std::string& value) {
  Words w;
  for (auto& tok : split_ws(value)) {
    auto eq = tok.find('=');
    if (eq == std::string::npos || eq == 0)
      w.positional.push_back(tok);
    else
      w.named.emplace_back(tok.substr(0, eq), tok.substr(eq + 1));
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Input construction

struct Entry {
  std::string path;  // relative, '/'-separated, no leading '/'
  bool dir = false;
  std::string content;
  std::uint32_t mode = 0644;
  std::uint32_t uid = 0, gid = 0;
};

struct ModeSpec {
  std::string path;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0, gid = 0;
  bool owner = false;
};

fs::path cases_dir() { return fs::path(IOTAUDIT_CASES_DIR); }

// A path given in a case, relative to tests/cases; it may not leave that directory.
fs::path source_path(const std::string& rel) {
  fs::path p(rel);
  if (p.is_absolute()) throw CaseError("source '" + rel + "' must be relative to tests/cases");
  for (const auto& part : p)
    if (part == "..") throw CaseError("source '" + rel + "' must not contain '..'");
  fs::path full = cases_dir() / p;
  if (!fs::exists(full)) throw CaseError("source '" + rel + "' does not exist under tests/cases");
  return full;
}

std::vector<Entry> read_tree(const fs::path& root) {
  if (!fs::is_directory(root)) throw CaseError(root.string() + " is not a directory");
  std::vector<Entry> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    Entry e;
    e.path = fs::relative(it->path(), root).generic_string();
    if (it->is_symlink()) throw CaseError("fixtures hold plain files only: " + it->path().string());
    if (it->is_directory()) {
      e.dir = true;
      e.mode = 0755;
    } else if (it->is_regular_file()) {
      e.content = read_file(it->path());
      auto perms = fs::status(it->path()).permissions();
      e.mode = (perms & fs::perms::owner_exec) != fs::perms::none ? 0755 : 0644;
    } else {
      throw CaseError("fixtures hold plain files only: " + it->path().string());
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return out;
}

// ustar header field helpers.
void put_octal(char* field, std::size_t width, std::uint64_t v) {
  std::string s(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && v;) {
    s[i] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
  if (v) throw CaseError("value too large for a tar header field");
  std::memcpy(field, s.data(), width - 1);
  field[width - 1] = '\0';
}

std::string tar_header(const std::string& name, char type, std::uint32_t mode, std::uint32_t uid,
                       std::uint32_t gid, std::uint64_t size) {
  if (name.size() > 100) throw CaseError("tar member name longer than 100 bytes: " + name);
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), name.size());
  put_octal(&h[100], 8, mode & 07777);
  put_octal(&h[108], 8, uid);
  put_octal(&h[116], 8, gid);
  put_octal(&h[124], 12, size);
  put_octal(&h[136], 12, 0);  // mtime
  h[156] = type;
  std::memcpy(&h[257],
              "ustar\0"
              "00",
              8);
  std::memcpy(&h[265], "root", 4);
  std::memcpy(&h[297], "root", 4);
  std::memset(&h[148], ' ', 8);
  std::uint64_t sum = 0;
  for (unsigned char ch : h) sum += ch;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", static_cast<unsigned>(sum));
  std::memcpy(&h[148], chk, 6);
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

std::string make_tar(const std::vector<Entry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (e.dir) {
      out += tar_header(e.path + "/", '5', e.mode, e.uid, e.gid, 0);
    } else {
      out += tar_header(e.path, '0', e.mode, e.uid, e.gid, e.content.size());
      out += e.content;
      out.append((512 - e.content.size() % 512) % 512, '\0');
    }
  }
  out.append(1024, '\0');
  return out;
}

std::string make_cpio(const std::vector<Entry>& entries) {
  std::string out;
  std::uint32_t ino = 1;
  auto pad4 = [&] { out.append((4 - out.size() % 4) % 4, '\0'); };
  auto member = [&](const std::string& name, std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                    std::uint32_t nlink, const std::string& data) {
    char hdr[111];
    std::snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino++, mode,
                  uid, gid, nlink, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                  static_cast<unsigned>(name.size() + 1), 0u);
    out.append(hdr, 110);
    out += name;
    out.push_back('\0');
    pad4();
    out += data;
    pad4();
  };
  for (const auto& e : entries)
    member(e.path, (e.dir ? S_IFDIR : S_IFREG) | e.mode, e.uid, e.gid, e.dir ? 2 : 1, e.dir ? "" : e.content);
  ino = 0;
  member("TRAILER!!!", 0, 0, 0, 1, "");
  out.append((512 - out.size() % 512) % 512, '\0');
  return out;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) throw CaseError("zlib init");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw CaseError("gzip compression failed");
  out.resize(zs.total_out);
  return out;
}

struct RunResult {
  int exit_code = -1;
  std::string stdout_text, stderr_text;
  std::string how;  // "exit 3", "signal 11"
};

// Runs argv[0] with argv in `cwd`, stdin from /dev/null, stdout/stderr to files in `cwd`.
RunResult run_process(const std::vector<std::string>& argv, const fs::path& cwd, const std::string& tag) {
  fs::path out_path = cwd / (tag + ".stdout"), err_path = cwd / (tag + ".stderr");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw CaseError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
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
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw CaseError(std::string("waitpid: ") + std::strerror(errno));
  RunResult r;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.how = "exit " + std::to_string(r.exit_code);
  } else if (WIFSIGNALED(status)) {
    r.how = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  r.stdout_text = fs::exists(out_path) ? read_file(out_path) : "";
  r.stderr_text = fs::exists(err_path) ? read_file(err_path) : "";
  return r;
}

struct BuiltInput {
  std::string path;  // what {input} becomes ("" for none)
  std::string skip_reason;
};

BuiltInput build_input(const Line& line, const fs::path& tmp) {
  Words w = split_words(line.value);
  if (w.positional.empty()) throw CaseError("input: needs a format");
  const std::string format = w.positional[0];
  static const std::set<std::string> formats{"squashfs", "tar", "tar.gz", "cpio",
                                             "cpio.gz",  "dir", "file",   "none"};
  if (!formats.contains(format)) throw CaseError("input: unknown format '" + format + "'");
  if (format == "none") {
    if (w.positional.size() != 1 || !w.named.empty()) throw CaseError("input: 'none' takes no arguments");
    return {};
  }
  if (w.positional.size() != 2)
    throw CaseError("input: expected '" + format + " <source> [option=value ...]'");
  const fs::path source = source_path(w.positional[1]);

  std::string prefix, comp, link;
  std::vector<ModeSpec> modes;
  std::vector<std::pair<std::string, std::string>> members;
  std::optional<std::int64_t> at, size, truncate;
  std::optional<std::uint8_t> fill;
  const bool archive = format == "tar" || format == "tar.gz" || format == "cpio" || format == "cpio.gz";
  const bool tree_based = archive || format == "squashfs" || format == "dir";
  auto need = [&](bool ok, const std::string& opt) {
    if (!ok) throw CaseError("input: option '" + opt + "' does not apply to format '" + format + "'");
  };
  for (const auto& [k, v] : w.named) {
    if (k == "prefix") {
      need(tree_based, k);
      prefix = trim(v);
      while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
      if (prefix.empty() || prefix.front() == '/' || prefix.find("..") != std::string::npos)
        throw CaseError("input: prefix must be a relative directory name");
    } else if (k == "mode") {
      need(tree_based, k);
      // PATH:MODE or PATH:MODE:UID:GID
      std::vector<std::string> parts;
      std::size_t i = 0;
      while (true) {
        auto j = v.find(':', i);
        parts.push_back(v.substr(i, j == std::string::npos ? std::string::npos : j - i));
        if (j == std::string::npos) break;
        i = j + 1;
      }
      if (parts.size() != 2 && parts.size() != 4)
        throw CaseError("input: mode=PATH:MODE[:UID:GID], got '" + v + "'");
      ModeSpec m;
      m.path = parts[0];
      while (!m.path.empty() && m.path.front() == '/') m.path.erase(0, 1);
      unsigned long mode = std::strtoul(parts[1].c_str(), nullptr, 8);
      if (parts[1].empty() || parts[1].find_first_not_of("01234567") != std::string::npos || mode > 07777)
        throw CaseError("input: mode must be octal, got '" + parts[1] + "'");
      m.mode = static_cast<std::uint32_t>(mode);
      if (parts.size() == 4) {
        auto uid = parse_int(parts[2]), gid = parse_int(parts[3]);
        if (!uid || !gid || *uid < 0 || *gid < 0) throw CaseError("input: bad uid/gid in '" + v + "'");
        m.uid = static_cast<std::uint32_t>(*uid);
        m.gid = static_cast<std::uint32_t>(*gid);
        m.owner = true;
        if (format == "dir") throw CaseError("input: dir inputs take mode=PATH:MODE only (no owner)");
      }
      modes.push_back(m);
    } else if (k == "member") {
      need(archive, k);
      auto colon = v.rfind(':');
      if (colon == std::string::npos || colon == 0)
        throw CaseError("input: member=NAME:FILE, got '" + v + "'");
      members.emplace_back(v.substr(0, colon), v.substr(colon + 1));
    } else if (k == "comp") {
      need(format == "squashfs", k);
      static const std::set<std::string> comps{"gzip", "xz", "lz4", "zstd", "lzo", "lzma"};
      if (!comps.contains(v)) throw CaseError("input: unknown squashfs compressor '" + v + "'");
      comp = v;
    } else if (k == "at" || k == "size" || k == "truncate") {
      need(format != "dir", k);
      auto n = parse_int(v);
      if (!n || (k != "truncate" && *n < 0)) throw CaseError("input: bad number for " + k + ": '" + v + "'");
      (k == "at" ? at : k == "size" ? size : truncate) = n;
    } else if (k == "symlink") {
      if (v.empty() || v.find('/') != std::string::npos || v == "." || v == "..")
        throw CaseError("input: symlink= takes a plain file name");
      link = v;
    } else if (k == "fill") {
      need(format != "dir", k);
      auto n = parse_int(v);
      if (!n || *n < 0 || *n > 255) throw CaseError("input: fill must be a byte value, got '" + v + "'");
      fill = static_cast<std::uint8_t>(*n);
    } else {
      throw CaseError("input: unknown option '" + k + "'");
    }
  }
  for (const auto& option : w.named) {
    const std::string& k = option.first;  // a structured binding cannot be captured before clang 16
    if (std::count_if(w.named.begin(), w.named.end(), [&](const auto& p) { return p.first == k; }) > 1 &&
        k != "mode" && k != "member")
      throw CaseError("input: option '" + k + "' given twice");
  }
  if ((fill || size) && !at) throw CaseError("input: fill= and size= need at=");

  // The entries of tree-based inputs, with prefix and modes applied.
  std::vector<Entry> entries;
  if (tree_based) {
    entries = read_tree(source);
    for (const auto& m : modes) {
      auto it =
          std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.path == m.path; });
      if (it == entries.end())
        throw CaseError("input: mode= names '" + m.path + "', which the fixture lacks");
      it->mode = m.mode;
      if (m.owner) {
        it->uid = m.uid;
        it->gid = m.gid;
      }
    }
    if (!prefix.empty()) {
      std::vector<Entry> dirs;
      std::string acc;
      for (const auto& part : fs::path(prefix)) {
        acc += (acc.empty() ? "" : "/") + part.string();
        Entry d;
        d.path = acc;
        d.dir = true;
        d.mode = 0755;
        dirs.push_back(d);
      }
      for (auto& e : entries) e.path = prefix + "/" + e.path;
      entries.insert(entries.begin(), dirs.begin(), dirs.end());
    }
  }

  std::string bytes;
  std::string name;
  if (format == "dir") {
    fs::path root = tmp / "input";
    fs::create_directories(root);
    for (const auto& e : entries) {
      fs::path p = root / e.path;
      if (e.dir)
        fs::create_directories(p);
      else {
        fs::create_directories(p.parent_path());
        write_file(p, e.content);
      }
    }
    // Modes last, deepest first, so directories stay writable while filling them.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
      fs::permissions(root / it->path, static_cast<fs::perms>(it->mode));
    if (!link.empty()) {
      fs::create_directory_symlink(root, tmp / link);
      return {(tmp / link).string(), ""};
    }
    return {root.string(), ""};
  }
  if (format == "file") {
    if (!fs::is_regular_file(source)) throw CaseError("input: file source must be a regular file");
    bytes = read_file(source);
    name = source.filename().string();
  } else if (format == "squashfs") {
    std::string mk = MKSQUASHFS;
    if (mk.empty()) return {"", "mksquashfs was not found when the test suite was configured"};
    fs::path stage = tmp / "stage";
    fs::create_directories(stage);
    for (const auto& e : entries) {
      fs::path p = stage / e.path;
      if (e.dir)
        fs::create_directories(p);
      else {
        fs::create_directories(p.parent_path());
        write_file(p, e.content);
      }
    }
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
      fs::permissions(stage / it->path, static_cast<fs::perms>((it->mode & 0777) | (it->dir ? 0700 : 0600)));
    fs::path out = tmp / "image.squashfs";
    // A pseudo definition for every entry gives exact modes and owners whatever the checkout's
    // permissions and whoever runs the tests; -root-* does the same for the root directory.
    std::string pseudo;
    for (const auto& e : entries) {
      char def[64];
      std::snprintf(def, sizeof def, " m %o %u %u\n", e.mode & 07777, e.uid, e.gid);
      if (e.path.find_first_of(" \t\"\\") != std::string::npos)
        throw CaseError("fixture path with a space, quote or backslash: " + e.path);
      pseudo += e.path + def;
    }
    write_file(tmp / "pseudo.txt", pseudo);
    // clang-format off
    std::vector<std::string> argv{
        mk, stage.string(), out.string(),
        "-noappend", "-nopad", "-no-xattrs", "-no-progress", "-quiet",
        "-mkfs-time", "0", "-all-time", "0",
        "-root-uid", "0", "-root-gid", "0", "-root-mode", "755",
        "-pf", (tmp / "pseudo.txt").string(),
        "-comp", comp.empty() ? "gzip" : comp};
    // clang-format on
    RunResult r = run_process(argv, tmp, "mksquashfs");
    if (r.exit_code != 0)
      throw CaseError("mksquashfs failed (" + r.how + "):\n" + excerpt(r.stdout_text + r.stderr_text));
    bytes = read_file(out);
    fs::remove(out);
    fs::remove(tmp / "pseudo.txt");
    fs::remove_all(stage);
    name = "image.squashfs";
  } else {
    for (const auto& [mname, mfile] : members) {
      Entry e;
      e.path = mname;
      e.content = read_file(source_path(mfile));
      entries.push_back(std::move(e));
    }
    bool is_tar = format.starts_with("tar");
    bytes = is_tar ? make_tar(entries) : make_cpio(entries);
    name = is_tar ? "image.tar" : "image.cpio";
    if (format.ends_with(".gz")) {
      bytes = gzip(bytes);
      name += ".gz";
    }
  }
  if (at) {
    std::uint8_t f = fill.value_or(0xff);
    std::string raw(static_cast<std::size_t>(*at), static_cast<char>(f));
    raw += bytes;
    if (size) {
      if (static_cast<std::uint64_t>(*size) < raw.size())
        throw CaseError("input: size= is smaller than at= plus the image (" + std::to_string(raw.size()) +
                        " bytes)");
      raw.resize(static_cast<std::size_t>(*size), static_cast<char>(f));
    }
    bytes = std::move(raw);
    name = "image.bin";
  }
  if (truncate) {
    std::int64_t keep = *truncate >= 0 ? *truncate : static_cast<std::int64_t>(bytes.size()) + *truncate;
    if (keep < 0 || static_cast<std::uint64_t>(keep) > bytes.size())
      throw CaseError("input: truncate=" + std::to_string(*truncate) + " is outside the built image of " +
                      std::to_string(bytes.size()) + " bytes");
    bytes.resize(static_cast<std::size_t>(keep));
  }
  fs::path out = tmp / name;
  write_file(out, bytes);
  if (!link.empty()) {
    if (link == name) throw CaseError("input: symlink= must differ from the built file's name");
    fs::create_symlink(name, tmp / link);
    return {(tmp / link).string(), ""};
  }
  return {out.string(), ""};
}

// ---------------------------------------------------------------------------------------------
// Expectations

// Matches an id against a pattern: exact, or prefix when the pattern ends with '*'.
bool id_matches(const std::string& pattern, const std::string& id) {
  if (!pattern.empty() && pattern.back() == '*') return id.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == id;
}

std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const json& v = j.at(key);
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string describe_findings(const json& report) {
  std::ostringstream os;
  const json& fs = report.value("findings", json::array());
  if (fs.empty()) return "  (the report has no findings)\n";
  for (const auto& f : fs) {
    os << "  - " << str(f, "check") << " [" << str(f, "severity") << "] provisions:";
    for (const auto& p : f.value("provisions", json::array())) os << " " << str(p, "provision");
    for (const auto& e : f.value("evidence", json::array())) {
      os << "\n      evidence path=" << str(e, "path") << " line=" << str(e, "line")
         << " logical=" << str(e, "logical_path");
      const json facts = e.value("facts", json::object());
      for (const auto& [k, v] : facts.items())
        os << " " << k << "=" << (v.is_string() ? v.get<std::string>() : v.dump());
    }
    os << "\n";
  }
  return os.str();
}

// Finding filters: severity, provision (finding level); path, line, account, scheme, logical,
// fact.NAME (all on one evidence item).
using Filters = std::vector<std::pair<std::string, std::string>>;

void validate_finding_filters(const Filters& fl) {
  static const std::set<std::string> keys{"severity", "provision", "path",   "line",
                                          "account",  "scheme",    "logical"};
  std::set<std::string> seen;
  for (const auto& [k, v] : fl) {
    if (!keys.contains(k) && !k.starts_with("fact."))
      throw CaseError("unknown finding filter '" + k +
                      "' (known: severity, provision, path, line, account, "
                      "scheme, logical, fact.NAME)");
    if (!seen.insert(k).second) throw CaseError("finding filter '" + k + "' given twice");
  }
}

bool finding_matches(const json& f, const std::string& check, const Filters& fl) {
  if (!id_matches(check, str(f, "check"))) return false;
  bool needs_evidence = false;
  for (const auto& [k, v] : fl) {
    if (k == "severity" && str(f, "severity") != v) return false;
    if (k == "provision") {
      bool any = false;
      for (const auto& p : f.value("provisions", json::array())) any = any || str(p, "provision") == v;
      if (!any) return false;
    }
    if (k != "severity" && k != "provision") needs_evidence = true;
  }
  if (!needs_evidence) return true;
  for (const auto& e : f.value("evidence", json::array())) {
    const json facts = e.value("facts", json::object());
    bool ok = true;
    for (const auto& [k, v] : fl) {
      if (k == "path")
        ok = ok && str(e, "path") == v;
      else if (k == "line")
        ok = ok && str(e, "line") == v;
      else if (k == "logical")
        ok = ok && str(e, "logical_path").find(v) != std::string::npos;
      else if (k == "account")
        ok = ok && str(facts, "account") == v;
      else if (k == "scheme")
        ok = ok && str(facts, "hash_scheme") == v;
      else if (k.starts_with("fact."))
        ok = ok && facts.contains(k.substr(5)) && str(facts, k.substr(5).c_str()) == v;
    }
    if (ok) return true;
  }
  return false;
}

std::size_t parse_count(const std::string& s) {
  auto n = parse_int(s);
  if (!n || *n < 0) throw CaseError("expected a count, got '" + s + "'");
  return static_cast<std::size_t>(*n);
}

// Checks one expectation; returns an empty string when it holds, else the reason.
std::string check_expectation(const Line& l, const json* report, const RunResult& run, const fs::path& tmp) {
  const std::string& d = l.directive;
  auto need_report = [&]() -> const json& {
    if (report == nullptr) throw CaseError("this expectation needs a JSON report, and there is none");
    return *report;
  };
  auto no_named = [&](const Words& w) {
    if (!w.named.empty()) throw CaseError("'" + d + "' takes no key=value options");
  };

  if (d == "expect-stdout" || d == "expect-stderr") {
    const std::string& text = d == "expect-stdout" ? run.stdout_text : run.stderr_text;
    if (text.find(l.value) != std::string::npos) return "";
    return "text not found in " + d.substr(7) + "; it was:\n" + excerpt(text);
  }
  if (d == "expect-file" || d == "expect-no-file") {
    if (split_ws(l.value).size() != 1) throw CaseError("'" + d + "' takes one relative path");
    fs::path rel(l.value);
    if (rel.is_absolute()) throw CaseError("'" + d + "' takes a path relative to the case directory");
    bool exists = fs::exists(fs::symlink_status(tmp / rel));
    if (d == "expect-file") return exists ? "" : (tmp / rel).string() + " does not exist";
    return exists ? (tmp / rel).string() + " exists" : "";
  }
  if (d == "expect-json" || d == "expect-json-match") {
    const json& r = need_report();
    auto sp = l.value.find_first_of(" \t");
    if (sp == std::string::npos) throw CaseError("'" + d + "' needs a JSON pointer and a JSON value");
    std::string ptr = l.value.substr(0, sp);
    json want = json::parse(trim(l.value.substr(sp)), nullptr, false);
    if (want.is_discarded()) throw CaseError("'" + d + "': the value is not valid JSON");
    json::json_pointer jp;
    try {
      jp = json::json_pointer(ptr);
    } catch (const json::exception& e) {
      throw CaseError("'" + d + "': bad JSON pointer '" + ptr + "': " + e.what());
    }
    if (!r.contains(jp)) return "the report has nothing at " + ptr;
    const json& got = r.at(jp);
    if (d == "expect-json") return got == want ? "" : ptr + " is " + got.dump() + ", expected " + want.dump();
    if (!got.is_array()) return ptr + " is not an array";
    if (!want.is_object()) throw CaseError("'expect-json-match' needs a JSON object to look for");
    for (const auto& item : got) {
      if (!item.is_object()) continue;
      bool ok = true;
      for (const auto& [k, v] : want.items()) ok = ok && item.contains(k) && item.at(k) == v;
      if (ok) return "";
    }
    return "no element of " + ptr + " (" + std::to_string(got.size()) + " elements) contains " + want.dump();
  }

  const json& r = need_report();
  Words w = split_words(l.value);
  if (d == "expect-finding" || d == "expect-no-finding" || d == "expect-finding-count") {
    std::size_t want_count = 0;
    if (d == "expect-finding-count") {
      if (w.positional.size() != 2) throw CaseError("expected 'expect-finding-count: CHECK COUNT [filters]'");
      want_count = parse_count(w.positional[1]);
    } else if (w.positional.size() != 1) {
      throw CaseError("expected '" + d + ": CHECK [key=value ...]'");
    }
    validate_finding_filters(w.named);
    std::size_t n = 0;
    for (const auto& f : r.value("findings", json::array()))
      n += finding_matches(f, w.positional[0], w.named);
    if (d == "expect-finding" && n == 0)
      return "no finding matches; the findings are:\n" + describe_findings(r);
    if (d == "expect-no-finding" && n != 0)
      return std::to_string(n) + " finding(s) match; the findings are:\n" + describe_findings(r);
    if (d == "expect-finding-count" && n != want_count)
      return std::to_string(n) + " finding(s) match, expected " + std::to_string(want_count) +
             "; the findings are:\n" + describe_findings(r);
    return "";
  }
  if (d == "expect-verdict") {
    no_named(w);
    if (w.positional.size() != 2) throw CaseError("expected 'expect-verdict: PROVISION STATUS[|STATUS...]'");
    static const std::set<std::string> statuses{"pass", "fail", "not_applicable", "inconclusive",
                                                "needs_evidence"};
    std::set<std::string> want;
    std::string s = w.positional[1];
    std::size_t i = 0;
    while (true) {
      auto j = s.find('|', i);
      std::string one = s.substr(i, j == std::string::npos ? std::string::npos : j - i);
      if (!statuses.contains(one)) throw CaseError("unknown verdict status '" + one + "'");
      want.insert(one);
      if (j == std::string::npos) break;
      i = j + 1;
    }
    for (const auto& v : r.value("verdicts", json::array()))
      if (str(v, "provision") == w.positional[0]) {
        if (want.contains(str(v, "status"))) return "";
        return "verdict for " + w.positional[0] + " is '" + str(v, "status") + "' (" + str(v, "rationale") +
               "), expected " + s;
      }
    return "the report has no verdict for provision " + w.positional[0];
  }
  if (d == "expect-check") {
    if (w.positional.size() != 1)
      throw CaseError("expected 'expect-check: CHECK [subjects=N] [conclusive=true|false]'");
    for (const auto& [k, v] : w.named)
      if (k != "subjects" && k != "conclusive") throw CaseError("unknown expect-check option '" + k + "'");
    for (const auto& c : r.value("checks", json::array())) {
      if (str(c, "check") != w.positional[0]) continue;
      for (const auto& [k, v] : w.named) {
        if (k == "subjects" && str(c, "subjects") != std::to_string(parse_count(v)))
          return "check " + w.positional[0] + " examined " + str(c, "subjects") + " subject(s), expected " +
                 v;
        if (k == "conclusive") {
          if (v != "true" && v != "false") throw CaseError("conclusive= takes true or false");
          if (str(c, "conclusive") != v)
            return "check " + w.positional[0] + " has conclusive=" + str(c, "conclusive") +
                   " (notes: " + c.value("notes", json::array()).dump() + ")";
        }
      }
      return "";
    }
    return "the report has no run of check " + w.positional[0];
  }
  if (d == "expect-diagnostic" || d == "expect-no-diagnostic") {
    if (w.positional.size() != 1) throw CaseError("expected '" + d + ": CODE [logical=TEXT] [severity=S]'");
    for (const auto& [k, v] : w.named)
      if (k != "logical" && k != "severity") throw CaseError("unknown diagnostic option '" + k + "'");
    std::size_t n = 0;
    std::ostringstream all;
    for (const auto& g : r.value("diagnostics", json::array())) {
      all << "  - " << str(g, "code") << " [" << str(g, "severity") << "] at " << str(g, "logical_path")
          << ": " << str(g, "message") << "\n";
      if (!id_matches(w.positional[0], str(g, "code"))) continue;
      bool ok = true;
      for (const auto& [k, v] : w.named) {
        if (k == "logical") ok = ok && str(g, "logical_path").find(v) != std::string::npos;
        if (k == "severity") ok = ok && str(g, "severity") == v;
      }
      n += ok;
    }
    std::string list = all.str().empty() ? "  (the report has no diagnostics)\n" : all.str();
    if (d == "expect-diagnostic" && n == 0) return "no diagnostic matches; the diagnostics are:\n" + list;
    if (d == "expect-no-diagnostic" && n > 0) return std::to_string(n) + " diagnostic(s) match:\n" + list;
    return "";
  }
  if (d == "expect-account" || d == "expect-no-account" || d == "expect-account-count") {
    std::ostringstream all;
    for (const auto& a : r.value("accounts", json::array()))
      all << "  - " << str(a, "name") << " uid=" << str(a, "uid") << " password=" << str(a, "password")
          << " scheme=" << str(a, "hash_scheme") << " source=" << str(a, "source")
          << " line=" << str(a, "line") << "\n";
    std::string list = all.str().empty() ? "  (the report has no accounts)\n" : all.str();
    const json accounts = r.value("accounts", json::array());
    if (d == "expect-account-count") {
      no_named(w);
      if (w.positional.size() != 1) throw CaseError("expected 'expect-account-count: N'");
      std::size_t want = parse_count(w.positional[0]);
      if (accounts.size() == want) return "";
      return std::to_string(accounts.size()) + " account(s), expected " + std::to_string(want) + ":\n" + list;
    }
    if (d == "expect-no-account") {
      no_named(w);
      if (w.positional.size() != 1) throw CaseError("expected 'expect-no-account: NAME'");
      for (const auto& a : accounts)
        if (str(a, "name") == w.positional[0]) return "account " + w.positional[0] + " is present:\n" + list;
      return "";
    }
    if (w.positional.empty() || w.positional.size() > 3)
      throw CaseError("expected 'expect-account: NAME [STATE [SCHEME]] [uid=N] [source=TEXT]'");
    for (const auto& [k, v] : w.named)
      if (k != "uid" && k != "source") throw CaseError("unknown expect-account option '" + k + "'");
    static const std::set<std::string> states{"hash", "empty", "locked", "shadowed", "missing"};
    if (w.positional.size() > 1 && !states.contains(w.positional[1]))
      throw CaseError("unknown password state '" + w.positional[1] +
                      "' (hash, empty, locked, shadowed, missing)");
    for (const auto& a : accounts) {
      if (str(a, "name") != w.positional[0]) continue;
      bool ok = true;
      if (w.positional.size() > 1) ok = ok && str(a, "password") == w.positional[1];
      if (w.positional.size() > 2) ok = ok && str(a, "hash_scheme") == w.positional[2];
      for (const auto& [k, v] : w.named) {
        if (k == "uid") ok = ok && str(a, "uid") == v;
        if (k == "source") ok = ok && str(a, "source").find(v) != std::string::npos;
      }
      if (ok) return "";
    }
    return "no account matches; the accounts are:\n" + list;
  }
  if (d == "expect-root-filesystem" || d == "expect-root-filesystem-count") {
    const json roots = r.value("root_filesystems", json::array());
    std::string list = roots.dump();
    if (d == "expect-root-filesystem-count") {
      if (w.positional.size() != 1) throw CaseError("expected 'expect-root-filesystem-count: N'");
      std::size_t want = parse_count(w.positional[0]);
      return roots.size() == want ? "" : std::to_string(roots.size()) + " root filesystem(s): " + list;
    }
    // The whole value, spaces included, is the suffix to look for.
    for (const auto& x : roots)
      if (x.is_string() && x.get<std::string>().ends_with(l.value)) return "";
    return "no root filesystem's logical path ends with '" + l.value + "': " + list;
  }
  if (d == "expect-layer" || d == "expect-no-layer" || d == "expect-layer-count") {
    const json layers = r.value("layers", json::array());
    std::ostringstream all;
    for (const auto& x : layers)
      all << "  - " << str(x, "format") << " status=" << str(x, "status") << " offset=" << str(x, "offset")
          << " at " << str(x, "logical_path") << "\n";
    std::string list = all.str().empty() ? "  (the report has no layers)\n" : all.str();
    if (d == "expect-layer-count") {
      no_named(w);
      if (w.positional.size() != 1) throw CaseError("expected 'expect-layer-count: N'");
      std::size_t want = parse_count(w.positional[0]);
      return layers.size() == want
                 ? ""
                 : std::to_string(layers.size()) + " layer(s), expected " + w.positional[0] + ":\n" + list;
    }
    if (w.positional.size() != 1) throw CaseError("expected '" + d + ": FORMAT [status=S] [offset=N]'");
    if (d == "expect-no-layer") no_named(w);
    std::optional<std::int64_t> offset;
    for (const auto& [k, v] : w.named) {
      if (k == "offset") {
        offset = parse_int(v);
        if (!offset) throw CaseError("bad offset '" + v + "'");
      } else if (k != "status") {
        throw CaseError("unknown expect-layer option '" + k + "'");
      }
    }
    std::size_t n = 0;
    for (const auto& x : layers) {
      if (str(x, "format") != w.positional[0]) continue;
      bool ok = true;
      for (const auto& [k, v] : w.named) {
        if (k == "status") ok = ok && str(x, "status") == v;
        if (k == "offset")
          ok = ok && x.value("offset", json()).is_number() && x["offset"].get<std::int64_t>() == *offset;
      }
      n += ok;
    }
    if (d == "expect-layer") return n ? "" : "no layer matches; the layers are:\n" + list;
    return n ? std::to_string(n) + " " + w.positional[0] + " layer(s) present:\n" + list : "";
  }
  throw CaseError("unhandled directive '" + d + "'");
}

// ---------------------------------------------------------------------------------------------
// The test

std::string binary() {
  if (const char* b = std::getenv("IOTAUDIT_CASES_BINARY"); b != nullptr && *b) return b;
  return IOTAUDIT_BIN;
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/iotaudit-case-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw CaseError(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = tmpl;
  }
  ~TempDir() {
    if (keep_) return;
    std::error_code ec;
    // Give back write permission so that restrictive fixture modes do not block removal.
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  fs::path path_;
  bool keep_ = false;
};

class CaseTest : public ::testing::Test {
 public:
  explicit CaseTest(fs::path file) : file_(std::move(file)) {}

  void TestBody() override {
    Case c;
    try {
      c = parse_case(file_);
    } catch (const CaseError& e) {
      FAIL() << e.what();
    }
    const std::string where = file_.string();
    TempDir tmp;
    BuiltInput in;
    try {
      in = build_input(*c.input, tmp.path());
    } catch (const std::exception& e) {
      ADD_FAILURE_AT(where.c_str(), c.input->number)
          << c.input->text << "\n  cannot build the input: " << e.what();
      return;
    }
    if (!in.skip_reason.empty()) GTEST_SKIP() << in.skip_reason;

    std::vector<std::string> argv{binary()};
    for (auto tok : split_ws(c.command->value)) {
      for (auto [ph, val] : {std::pair<std::string, std::string>{"{input}", in.path},
                             std::pair<std::string, std::string>{"{tmp}", tmp.path().string()},
                             std::pair<std::string, std::string>{"{cases}", cases_dir().string()}}) {
        if (ph == "{input}" && tok.find(ph) != std::string::npos && in.path.empty())
          FAIL() << where << ":" << c.command->number << ": {input} is used, but the case has 'input: none'";
        for (std::size_t p; (p = tok.find(ph)) != std::string::npos;) tok.replace(p, ph.size(), val);
      }
      argv.push_back(tok);
    }
    auto want_exit = parse_int(c.exit->value);
    if (!want_exit || *want_exit < 0 || *want_exit > 255)
      FAIL() << where << ":" << c.exit->number << ": exit: takes a number 0-255";

    RunResult run;
    try {
      run = run_process(argv, tmp.path(), "iotaudit");
    } catch (const std::exception& e) {
      FAIL() << "cannot run " << argv[0] << ": " << e.what();
    }
    std::string cmdline;
    for (const auto& a : argv) cmdline += (cmdline.empty() ? "" : " ") + a;

    bool failed = false;
    auto fail_at = [&](const Line& l, const std::string& why) {
      failed = true;
      ADD_FAILURE_AT(where.c_str(), l.number) << l.text << "\n  " << why;
    };
    if (run.how != "exit " + std::to_string(*want_exit))
      fail_at(*c.exit, "iotaudit ended with " + run.how + ", expected exit " + std::to_string(*want_exit));

    // The report: stdout unless 'report:' names a file in the case directory.
    std::optional<json> report;
    std::string report_problem;
    {
      std::string text;
      std::string source = "stdout";
      if (c.report && c.report->value != "stdout") {
        fs::path p = tmp.path() / c.report->value;
        source = p.string();
        if (fs::exists(p))
          text = read_file(p);
        else
          report_problem = source + " does not exist";
      } else {
        text = run.stdout_text;
      }
      if (report_problem.empty()) {
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded())
          report_problem = source + " is not JSON:\n" + excerpt(text, 600);
        else
          report = std::move(j);
      }
    }
    for (const Line& l : c.expectations) {
      try {
        bool needs_report = l.directive != "expect-stdout" && l.directive != "expect-stderr" &&
                            l.directive != "expect-file" && l.directive != "expect-no-file";
        if (needs_report && !report) {
          fail_at(l, "no JSON report to check: " + report_problem);
          continue;
        }
        std::string why = check_expectation(l, report ? &*report : nullptr, run, tmp.path());
        if (!why.empty()) fail_at(l, why);
      } catch (const std::exception& e) {
        fail_at(l, std::string("invalid expectation: ") + e.what());
      }
    }
    if (failed) {
      if (std::getenv("IOTAUDIT_CASES_KEEP") != nullptr) tmp.keep();
      ADD_FAILURE() << "case " << where << " failed: " << c.description << "\n  command: " << cmdline
                    << "\n  stderr:\n"
                    << excerpt(run.stderr_text, 1500)
                    << (std::getenv("IOTAUDIT_CASES_KEEP")
                            ? "\n  kept: " + tmp.path().string()
                            : "\n  (set IOTAUDIT_CASES_KEEP=1 to keep the case directory)");
    }
  }

 private:
  fs::path file_;
};

std::string gtest_name(std::string s) {
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(cases_dir(), ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".case") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  std::set<std::string> names;
  for (const auto& f : files) {
    fs::path rel = fs::relative(f, cases_dir());
    std::string area = rel.has_parent_path() ? gtest_name(rel.parent_path().generic_string()) : "top";
    std::string name = gtest_name(rel.stem().string());
    if (!names.insert(area + "." + name).second) {
      std::fprintf(stderr, "case_runner: two cases map to the test name %s.%s\n", area.c_str(), name.c_str());
      return 2;
    }
    std::string file = f.string();
    ::testing::RegisterTest(area.c_str(), name.c_str(), nullptr, nullptr, file.c_str(), 1,
                            [f]() -> ::testing::Test* { return new CaseTest(f); });
  }
  if (files.empty()) std::fprintf(stderr, "case_runner: no .case files under %s\n", cases_dir().c_str());
  return RUN_ALL_TESTS();
}
