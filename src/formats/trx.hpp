#pragma once
// Broadcom TRX firmware container: "HDR0", total length, CRC32 over the image from byte 12,
// flags, version (1: three partition offsets, 2: four), then the partitions (loader/kernel,
// kernel or rootfs, rootfs...). Little-endian. Reference: OpenWrt
// tools/firmware-utils/src/trx.c and otrx.c; Broadcom shared/trxhdr.h.
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct TrxPartition {
  std::uint64_t offset = 0, length = 0;  // from the start of the header
};

struct TrxHeader {
  std::uint32_t length = 0, crc = 0;
  std::uint16_t flags = 0, version = 0;
  std::uint32_t header_size = 0;           // 28 (v1) or 32 (v2)
  std::vector<TrxPartition> partitions;    // non-zero offsets, in order; each ends at the next
  bool crc_checked = false, crc_ok = false;  // checked when all `length` bytes are present
};

// Parses and validates the header at the start of `data`: magic, version 1/2, length at least
// the header, partition offsets increasing and inside the length. The CRC is only reported.
Result<TrxHeader> parse_trx(ByteView data);

}  // namespace iotaudit::formats
