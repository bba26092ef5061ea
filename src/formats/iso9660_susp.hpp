#pragma once
// ISO 9660 System Use Sharing Protocol (SUSP, IEEE P1281) continuation areas: a directory
// record's System Use field may end in a "CE" entry naming a continuation area (block, offset,
// length) that holds more entries, which may name further areas. libarchive up to 3.8 follows a
// CE that points back into an area already read for the same record forever, growing memory
// (fixed upstream in 2026, libarchive pull request 3021); Debian 12 ships 3.6.2. This walks the
// primary volume's directory tree and every CE chain, bounded, so such images are recognised
// before libarchive reads them. Reference: IEEE P1281 (SUSP 1.12) 5.1, ECMA-119 9.1 and 8.4.
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct SuspCheck {
  bool loop = false;          // a CE names an area already read for the same record
  std::string detail;         // where, when loop
  std::uint64_t records = 0;  // directory records examined
  std::uint64_t continuations = 0;
  bool complete = true;       // false when the walk stopped at one of its bounds
};

// Examines the primary volume descriptor's tree in `image` (the whole ISO 9660 image). Errors
// only for an image without a usable primary descriptor; structural damage elsewhere simply
// ends the walk of that directory (libarchive reports it).
Result<SuspCheck> check_susp_continuations(ByteView image);

}  // namespace iotaudit::formats
