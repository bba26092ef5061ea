#pragma once
// Android sparse images (system/core/libsparse/sparse_format.h): a 28-byte file header, then
// chunks of RAW data, FILL (a repeated 32-bit value), DONT_CARE (a hole) and CRC32. The image they
// describe is total_blks * blk_sz bytes. Pure parsing: headers are validated without reading data.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

constexpr std::uint32_t kSparseMagic = 0xed26ff3a;
enum class SparseChunkType : std::uint16_t { raw = 0xcac1, fill = 0xcac2, dont_care = 0xcac3, crc32 = 0xcac4 };

struct SparseChunk {
  SparseChunkType type = SparseChunkType::raw;
  std::uint32_t blocks = 0;      // output blocks it covers
  std::uint64_t data_at = 0;     // offset of its payload in the sparse file
  std::uint32_t data_len = 0;    // payload bytes (raw: blocks * blk_sz; fill/crc32: 4)
};

struct SparseImage {
  std::uint32_t blk_sz = 0, total_blks = 0, total_chunks = 0, image_checksum = 0;
  std::uint16_t major = 0, minor = 0;
  std::vector<SparseChunk> chunks;  // as far as the input holds whole chunk headers
  std::uint64_t length = 0;         // bytes of the sparse file the chunks occupy
  bool truncated = false;           // the input ends before the last declared chunk
  std::string bad_chunk;            // why parsing stopped at a contradictory chunk header (after a good one)
  std::uint64_t output_blocks = 0;  // sum of chunk blocks
};

// Parses the header and every chunk header. Errors for a bad magic or header, and for a first
// chunk header that contradicts itself (a RAW chunk whose size is not blocks * blk_sz, more
// blocks than the header declares, an unknown type): that is not a sparse image. A later
// contradictory chunk ends the chunk list instead (bad_chunk says why; length stops before it),
// so what came before it is kept.
Result<SparseImage> parse_android_sparse(ByteView data, std::size_t max_chunks = 1u << 20);

}  // namespace iotaudit::formats
