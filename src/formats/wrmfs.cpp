#include "formats/wrmfs.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace iotaudit::formats {

Result<Wrmfs> parse_wrmfs(ByteView data) {
  if (!data.has_at(0, kWrmfsMagic)) return fail(Errc::malformed, "no Wind River management filesystem magic");
  Reader r(data, Endian::big);
  TRY(r.seek(kWrmfsMagic.size()));
  Wrmfs fs;
  ASSIGN_OR_RETURN(fs.flags, r.u32());
  ASSIGN_OR_RETURN(fs.count, r.u32());
  ASSIGN_OR_RETURN(fs.header_value, r.u32());
  if (fs.flags > 1) return fail(Errc::malformed, fmt::format("unknown flags {:#x}", fs.flags));
  if (fs.count == 0 || fs.count > kWrmfsMaxFiles)
    return fail(Errc::malformed, fmt::format("implausible number of files {}", fs.count));
  fs.table_end = kWrmfsHeaderSize + std::uint64_t{fs.count} * kWrmfsEntrySize;
  if (fs.table_end > data.size())
    return fail(Errc::truncated, fmt::format("table of {} files cut by the end of the data", fs.count));
  fs.end = fs.table_end;
  fs.entries.reserve(fs.count);
  for (std::uint32_t i = 0; i < fs.count; ++i) {
    WrmfsEntry e;
    e.index = i;
    ASSIGN_OR_RETURN(e.name, r.fixed_string(kWrmfsNameSize));
    ASSIGN_OR_RETURN(e.size, r.u32());
    ASSIGN_OR_RETURN(e.offset, r.u32());
    if (e.name.empty()) return fail(Errc::malformed, fmt::format("file {} has no name", i));
    if (e.offset < fs.table_end)
      return fail(Errc::malformed, fmt::format("file '{}' points into the file table", e.name));
    fs.end = std::max(fs.end, std::uint64_t{e.offset} + e.size);
    fs.entries.push_back(std::move(e));
  }
  return fs;
}

}  // namespace iotaudit::formats
