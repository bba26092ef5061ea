#pragma once
// UBIFS and UBI images made with mkfs.ubifs and ubinize (mtd-utils) from directories the test
// fills, and a driver that runs one unpacker on bytes the way the engine does (probe, then unpack
// into a region), so a UBI volume's content can be handed to the UBIFS unpacker.
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zlib.h>

#include "core/bytes.hpp"
#include "core/limits.hpp"
#include "model/tree.hpp"
#include "unit/support/temp_dir.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::test {

inline bool have_mtd_utils() {
  return std::system("command -v mkfs.ubifs >/dev/null 2>&1 && command -v ubinize >/dev/null 2>&1") == 0;
}

inline std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline bool run_ok(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

struct UbifsOptions {
  std::string compr = "zlib";
  unsigned min_io = 2048;
  unsigned leb_size = 126976;
  unsigned max_leb_cnt = 64;
  std::string devtable;  // device table lines (mkfs.jffs2 syntax), may be empty
};

// Builds a UBIFS image of `source` (all files owned by root unless the device table says
// otherwise). Returns nullopt when mkfs.ubifs fails.
inline std::optional<std::vector<std::uint8_t>> mkfs_ubifs(const TempDir& work, const std::string& source,
                                                           const UbifsOptions& o, const std::string& out_name = "fs.ubifs") {
  std::string image = work / out_name;
  std::filesystem::remove(image);
  std::string cmd = "mkfs.ubifs -y -U -r '" + source + "' -m " + std::to_string(o.min_io) + " -e " +
                    std::to_string(o.leb_size) + " -c " + std::to_string(o.max_leb_cnt) + " -x " + o.compr +
                    " -o '" + image + "'";
  if (!o.devtable.empty()) {
    std::string dt = work / "devtable.txt";
    if (!write_text(dt, o.devtable)) return std::nullopt;
    cmd += " -D '" + dt + "'";
  }
  cmd += " >'" + (work / "mkfs.ubifs.log") + "' 2>&1";
  if (!run_ok(cmd)) return std::nullopt;
  return read_file_bytes(image);
}

// Runs ubinize on the ini text (paths inside it are the caller's). Returns the UBI image.
inline std::optional<std::vector<std::uint8_t>> ubinize(const TempDir& work, const std::string& ini, unsigned peb,
                                                        unsigned min_io, unsigned sub_page = 0,
                                                        unsigned image_seq = 0x1234abcd) {
  std::string cfg = work / "ubinize.ini";
  std::string image = work / "image.ubi";
  std::filesystem::remove(image);
  if (!write_text(cfg, ini)) return std::nullopt;
  std::string cmd = "ubinize -o '" + image + "' -p " + std::to_string(peb) + " -m " + std::to_string(min_io) +
                    (sub_page ? " -s " + std::to_string(sub_page) : std::string()) + " -Q " +
                    std::to_string(image_seq) + " '" + cfg + "' >'" + (work / "ubinize.log") + "' 2>&1";
  if (!run_ok(cmd)) return std::nullopt;
  return read_file_bytes(image);
}

// CRC-32 as UBI/UBIFS store it (zlib's CRC without the final inversion), for tests that forge
// headers and nodes.
inline std::uint32_t mtd_crc(const std::uint8_t* p, std::size_t n) {
  return static_cast<std::uint32_t>(crc32(0, p, static_cast<uInt>(n))) ^ 0xFFFFFFFFu;
}
inline void put_le32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void put_be32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
inline std::uint32_t get_le32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}
// Recomputes the CRC of the UBIFS node at `at` (over bytes 8..len).
inline void fix_ubifs_crc(std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint32_t len = get_le32(b, at + 16);
  put_le32(b, at + 4, mtd_crc(b.data() + at + 8, len - 8));
}

// One unpacker run on `bytes` at offset 0, in a fresh tree: image root, region, unpack.
struct UnpackRun {
  std::unique_ptr<Tree> tree = std::make_unique<Tree>();
  NodeId region = kNoNode;
  bool probed = false;
  Result<std::uint64_t> consumed = 0;
};

inline UnpackRun run_unpacker(std::string_view id, BlobPtr blob, const Limits& limits = {}) {
  UnpackRun run;
  const unpack::Unpacker* u = unpack::find(id);
  if (u == nullptr) return run;
  auto probe = u->probe(blob->view());
  if (!probe) return run;
  run.probed = true;
  unpack::Budget budget(limits);
  Node root;
  root.name = "test.bin";
  root.type = NodeType::image;
  root.size = blob->view().size();
  root.content = blob;
  NodeId root_id = run.tree->add(std::move(root));
  Node r;
  r.parent = root_id;
  r.name = std::string(id) + "@0x0";
  r.type = NodeType::region;
  r.format = std::string(id);
  r.content = blob;
  r.size = blob->view().size();
  r.origin = {root_id, 0, probe->length, std::string(id)};
  run.region = run.tree->add(std::move(r));
  unpack::Context ctx{*run.tree, budget, run.region, blob};
  run.consumed = u->unpack(ctx);
  run.tree->finalize();
  return run;
}

inline UnpackRun run_unpacker(std::string_view id, const std::vector<std::uint8_t>& bytes, const Limits& limits = {}) {
  return run_unpacker(id, make_blob(bytes), limits);
}

}  // namespace iotaudit::test
