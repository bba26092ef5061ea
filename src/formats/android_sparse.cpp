#include "formats/android_sparse.hpp"

namespace iotaudit::formats {

Result<SparseImage> parse_android_sparse(ByteView data, std::size_t max_chunks) {
  Reader r(data, Endian::little);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kSparseMagic) return fail(Errc::malformed, "no Android sparse magic");
  SparseImage s;
  ASSIGN_OR_RETURN(s.major, r.u16());
  ASSIGN_OR_RETURN(s.minor, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t file_hdr_sz, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t chunk_hdr_sz, r.u16());
  ASSIGN_OR_RETURN(s.blk_sz, r.u32());
  ASSIGN_OR_RETURN(s.total_blks, r.u32());
  ASSIGN_OR_RETURN(s.total_chunks, r.u32());
  ASSIGN_OR_RETURN(s.image_checksum, r.u32());
  if (s.major != 1) return fail(Errc::unsupported, "Android sparse major version is not 1");
  if (file_hdr_sz < 28 || chunk_hdr_sz < 12 || file_hdr_sz > 4096 || chunk_hdr_sz > 4096)
    return fail(Errc::malformed, "Android sparse header sizes implausible");
  if (s.blk_sz == 0 || s.blk_sz % 4 != 0 || s.blk_sz > (1u << 24))
    return fail(Errc::malformed, "Android sparse block size implausible");
  std::uint64_t pos = file_hdr_sz;
  for (std::uint32_t i = 0; i < s.total_chunks; ++i) {
    if (s.chunks.size() >= max_chunks) return fail(Errc::limit, "Android sparse image with too many chunks");
    Reader c(data, Endian::little);
    if (!c.seek(pos) || data.size() - pos < chunk_hdr_sz) {
      s.truncated = true;
      break;
    }
    ASSIGN_OR_RETURN(std::uint16_t type, c.u16());
    TRY(c.skip(2));
    ASSIGN_OR_RETURN(std::uint32_t blocks, c.u32());
    ASSIGN_OR_RETURN(std::uint32_t total_sz, c.u32());
    SparseChunk ch;
    ch.blocks = blocks;
    ch.data_at = pos + chunk_hdr_sz;
    ch.data_len = total_sz >= chunk_hdr_sz ? total_sz - chunk_hdr_sz : 0;
    const char* bad = nullptr;
    if (total_sz < chunk_hdr_sz) bad = "chunk smaller than its header";
    else
      switch (type) {
        case 0xcac1:
          ch.type = SparseChunkType::raw;
          if (std::uint64_t{blocks} * s.blk_sz != ch.data_len) bad = "RAW chunk size disagrees with its block count";
          break;
        case 0xcac2:
          ch.type = SparseChunkType::fill;
          if (ch.data_len != 4) bad = "FILL chunk without a 4-byte value";
          break;
        case 0xcac3:
          ch.type = SparseChunkType::dont_care;
          if (ch.data_len != 0) bad = "DONT_CARE chunk with data";
          break;
        case 0xcac4:
          ch.type = SparseChunkType::crc32;
          if (ch.data_len != 4 || blocks != 0) bad = "CRC32 chunk malformed";
          break;
        default:
          bad = "chunk of unknown type";
      }
    if (!bad && s.output_blocks + blocks > s.total_blks) bad = "chunks cover more blocks than the image has";
    if (bad) {
      if (s.chunks.empty()) return fail(Errc::malformed, std::string("Android sparse ") + bad);
      s.bad_chunk = "chunk " + std::to_string(i) + " at offset " + std::to_string(pos) + ": " + bad;
      break;
    }
    s.output_blocks += blocks;
    s.chunks.push_back(ch);
    pos += total_sz;
    if (pos > data.size()) {
      s.truncated = true;
      pos = data.size();
      break;
    }
  }
  s.length = pos;
  return s;
}

}  // namespace iotaudit::formats
