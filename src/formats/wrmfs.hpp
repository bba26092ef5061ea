#pragma once
// Wind River management filesystem: the web pages and scripts of VxWorks devices (TP-Link
// routers and access points among them), stored after the VxWorks image in the firmware file.
// Layout (all integers big-endian):
//   32 bytes  "owowowowowowowowowowowowowowowow"
//   u32       flags: 1 = every file is an lzma-alone stream, 0 = stored
//   u32       number of files
//   u32       a value whose meaning is not documented (kept, not used)
//   count x   { char name[40] (NUL-padded), u32 size (stored bytes), u32 offset (from the magic) }
//   data      the files, each at its offset, padded to 4 bytes
// There are no directories, owners or timestamps. Reference: binwalk's magic ("Wind River
// management filesystem") and the real image tplink-vxworks-fact-test/wr.fw (185 files).
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::string_view kWrmfsMagic = "owowowowowowowowowowowowowowowow";
inline constexpr std::uint32_t kWrmfsHeaderSize = 44;
inline constexpr std::uint32_t kWrmfsEntrySize = 48;
inline constexpr std::uint32_t kWrmfsNameSize = 40;
inline constexpr std::uint32_t kWrmfsMaxFiles = 65536;

struct WrmfsEntry {
  std::string name;
  std::uint32_t size = 0;
  std::uint32_t offset = 0;  // from the first byte of the magic
  std::uint32_t index = 0;   // position in the table
};

struct Wrmfs {
  std::uint32_t flags = 0;
  std::uint32_t count = 0;
  std::uint32_t header_value = 0;
  std::vector<WrmfsEntry> entries;  // table order
  std::uint64_t table_end = 0;      // first byte after the table
  std::uint64_t end = 0;            // first byte after the last file (the structure's length)
  bool compressed() const { return flags == 1; }
};

// Parses the header and the file table. Fails without the magic, with an implausible count, a
// table cut by the end of `data`, or an entry pointing into the table; entries whose data lie
// beyond the end of `data` are kept (the caller reports them as cut).
Result<Wrmfs> parse_wrmfs(ByteView data);

}  // namespace iotaudit::formats
