#pragma once
// A byte buffer with explicit-endian writers, for building binary structures by hand in tests.
// Independent of core/bytes.hpp so tests do not check the parser against its own helpers.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit::test {

class Buffer {
 public:
  explicit Buffer(bool big_endian = false) : big_(big_endian) {}

  std::vector<std::uint8_t>& bytes() { return b_; }
  std::size_t size() const { return b_.size(); }
  std::string_view chars() const { return {reinterpret_cast<const char*>(b_.data()), b_.size()}; }

  void resize(std::size_t n) { b_.resize(n, 0); }
  void put(std::size_t off, std::uint64_t v, unsigned width) {
    if (b_.size() < off + width) b_.resize(off + width, 0);
    for (unsigned i = 0; i < width; ++i) {
      unsigned shift = big_ ? 8 * (width - 1 - i) : 8 * i;
      b_[off + i] = static_cast<std::uint8_t>((v >> shift) & 0xff);
    }
  }
  void u8(std::size_t off, std::uint8_t v) { put(off, v, 1); }
  void u16(std::size_t off, std::uint16_t v) { put(off, v, 2); }
  void u32(std::size_t off, std::uint32_t v) { put(off, v, 4); }
  void u64(std::size_t off, std::uint64_t v) { put(off, v, 8); }
  void raw(std::size_t off, std::string_view s) {
    if (b_.size() < off + s.size()) b_.resize(off + s.size(), 0);
    for (std::size_t i = 0; i < s.size(); ++i) b_[off + i] = static_cast<std::uint8_t>(s[i]);
  }

 private:
  bool big_;
  std::vector<std::uint8_t> b_;
};

}  // namespace iotaudit::test
