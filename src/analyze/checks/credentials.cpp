// Empty and well-known default passwords. Hashes are tested with libxcrypt's crypt_rn, which
// supports every scheme the firmware may use (DES, md5crypt, sha256/512crypt, bcrypt, yescrypt);
// candidates come from data/credentials/default-passwords.txt plus the account's own name.
#include <crypt.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "analyze/credentials_data.hpp"
#include "core/embedded_data.hpp"

namespace iotaudit::analyze {

namespace {

bool login_shell(std::string_view shell) {
  // An empty shell field means /bin/sh.
  return !(shell.ends_with("/false") || shell.ends_with("/nologin") || shell.ends_with("/true") ||
           shell == "/bin/sync");
}

Evidence account_evidence(const Tree& t, const Account& a) {
  Evidence e = evidence_at(t, a.source);
  e.path = a.source_path;  // as the device sees it, also when the rootfs sits under a prefix
  e.line = a.line;
  e.facts["account"] = a.name;
  e.facts["uid"] = std::to_string(a.uid);
  e.facts["shell"] = a.shell;
  e.facts["password_field"] = to_string(a.state);
  if (!a.hash_scheme.empty()) e.facts["hash_scheme"] = a.hash_scheme;
  return e;
}

std::vector<std::string> load_candidates() {
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  auto text = embedded::file("credentials/default-passwords.txt");
  if (!text) return out;
  std::size_t i = 0;
  while (i < text->size()) {
    std::size_t j = text->find('\n', i);
    if (j == std::string_view::npos) j = text->size();
    std::string_view line = text->substr(i, j - i);
    i = j + 1;
    if (line.empty() || line.front() == '#' || !seen.insert(line).second) continue;
    out.emplace_back(line);
  }
  return out;
}

// crypt_rn cannot be interrupted, and whoever wrote a hash chose its work factor: one candidate
// against bcrypt cost 31 or sha512crypt rounds=999999999 runs for hours, a large yescrypt N takes
// gigabytes. Returns why a hash is not tried when it asks for more than about two seconds of work
// per candidate on a slow host; stock systems use far less.
std::optional<std::string> too_costly(std::string_view h) {
  constexpr std::uint64_t kMaxRounds = 2'000'000;    // sha-crypt, sha1crypt, sunmd5, BSDi
  constexpr std::uint64_t kMaxBlocks = 1ULL << 20;   // scrypt/yescrypt N*r*p*(t+1): 128 MiB at p=1
  constexpr std::string_view kItoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  auto atoi64 = [&](char c) -> std::uint64_t {
    auto i = kItoa64.find(c);
    return i == std::string_view::npos ? 64 : i;
  };
  auto decimal = [](std::string_view s) {  // leading digits, saturating
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') break;
      v = v > (1ULL << 40) ? v : v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  };
  auto mul = [](std::uint64_t a, std::uint64_t b) {  // saturating
    return a != 0 && b > (1ULL << 62) / a ? (1ULL << 62) : a * b;
  };
  // yescrypt's variable-length parameter encoding, as libxcrypt decodes it.
  auto yes_uint = [&](std::string_view& s, std::uint64_t min) -> std::optional<std::uint64_t> {
    if (s.empty() || atoi64(s.front()) > 63) return std::nullopt;
    std::uint64_t c = atoi64(s.front()), v = min, start = 0, end = 47, chars = 1, bits = 0;
    s.remove_prefix(1);
    while (c > end) {
      v += (end + 1 - start) << bits;
      start = end + 1;
      end = start + (62 - end) / 2;
      ++chars;
      bits += 6;
    }
    v += (c - start) << bits;
    while (--chars) {
      if (s.empty() || atoi64(s.front()) > 63) return std::nullopt;
      bits -= 6;
      v += atoi64(s.front()) << bits;
      s.remove_prefix(1);
    }
    return v;
  };
  auto rounds = [&](std::uint64_t n) -> std::optional<std::string> {
    if (n <= kMaxRounds) return std::nullopt;
    return fmt::format("{} rounds", n);
  };
  auto blocks = [&](std::uint64_t n) -> std::optional<std::string> {
    if (n <= kMaxBlocks) return std::nullopt;
    return fmt::format("{} MiB of memory-hard work", n >> 13);
  };

  if (h.size() >= 7 && h.starts_with("$2") && h[3] == '$' && std::isdigit(static_cast<unsigned char>(h[4])) &&
      std::isdigit(static_cast<unsigned char>(h[5]))) {
    int cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost > 14) return fmt::format("bcrypt cost {}", cost);
    return std::nullopt;
  }
  if (h.starts_with("$5$rounds=") || h.starts_with("$6$rounds=")) return rounds(decimal(h.substr(10)));
  if (h.starts_with("$md5,rounds=")) return rounds(decimal(h.substr(12)));
  if (h.starts_with("$sha1$")) return rounds(decimal(h.substr(6)));
  if (h.starts_with("_") && h.size() >= 5) {
    std::uint64_t count = 0;
    for (std::size_t i = 0; i < 4; ++i) count |= (atoi64(h[1 + i]) & 63) << (6 * i);
    return rounds(count);
  }
  if (h.starts_with("$7$") && h.size() >= 14) {
    std::uint64_t n_log2 = atoi64(h[3]), r = 0, p = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      r |= (atoi64(h[4 + i]) & 63) << (6 * i);
      p |= (atoi64(h[9 + i]) & 63) << (6 * i);
    }
    if (n_log2 > 62) return std::nullopt;  // rejected by libxcrypt before any work
    return blocks(mul(mul(1ULL << n_log2, r), p));
  }
  if (h.starts_with("$y$") || h.starts_with("$gy$")) {
    std::string_view s = h.substr(h[1] == 'y' ? 3 : 4);
    auto flavor = yes_uint(s, 0);
    auto n_log2 = flavor ? yes_uint(s, 1) : std::nullopt;
    auto r = n_log2 ? yes_uint(s, 1) : std::nullopt;
    if (!r || *n_log2 > 63) return std::nullopt;  // malformed: libxcrypt rejects it at once
    std::uint64_t p = 1, t = 0;
    if (!s.empty() && s.front() != '$') {
      auto have = yes_uint(s, 1).value_or(0);
      if (have & 1) p = yes_uint(s, 2).value_or(1ULL << 62);
      if (have & 2) t = yes_uint(s, 1).value_or(1ULL << 62);
    }
    return blocks(mul(mul(mul(1ULL << *n_log2, *r), p), t + 1));
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& default_password_list() {
  static const std::vector<std::string> list = load_candidates();
  return list;
}

bool is_default_password(std::string_view password) {
  const auto& l = default_password_list();
  return std::find(l.begin(), l.end(), password) != l.end();
}

std::optional<std::string> crack_with_defaults(const std::string& hash, std::string_view user) {
  if (too_costly(hash)) return std::nullopt;
  auto data = std::make_unique<crypt_data>();
  auto try_one = [&](const std::string& c) {
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* h = crypt_rn(c.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
    return h != nullptr && h[0] != '*' && hash == h;
  };
  if (!user.empty() && try_one(std::string(user))) return std::string(user);
  for (const auto& c : default_password_list())
    if (try_one(c)) return c;
  return std::nullopt;
}

CheckOutput check_empty_password(Context& ctx, const Facts& facts) {
  CheckOutput out;
  for (const Account& a : facts.accounts) {
    ++out.run.subjects;
    if (a.state != PasswordState::empty) continue;
    bool shell = login_shell(a.shell);
    Finding f;
    f.check_id = "credentials.empty_password";
    f.title = fmt::format("Account '{}' has an empty password", a.name);
    f.severity = a.uid == 0 || shell ? Severity::critical : Severity::high;
    f.description = fmt::format(
        "The password field of '{}' (uid {}) in {} is empty: anyone can log in as this account "
        "without a password on every device running this firmware{}.",
        a.name, a.uid, a.source_path, shell ? fmt::format(", and it has the login shell {}", a.shell) : "");
    f.remediation = "Lock the account ('*' or '!' in the password field) or require a password that is unique "
                    "per device or set by the user at first use.";
    Evidence e = account_evidence(ctx.tree, a);
    e.excerpt = fmt::format("{}::...", a.name);
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(a.source), a.name);
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_default_password(Context& ctx, const Facts& facts) {
  CheckOutput out;
  std::vector<const Account*> targets;
  for (const Account& a : facts.accounts)
    if (a.state == PasswordState::hash) targets.push_back(&a);
  out.run.subjects = targets.size();
  if (targets.empty()) return out;
  const auto candidates = load_candidates();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(ctx.limits.crack_seconds * 1000));
  std::vector<std::optional<std::string>> found(targets.size());
  std::vector<std::uint64_t> tried(targets.size(), 0);
  std::atomic<bool> timed_out{false};
  std::vector<std::optional<std::string>> skipped(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) skipped[i] = too_costly(targets[i]->hash);
  ctx.executor.parallel_for(targets.size(), [&](std::size_t i) {
    const Account& a = *targets[i];
    if (skipped[i]) return;
    auto data = std::make_unique<crypt_data>();  // ~32 KiB: keep it off the stack
    std::vector<std::string> list;
    list.reserve(candidates.size() + 2);
    list.push_back(a.name);
    for (const auto& c : candidates) list.push_back(c);
    for (const auto& c : list) {
      if (std::chrono::steady_clock::now() > deadline) {
        timed_out = true;
        return;
      }
      ++tried[i];
      std::memset(data.get(), 0, sizeof(crypt_data));
      const char* h = crypt_rn(c.c_str(), a.hash.c_str(), data.get(), sizeof(crypt_data));
      if (h != nullptr && h[0] != '*' && a.hash == h) {
        found[i] = c;
        return;
      }
    }
  });
  std::size_t unmatched = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) unmatched += found[i] || skipped[i] ? 0 : 1;
  if (unmatched > 0) {
    // A password outside the list may still be the same on every unit: only the manufacturer can
    // show it is unique per device, so a clean result here is not a pass.
    out.run.conclusive = false;
    out.run.notes.push_back(fmt::format(
        "{} account(s) have passwords that match no known default; whether they are unique per device "
        "needs the manufacturer's evidence",
        unmatched));
  }
  if (timed_out) {
    out.run.conclusive = false;
    out.run.notes.push_back("password cracking stopped at the time limit; results incomplete");
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!skipped[i]) continue;
    out.run.conclusive = false;
    out.run.notes.push_back(fmt::format("hash of '{}' not tried: its parameters ask for {} per candidate",
                                        targets[i]->name, *skipped[i]));
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!found[i]) continue;
    const Account& a = *targets[i];
    Finding f;
    f.check_id = "credentials.default_password";
    f.title = fmt::format("Account '{}' uses the well-known password '{}'", a.name, *found[i]);
    f.severity = Severity::critical;
    f.description = fmt::format(
        "The {} hash of '{}' (uid {}) in {} matches '{}', a password from public default-credential "
        "lists (botnets such as Mirai try them first). Every device running this firmware shares it.",
        a.hash_scheme, a.name, a.uid, a.source_path, *found[i]);
    f.remediation = "Ship no universal default password: use a password unique to each device (not derived "
                    "from public data such as the MAC address) or require the user to set one at first use.";
    Evidence e = account_evidence(ctx.tree, a);
    e.excerpt = fmt::format("{}:{}:...", a.name, censor(a.hash, a.hash_scheme == "des" ? 2 : 6));
    e.facts["matched_password"] = *found[i];
    e.facts["candidates_tried"] = std::to_string(tried[i]);
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, ctx.tree.logical_path(a.source), a.name);
    out.findings.push_back(std::move(f));
  }
  return out;
}

extern const CheckInfo check_empty_password_info;  // listed in checks.def
const CheckInfo check_empty_password_info{
    "credentials.empty_password", "Account without a password",
    "Accounts in /etc/passwd or /etc/shadow whose password field is empty.",
    {"PAM or login configuration that forbids empty passwords is not yet taken into account"},
    &check_empty_password};

extern const CheckInfo check_default_password_info;  // listed in checks.def
const CheckInfo check_default_password_info{
    "credentials.default_password", "Well-known default password",
    "Account password hashes that match a public default-credential list or the account name.",
    {"only the built-in candidate list is tried; passwords derived from MAC or serial numbers are not yet "
     "recognised"},
    &check_default_password};

}  // namespace iotaudit::analyze
