// Empty and well-known default passwords. Hashes are tested with libxcrypt's crypt_rn, which
// supports every scheme the firmware may use (DES, md5crypt, sha256/512crypt, bcrypt, yescrypt);
// candidates come from data/credentials/default-passwords.txt plus the account's own name.
#include <crypt.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
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

}  // namespace

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
  ctx.executor.parallel_for(targets.size(), [&](std::size_t i) {
    const Account& a = *targets[i];
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
  for (const auto& f : found) unmatched += f ? 0 : 1;
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
