#include "formats/passwd.hpp"

#include <charconv>

namespace iotaudit::formats {
namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> f;
  std::size_t i = 0;
  while (true) {
    std::size_t j = line.find(':', i);
    if (j == std::string_view::npos) {
      f.push_back(line.substr(i));
      break;
    }
    f.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return f;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view line = text.substr(i, j - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(++n, line);
    i = j + 1;
  }
}

bool skippable(std::string_view line) {
  return line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-';
}

}  // namespace

Parsed<PasswdEntry> parse_passwd(std::string_view text) {
  Parsed<PasswdEntry> out;
  for_each_line(text, [&](std::uint64_t n, std::string_view line) {
    if (skippable(line)) return;
    auto f = split_fields(line);
    if (f.size() < 7) {
      out.issues.push_back({n, "passwd line has fewer than 7 fields"});
      if (f.size() < 4) return;
    }
    PasswdEntry e;
    e.line = n;
    e.name = f[0];
    e.password = f[1];
    if (e.name.empty()) {
      out.issues.push_back({n, "passwd line with empty user name"});
      return;
    }
    if (!parse_u32(f[2], e.uid) || !parse_u32(f[3], e.gid)) {
      // The C library skips such a line; kept, it would show up as an account with uid 0.
      out.issues.push_back({n, "passwd line with non-numeric uid or gid"});
      return;
    }
    if (f.size() > 4) e.gecos = f[4];
    if (f.size() > 5) e.home = f[5];
    if (f.size() > 6) e.shell = f[6];
    out.entries.push_back(std::move(e));
  });
  return out;
}

Parsed<ShadowEntry> parse_shadow(std::string_view text) {
  Parsed<ShadowEntry> out;
  for_each_line(text, [&](std::uint64_t n, std::string_view line) {
    if (skippable(line)) return;
    auto f = split_fields(line);
    if (f.size() < 2 || f[0].empty()) {
      out.issues.push_back({n, "shadow line without user name and password fields"});
      return;
    }
    if (f.size() != 9) out.issues.push_back({n, "shadow line does not have 9 fields"});
    out.entries.push_back({std::string(f[0]), std::string(f[1]), n});
  });
  return out;
}

std::string hash_scheme(std::string_view h) {
  if (h.starts_with("$1$")) return "md5";
  if (h.starts_with("$5$")) return "sha256";
  if (h.starts_with("$6$")) return "sha512";
  if (h.starts_with("$2a$") || h.starts_with("$2b$") || h.starts_with("$2y$")) return "bcrypt";
  if (h.starts_with("$y$")) return "yescrypt";
  if (h.starts_with("$gy$")) return "gost-yescrypt";
  if (h.starts_with("$7$")) return "scrypt";
  if (h.starts_with("$md5")) return "sunmd5";
  if (h.starts_with("$3$")) return "nthash";
  if (h.starts_with("_") && h.size() == 20) return "bsdi";
  if (h.size() == 13) {
    auto ok = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '/';
    };
    bool all = true;
    for (char c : h) all = all && ok(c);
    if (all) return "des";
  }
  return "unknown";
}

}  // namespace iotaudit::formats
