#pragma once
// Facts are observations extracted from the tree, with no judgment attached.
#include <cstdint>
#include <string>
#include <vector>

#include "model/boot.hpp"
#include "model/component.hpp"
#include "model/crypto.hpp"
#include "model/services.hpp"
#include "model/hardening.hpp"
#include "model/tree.hpp"
#include "model/vuln.hpp"

namespace iotaudit {

enum class FileKind { unknown, elf, script, text, data, empty };
const char* to_string(FileKind k);

struct ElfInfo {
  NodeId node = kNoNode;
  std::string path;
  unsigned bits = 0;          // 32 or 64
  Endian endian = Endian::little;
  std::uint16_t machine = 0;  // e_machine
  std::string machine_name;   // "MIPS", "ARM", "AArch64"
  std::uint16_t type = 0;     // e_type
  std::string type_name;      // "EXEC", "DYN", "REL", "CORE"
  std::string interpreter;    // PT_INTERP when present
};

enum class PasswordState {
  hash,      // a crypt(3) hash
  empty,     // empty field: no password needed
  locked,    // "*", "!", "!!" or a "!"-prefixed hash
  shadowed,  // "x" in passwd and the account is in shadow
  missing,   // "x" in passwd but no shadow entry
};
const char* to_string(PasswordState s);

struct Account {
  NodeId fs_root = kNoNode;
  std::string name;
  std::uint32_t uid = 0, gid = 0;
  std::string home, shell, gecos;
  PasswordState state = PasswordState::missing;
  std::string hash;           // the crypt(3) string, when state == hash
  std::string hash_scheme;    // des, md5, sha256, sha512, bcrypt, yescrypt, unknown
  NodeId source = kNoNode;    // file holding the password field (passwd or shadow)
  std::string source_path;    // "/etc/shadow"
  std::uint64_t line = 0;     // 1-based line in source
};

struct Facts {
  std::vector<ElfInfo> elves;
  std::vector<ElfHardening> hardening;  // ELF files of elves that parse, by logical path
  std::vector<Account> accounts;
  std::vector<NodeId> rootfs;  // directories that look like a root filesystem ("/etc/passwd")
  std::vector<std::pair<NodeId, FileKind>> kinds;
  std::vector<Component> components;  // sorted by id, then version
  std::vector<BootEnv> boot_envs;     // U-Boot environments, partitions first, then defaults
  std::vector<Service> services;      // daemons and consoles started at boot, per root filesystem
  std::vector<PrivateKey> keys;            // sorted by logical path, then offset
  std::vector<Certificate> certificates;   // sorted by logical path, then offset
  // Filled after extraction when a vulnerability database is available (pipeline).
  std::vector<VulnMatch> vulns;
  std::vector<LifecycleNote> lifecycle;
  VulnScanInfo vuln_info;
};

}  // namespace iotaudit
