#pragma once
// ByteView and Reader: the only place that does pointer arithmetic on untrusted bytes. Every read
// is bounds-checked and returns Result; parsers never index raw pointers themselves.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.hpp"

namespace iotaudit {

enum class Endian { little, big };

class ByteView {
 public:
  constexpr ByteView() = default;
  constexpr ByteView(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  explicit ByteView(std::span<const std::uint8_t> s) : data_(s.data()), size_(s.size()) {}
  explicit ByteView(std::string_view s)
      : data_(reinterpret_cast<const std::uint8_t*>(s.data())), size_(s.size()) {}

  [[nodiscard]] constexpr const std::uint8_t* data() const { return data_; }
  [[nodiscard]] constexpr std::size_t size() const { return size_; }
  [[nodiscard]] constexpr bool empty() const { return size_ == 0; }

  // Sub-range [offset, offset+length); clamps nothing: an out-of-range request is an error.
  [[nodiscard]] Result<ByteView> sub(std::uint64_t offset, std::uint64_t length) const {
    if (offset > size_ || length > size_ - offset)
      return fail(Errc::truncated, "range beyond end of data");
    return ByteView(data_ + offset, static_cast<std::size_t>(length));
  }
  // Sub-range from offset to the end, clamped to the available bytes.
  [[nodiscard]] ByteView tail(std::uint64_t offset) const {
    if (offset >= size_) return {};
    return ByteView(data_ + offset, size_ - static_cast<std::size_t>(offset));
  }
  [[nodiscard]] ByteView head(std::uint64_t length) const {
    return ByteView(data_, length < size_ ? static_cast<std::size_t>(length) : size_);
  }
  [[nodiscard]] bool starts_with(std::string_view magic) const {
    return magic.size() <= size_ &&
           (magic.empty() || std::memcmp(data_, magic.data(), magic.size()) == 0);
  }
  [[nodiscard]] bool has_at(std::uint64_t offset, std::string_view magic) const {
    return offset <= size_ && magic.size() <= size_ - offset &&
           (magic.empty() || std::memcmp(data_ + offset, magic.data(), magic.size()) == 0);
  }
  [[nodiscard]] std::string_view as_chars() const {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  [[nodiscard]] std::span<const std::uint8_t> span() const { return {data_, size_}; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

template <class T>
  requires std::is_unsigned_v<T>
constexpr T load_endian(const std::uint8_t* p, Endian e) {
  T v = 0;
  if (e == Endian::little) {
    for (std::size_t i = sizeof(T); i-- > 0;) v = static_cast<T>((v << 8) | p[i]);
  } else {
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p[i]);
  }
  return v;
}

class Reader {
 public:
  explicit Reader(ByteView data, Endian endian = Endian::little) : data_(data), endian_(endian) {}

  [[nodiscard]] std::uint64_t pos() const { return pos_; }
  [[nodiscard]] std::uint64_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] Endian endian() const { return endian_; }
  void set_endian(Endian e) { endian_ = e; }

  [[nodiscard]] Status seek(std::uint64_t pos) {
    if (pos > data_.size()) return fail(Errc::truncated, "seek beyond end of data");
    pos_ = pos;
    return {};
  }
  [[nodiscard]] Status skip(std::uint64_t n) {
    if (n > remaining()) return fail(Errc::truncated, "skip beyond end of data");
    pos_ += n;
    return {};
  }

  template <class T>
    requires std::is_unsigned_v<T>
  [[nodiscard]] Result<T> read() {
    if (remaining() < sizeof(T)) return fail(Errc::truncated, "read beyond end of data");
    T v = load_endian<T>(data_.data() + pos_, endian_);
    pos_ += sizeof(T);
    return v;
  }
  [[nodiscard]] Result<std::uint8_t> u8() { return read<std::uint8_t>(); }
  [[nodiscard]] Result<std::uint16_t> u16() { return read<std::uint16_t>(); }
  [[nodiscard]] Result<std::uint32_t> u32() { return read<std::uint32_t>(); }
  [[nodiscard]] Result<std::uint64_t> u64() { return read<std::uint64_t>(); }

  [[nodiscard]] Result<ByteView> bytes(std::uint64_t n) {
    auto v = data_.sub(pos_, n);
    if (!v) return fail(Errc::truncated, "read beyond end of data");
    pos_ += n;
    return *v;
  }
  // A fixed-size, possibly NUL-padded string field.
  [[nodiscard]] Result<std::string> fixed_string(std::uint64_t n) {
    ASSIGN_OR_RETURN(ByteView v, bytes(n));
    std::string_view s = v.as_chars();
    if (auto z = s.find('\0'); z != std::string_view::npos) s = s.substr(0, z);
    return std::string(s);
  }

 private:
  ByteView data_;
  Endian endian_;
  std::uint64_t pos_ = 0;
};

// Immutable bytes with shared ownership: a heap buffer, a memory-mapped file, or a slice of
// another Blob (carved regions share their parent's bytes without copying).
class Blob {
 public:
  virtual ~Blob() = default;
  [[nodiscard]] virtual ByteView view() const = 0;
};
using BlobPtr = std::shared_ptr<const Blob>;

BlobPtr make_blob(std::vector<std::uint8_t> bytes);
BlobPtr make_blob(std::string_view bytes);
// Takes a buffer of which the first `size` bytes are valid; with make_unique_for_overwrite, large
// decoded contents are never zero-filled before the decoder writes them.
BlobPtr make_blob(std::unique_ptr<std::uint8_t[]> bytes, std::size_t size);
BlobPtr slice_blob(BlobPtr parent, std::uint64_t offset, std::uint64_t length);
// Maps a host file read-only. Empty files yield an empty blob. Symbolic links are followed only
// when asked (the path a user names); files found inside a scanned directory are never followed.
Result<BlobPtr> map_file(const std::string& path, bool follow_links = false);
// A file's bytes as text for the parsers that take a string (SBOMs, declarations): one read of
// its size, or to its end for a pipe or FIFO. False if it cannot be opened or read.
bool read_file(const std::string& path, std::string& out);
// Writes the pieces one after the other into a new or truncated file (writev, as many pieces per
// call as the system takes): a report of many parts is written without joining it first. False,
// with errno set, if the file cannot be created, written in full or closed (a full disk).
bool write_file_pieces(const std::string& path, const std::vector<std::string_view>& pieces);

}  // namespace iotaudit
