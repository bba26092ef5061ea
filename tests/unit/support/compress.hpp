#pragma once
// gzip streams built with zlib in the test itself.
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace iotaudit::test {

// gzip of `data`.
inline std::vector<std::uint8_t> gzip(std::string_view data, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& data, int level = 6) {
  return gzip(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), level);
}

// gzip of `count` zero bytes, streamed: the zeros are never held in memory at once.
inline std::vector<std::uint8_t> gzip_zeros(std::uint64_t count) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::vector<std::uint8_t> zeros(1u << 20, 0);
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> chunk(1u << 16);
  std::uint64_t left = count;
  int flush = Z_NO_FLUSH;
  do {
    std::size_t n = left < zeros.size() ? static_cast<std::size_t>(left) : zeros.size();
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = zeros.data();
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = chunk.data();
      zs.avail_out = static_cast<uInt>(chunk.size());
      deflate(&zs, flush);
      out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - zs.avail_out));
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&zs);
  return out;
}

}  // namespace iotaudit::test
