#pragma once
// U-Boot environment blocks: a CRC32 (stored in the CPU's byte order) over the rest of the block,
// an optional flags byte (redundant environments, CONFIG_SYS_REDUNDAND_ENVIRONMENT), then
// NUL-separated "name=value" strings ended by an empty string, the rest of the block filled.
// The block size (CONFIG_ENV_SIZE) is not stored: it is found by checking the CRC at every
// 256-byte boundary up to 256 KiB. Reference: U-Boot include/env_internal.h (env_t),
// tools/env/fw_env.c.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct UbootEnv {
  std::uint64_t size = 0;       // block size whose CRC matches
  bool redundant = false;       // a flags byte follows the CRC
  std::uint8_t flags = 0;
  Endian crc_endian = Endian::little;
  std::vector<std::pair<std::string, std::string>> vars;
  std::size_t malformed = 0;    // entries without '='
  bool vars_truncated = false;  // more variables than the limit
};

inline constexpr std::uint64_t kUbootEnvMaxSize = 0x40000;

// Finds an environment block at the start of `data`: the text after the header must begin with
// a printable "name=" and the CRC must match one block size. Parses at most `max_vars` variables.
Result<UbootEnv> parse_uboot_env(ByteView data, std::size_t max_vars = 10000);

}  // namespace iotaudit::formats
