// The squashfs superblock parser used to validate carve candidates.
#include <cstddef>
#include <cstdint>

#include "formats/squashfs_super.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto sb = formats::parse_squashfs_super(ByteView(data, size));
  if (!sb) return 0;
  // What the parser promises about an accepted v4 superblock; the unpacker relies on it.
  if (sb->version_major < 1 || sb->version_major > 4) __builtin_trap();
  if (sb->version_major == 4 && (sb->bytes_used < 96 || sb->bytes_used > size)) __builtin_trap();
  (void)sb->compression_name();
  return 0;
}
