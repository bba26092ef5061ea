#pragma once
// SquashFS images made with mksquashfs (squashfs-tools) from a directory the test fills.
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "unit/support/temp_dir.hpp"

namespace iotaudit::test {

inline bool have_mksquashfs() {
  return std::system("command -v mksquashfs >/dev/null 2>&1") == 0;
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Runs mksquashfs on `source` with the pseudo definitions in `pseudo` (one per line, may be
// empty) and `extra` options; returns the image bytes, or nullopt when mksquashfs fails.
inline std::optional<std::vector<std::uint8_t>> mksquashfs(const TempDir& work, const std::string& source,
                                                           const std::string& pseudo,
                                                           const std::string& extra = "") {
  std::string image = work / "image.sqfs";
  std::filesystem::remove(image);
  std::string cmd = "mksquashfs '" + source + "' '" + image +
                    "' -noappend -no-progress -quiet -no-xattrs -all-time 1700000000 "
                    "-mkfs-time 1700000000 " + extra;
  if (!pseudo.empty()) {
    std::string pf = work / "pseudo.txt";
    if (!write_text(pf, pseudo)) return std::nullopt;
    cmd += " -pf '" + pf + "'";
  }
  cmd += " >'" + (work / "mksquashfs.log") + "' 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return std::nullopt;
  return read_bytes(image);
}

}  // namespace iotaudit::test
