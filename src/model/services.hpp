#pragma once
// The static service graph: what a firmware starts at boot, from which file and line, with which
// arguments and as which user. Facts only; checks judge them.
#include <cstdint>
#include <string>
#include <vector>

#include "model/tree.hpp"

namespace iotaudit {

struct Service {
  NodeId fs_root = kNoNode;         // the root filesystem it belongs to
  std::string name;                 // program name ("telnetd"; BusyBox applets by their applet name)
  std::string binary;               // as written, variables substituted ("/usr/sbin/telnetd")
  std::string resolved;             // the file it resolves to inside the root filesystem, if any
  std::vector<std::string> args;
  std::string started_by;           // inittab, init-script, procd, systemd, inetd
  std::string action;               // inittab action (respawn, askfirst, once…), "start" branch…
  std::string console;              // inittab: the terminal a shell or getty runs on ("ttyS0")
  std::string user = "root";        // who it runs as after any privilege drop
  std::string user_how;             // how that was decided ("-u www-data", "user=nobody in /etc/dnsmasq.conf"…)
  std::string config;               // its configuration file inside the root filesystem, if known
  std::string kind;                 // from data/services/daemons.json (web, remote-shell…); empty if unknown
  bool needs_root = false;          // the table says it must start as root
  bool network = false;             // the table says it listens on the network
  std::vector<std::string> ports;   // default ports from the table ("23/tcp")
  NodeId source = kNoNode;          // the file that starts it
  std::string source_path;          // as the device sees it ("/etc/init.d/rcS")
  std::uint64_t line = 0;
  std::string command;              // the line as written (capped), for evidence
  bool conditional = false;         // started inside if/while or after && / || in its script
};

}  // namespace iotaudit
