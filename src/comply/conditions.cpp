#include "comply/conditions.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace iotaudit::comply {

const char* to_string(Holds h) {
  switch (h) {
    case Holds::yes: return "holds";
    case Holds::no: return "does not hold";
    case Holds::unknown: break;
  }
  return "unknown";
}

namespace {

// Checks whose findings show that a password mechanism exists on the device.
const std::set<std::string_view> kPasswordChecks = {
    "credentials.default_password", "credentials.empty_password", "credentials.web_password",
    "credentials.config_password",  "credentials.wifi_psk",       "credentials.derived_password",
    "services.ssh_root_password"};

// Service kinds (data/services/daemons.json) through which people usually log in with a password.
const std::set<std::string_view> kLoginKinds = {"remote-shell", "web", "ftp", "file-sharing", "vpn", "mqtt", "snmp"};

bool login_program(const Service& s) {
  return s.name == "getty" || s.name == "agetty" || s.name == "login" || s.name == "mingetty";
}

ConditionFact passwords_used(const Facts& facts, const std::vector<Finding>& findings) {
  for (const auto& a : facts.accounts)
    if (a.state == PasswordState::hash || a.state == PasswordState::empty)
      return {Holds::yes, fmt::format("account {} has {} in {}", a.name,
                                      a.state == PasswordState::hash ? "a password hash" : "an empty password",
                                      a.source_path)};
  for (const auto& f : findings)
    if (kPasswordChecks.contains(f.check_id)) return {Holds::yes, fmt::format("{}: {}", f.check_id, f.title)};
  for (const auto& s : facts.services)
    if (kLoginKinds.contains(s.kind) || login_program(s))
      return {Holds::yes, fmt::format("{} ({}) is started by {} line {}", s.name, s.kind.empty() ? "login" : s.kind,
                                      s.source_path, s.line)};
  if (facts.rootfs.empty()) return {Holds::unknown, "no root filesystem was read"};
  return {Holds::no, fmt::format("the root filesystem has {} account(s), none with a password, and starts no login, "
                                 "remote-shell, web, FTP, file-sharing, VPN, MQTT or SNMP service; no check found a "
                                 "password",
                                 facts.accounts.size())};
}

ConditionFact update_mechanism(const std::vector<Finding>& findings, const std::vector<CheckRun>& runs) {
  for (const auto& f : findings)
    if (f.check_id == "updates.unsigned") return {Holds::yes, fmt::format("{}", f.title)};
  for (const auto& r : runs)
    if (r.check_id == "updates.unsigned" && r.subjects > 0)
      return {Holds::yes, fmt::format("{} script(s) write firmware images to flash (updates.unsigned)", r.subjects)};
  return {Holds::unknown, "no script that writes firmware images to flash was found"};
}

ConditionFact network_services(const Facts& facts) {
  for (const auto& s : facts.services)
    if (s.network)
      return {Holds::yes, fmt::format("{} listens on the network{}, started by {} line {}", s.name,
                                      s.ports.empty() ? "" : fmt::format(" ({})", s.ports.front()), s.source_path,
                                      s.line)};
  return {Holds::unknown, "no network service was found among the services started at boot"};
}

ConditionFact ssp_stored(const Facts& facts) {
  if (!facts.keys.empty()) return {Holds::yes, fmt::format("private key in {}", facts.keys.front().path)};
  for (const auto& a : facts.accounts)
    if (a.state == PasswordState::hash)
      return {Holds::yes, fmt::format("password hash of {} in {}", a.name, a.source_path)};
  return {Holds::unknown, "no private key or password hash was found"};
}

}  // namespace

const std::vector<std::string_view>& condition_fact_names() {
  static const std::vector<std::string_view> names = {"passwords_used", "user_authentication", "update_mechanism",
                                                      "network_services", "ssp_stored"};
  return names;
}

bool known_condition_fact(std::string_view name) {
  if (name.starts_with('!')) name.remove_prefix(1);
  const auto& n = condition_fact_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

ConditionFacts decide_condition_facts(const Facts& facts, const std::vector<Finding>& findings,
                                      const std::vector<CheckRun>& runs) {
  ConditionFacts out;
  out["passwords_used"] = passwords_used(facts, findings);
  // Passwords are one way of authenticating users; without them the device may still use others.
  out["user_authentication"] = out["passwords_used"].holds == Holds::yes
                                   ? out["passwords_used"]
                                   : ConditionFact{Holds::unknown, "no password mechanism was found; others may exist"};
  out["update_mechanism"] = update_mechanism(findings, runs);
  out["network_services"] = network_services(facts);
  out["ssp_stored"] = ssp_stored(facts);
  return out;
}

ConditionFact lookup(const ConditionFacts& facts, std::string_view binding) {
  bool negate = binding.starts_with('!');
  if (negate) binding.remove_prefix(1);
  auto it = facts.find(std::string(binding));
  if (it == facts.end()) return {};
  ConditionFact f = it->second;
  if (negate && f.holds != Holds::unknown) f.holds = f.holds == Holds::yes ? Holds::no : Holds::yes;
  return f;
}

}  // namespace iotaudit::comply
