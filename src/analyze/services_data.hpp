#pragma once
// data/services/daemons.json: what iotaudit knows about daemons a firmware may start.
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit::analyze {

struct DaemonInfo {
  std::vector<std::string> names;
  std::string kind;
  bool needs_root = false, network = false;
  std::vector<std::string> ports, user_flags, config_flags, config_defaults, user_keys;
  std::string default_user, drops_by_default;
};

const std::vector<DaemonInfo>& daemon_table();
const DaemonInfo* find_daemon(std::string_view program_name);

}  // namespace iotaudit::analyze
