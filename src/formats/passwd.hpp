#pragma once
// /etc/passwd and /etc/shadow line parsers (passwd(5), shadow(5)). Pure: text in, records out;
// malformed lines are reported with their line number, never fatal.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit::formats {

struct PasswdEntry {
  std::string name, password, gecos, home, shell;
  std::uint32_t uid = 0, gid = 0;
  std::uint64_t line = 0;
};

struct ShadowEntry {
  std::string name, password;
  std::uint64_t line = 0;
};

struct ParseIssue {
  std::uint64_t line = 0;
  std::string message;
};

template <class T>
struct Parsed {
  std::vector<T> entries;
  std::vector<ParseIssue> issues;
};

Parsed<PasswdEntry> parse_passwd(std::string_view text);
Parsed<ShadowEntry> parse_shadow(std::string_view text);
// "des", "md5", "sha256", "sha512", "bcrypt", "yescrypt", "gost-yescrypt", "scrypt", "sunmd5",
// "bsdi", "nthash", or "unknown".
std::string hash_scheme(std::string_view hash);

}  // namespace iotaudit::formats
