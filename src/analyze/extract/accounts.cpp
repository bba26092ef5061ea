// Accounts from /etc/passwd and /etc/shadow of every root filesystem. Paths are resolved inside
// the root filesystem, following its symlinks as the device would.
#include <map>

#include "analyze/analyzer.hpp"
#include "formats/passwd.hpp"

namespace iotaudit::analyze {

namespace {
void classify_password(Account& a, std::string_view pw) {
  if (pw.empty()) {
    a.state = PasswordState::empty;
  } else if (pw.front() == '!' || pw.front() == '*') {
    a.state = PasswordState::locked;
  } else {
    a.state = PasswordState::hash;
    a.hash = std::string(pw);
    a.hash_scheme = formats::hash_scheme(pw);
    if (a.hash_scheme == "unknown" && pw.size() < 13) a.state = PasswordState::locked;  // "x", "NP", "LK"
  }
}
}  // namespace

void extract_accounts(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  for (NodeId root : facts.rootfs) {
    NodeId passwd = t.resolve(root, "etc/passwd");
    NodeId shadow = t.resolve(root, "etc/shadow");
    if (passwd == kNoNode || t.at(passwd).type != NodeType::file) continue;
    BlobPtr pb = t.content(passwd);
    auto pw = formats::parse_passwd(pb->view().as_chars());
    std::map<std::string, formats::ShadowEntry> sh;
    BlobPtr sb;
    if (shadow != kNoNode && t.at(shadow).type == NodeType::file) {
      sb = t.content(shadow);
      for (auto& e : formats::parse_shadow(sb->view().as_chars()).entries) sh.emplace(e.name, e);
    }
    for (const auto& e : pw.entries) {
      Account a;
      a.fs_root = root;
      a.name = e.name;
      a.uid = e.uid;
      a.gid = e.gid;
      a.home = e.home;
      a.shell = e.shell;
      a.gecos = e.gecos;
      if (e.password == "x") {
        auto it = sh.find(e.name);
        if (it == sh.end()) {
          a.state = PasswordState::missing;
          a.source = passwd;
          a.line = e.line;
        } else {
          classify_password(a, it->second.password);
          a.source = shadow;
          a.line = it->second.line;
        }
      } else {
        classify_password(a, e.password);
        a.source = passwd;
        a.line = e.line;
      }
      a.source_path = t.path_within(root, a.source);
      facts.accounts.push_back(std::move(a));
    }
  }
}

}  // namespace iotaudit::analyze
