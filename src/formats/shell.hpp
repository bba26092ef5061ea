#pragma once
// Just enough of the POSIX shell language, inittab(5), inetd.conf(5) and systemd unit files to
// read how a firmware starts its daemons. No expansion is executed: words are split with quoting
// rules applied, simple variable references are substituted from assignments the caller knows,
// and everything else ($(...), backquotes, globs) stays literal. Pure functions over text; every
// input is bounded by the caller (line and word caps here).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit::formats {

// One simple command of a script: its words after quote removal, where it starts, whether it was
// sent to the background ('&'), and the case-branch label it sits under ("start", "stop", "*";
// empty outside any case) and the function it belongs to (empty at top level).
struct ShellCommand {
  std::vector<std::string> words;
  std::uint64_t line = 0;  // 1-based line of the first word
  bool background = false;
  std::string case_label;
  std::string function;
  std::string text;        // the command as written (capped), for evidence
  // Inside an if/while/until block, or after && / ||: it runs only under some condition.
  bool conditional = false;
};

struct ShellScript {
  std::vector<ShellCommand> commands;
  std::map<std::string, std::string> assignments;  // NAME=value at top level, last one wins
  std::vector<std::string> functions;              // names of the functions the script defines
  bool truncated = false;  // stopped at a cap
};

// Splits a script into simple commands at newlines, ';', '&', '&&', '||' and '|', keeping quotes
// together ("a b" is one word), dropping comments, joining backslash-newline continuations.
// Control words (if, then, while, do, case ... in, esac, fi, done, {, }) are not commands; the
// condition of `if`/`while` is. `$NAME` and `${NAME}` are replaced by earlier top-level
// assignments; `${NAME:-default}` by the assignment or the default.
ShellScript parse_shell(std::string_view text, std::size_t max_commands = 20000);

// Splits one line into words with shell quoting (used for single command strings such as
// `su -c "..."` arguments and systemd ExecStart=).
std::vector<std::string> split_words(std::string_view text, std::size_t max_words = 256);

// inittab: BusyBox "tty:runlevels:action:process" and SysV "id:runlevels:action:process".
struct InittabEntry {
  std::string id, runlevels, action, process;
  std::uint64_t line = 0;
};
std::vector<InittabEntry> parse_inittab(std::string_view text, std::size_t max_entries = 4096);

// inetd.conf: "service socket-type protocol wait user server args..."
struct InetdEntry {
  std::string service, socket_type, protocol, wait, user, server;
  std::vector<std::string> args;
  std::uint64_t line = 0;
};
std::vector<InetdEntry> parse_inetd(std::string_view text, std::size_t max_entries = 4096);

// Key/value configuration files of the "key=value", "key = value" and "key value" kinds
// (dnsmasq, hostapd, miniupnpd, vsftpd, mosquitto, snmpd, sshd_config, systemd units, lighttpd).
// Keys are kept as written; values have surrounding whitespace and one level of quotes removed.
// Section headers ("[Service]") are reported as entries with an empty value and section set.
struct ConfEntry {
  std::string section, key, value;
  std::uint64_t line = 0;
};
std::vector<ConfEntry> parse_conf(std::string_view text, std::size_t max_entries = 100000);

// Iterates lines with 1-based numbers; stops after max_lines. Lines keep no '\n' (nor a '\r').
template <class F>
void for_each_line(std::string_view text, F&& f, std::size_t max_lines = 1000000) {
  std::size_t pos = 0;
  std::uint64_t no = 0;
  while (pos < text.size() && no < max_lines) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++no;
    if (!f(line, no)) return;
    pos = end + 1;
  }
}

// Text a parser may read: no NUL bytes in the first 4 KiB and mostly printable.
bool looks_like_text(std::string_view data);

}  // namespace iotaudit::formats
