#include "formats/jffs2.hpp"

#include <array>

#include "formats/crc32.hpp"

namespace iotaudit::formats {
namespace {

std::uint16_t load16(ByteView v, std::uint64_t off, Endian e) {
  return load_endian<std::uint16_t>(v.data() + off, e);
}

}  // namespace

const char* jffs2_compr_name(std::uint8_t compr) {
  switch (static_cast<Jffs2Compr>(compr)) {
    case Jffs2Compr::none: return "none";
    case Jffs2Compr::zero: return "zero";
    case Jffs2Compr::rtime: return "rtime";
    case Jffs2Compr::rubinmips: return "rubinmips";
    case Jffs2Compr::copy: return "copy";
    case Jffs2Compr::dynrubin: return "dynrubin";
    case Jffs2Compr::zlib: return "zlib";
    case Jffs2Compr::lzo: return "lzo";
    case Jffs2Compr::lzma: return "lzma";
  }
  return "unknown";
}

std::uint32_t jffs2_crc32(ByteView data) {
  // crc32_update inverts before and after; seeding it with ~0 and inverting the result leaves
  // the bare table-driven CRC with seed 0 that JFFS2 uses.
  return ~crc32_update(0xFFFFFFFFu, data);
}

std::optional<Endian> jffs2_endian(ByteView data) {
  if (data.size() < 2) return std::nullopt;
  if (load16(data, 0, Endian::little) == kJffs2Magic) return Endian::little;
  if (load16(data, 0, Endian::big) == kJffs2Magic) return Endian::big;
  return std::nullopt;
}

Result<Jffs2Header> parse_jffs2_header(ByteView data, std::uint64_t offset, Endian endian) {
  ASSIGN_OR_RETURN(ByteView hdr, data.sub(offset, kJffs2HeaderSize));
  Reader r(hdr, endian);
  ASSIGN_OR_RETURN(std::uint16_t magic, r.u16());
  if (magic != kJffs2Magic) return fail(Errc::malformed, "no jffs2 node magic");
  ASSIGN_OR_RETURN(std::uint16_t type, r.u16());
  ASSIGN_OR_RETURN(std::uint32_t totlen, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t stored, r.u32());
  ASSIGN_OR_RETURN(ByteView first8, hdr.sub(0, 8));
  Jffs2Header h{offset, type, totlen, false};
  if (jffs2_crc32(first8) != stored) {
    // An obsoleted node: the accurate bit was cleared on flash after the CRC was written.
    if (type & jffs2_node::kAccurate) return fail(Errc::malformed, "jffs2 header CRC mismatch");
    std::array<std::uint8_t, 8> fixed{};
    for (std::size_t i = 0; i < 8; ++i) fixed[i] = first8.data()[i];
    std::uint16_t restored = type | jffs2_node::kAccurate;
    if (endian == Endian::little) {
      fixed[2] = static_cast<std::uint8_t>(restored & 0xFF);
      fixed[3] = static_cast<std::uint8_t>(restored >> 8);
    } else {
      fixed[2] = static_cast<std::uint8_t>(restored >> 8);
      fixed[3] = static_cast<std::uint8_t>(restored & 0xFF);
    }
    if (jffs2_crc32(ByteView(fixed.data(), fixed.size())) != stored)
      return fail(Errc::malformed, "jffs2 header CRC mismatch");
    h.obsolete = true;
  }
  if (totlen < kJffs2HeaderSize) return fail(Errc::malformed, "jffs2 node shorter than its header");
  if (totlen > data.size() - offset) return fail(Errc::truncated, "jffs2 node extends beyond the data");
  return h;
}

Result<Jffs2Dirent> parse_jffs2_dirent(ByteView node, Endian endian, std::uint64_t offset) {
  if (node.size() < kJffs2DirentSize) return fail(Errc::malformed, "jffs2 dirent node too short");
  Reader r(node, endian);
  TRY(r.seek(kJffs2HeaderSize));
  Jffs2Dirent d;
  d.offset = offset;
  ASSIGN_OR_RETURN(d.pino, r.u32());
  ASSIGN_OR_RETURN(d.version, r.u32());
  ASSIGN_OR_RETURN(d.ino, r.u32());
  ASSIGN_OR_RETURN(d.mctime, r.u32());
  ASSIGN_OR_RETURN(std::uint8_t nsize, r.u8());
  ASSIGN_OR_RETURN(d.type, r.u8());
  TRY(r.skip(2));
  ASSIGN_OR_RETURN(std::uint32_t node_crc, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t name_crc, r.u32());
  ASSIGN_OR_RETURN(ByteView fixed, node.sub(0, kJffs2DirentSize - 8));
  if (jffs2_crc32(fixed) != node_crc) return fail(Errc::malformed, "jffs2 dirent node CRC mismatch");
  auto name = node.sub(kJffs2DirentSize, nsize);
  if (!name) return fail(Errc::malformed, "jffs2 dirent name extends beyond the node");
  if (jffs2_crc32(*name) != name_crc) return fail(Errc::malformed, "jffs2 dirent name CRC mismatch");
  d.name.assign(name->as_chars());
  return d;
}

Result<Jffs2Inode> parse_jffs2_inode(ByteView node, Endian endian, std::uint64_t offset) {
  if (node.size() < kJffs2InodeSize) return fail(Errc::malformed, "jffs2 inode node too short");
  Reader r(node, endian);
  TRY(r.seek(kJffs2HeaderSize));
  Jffs2Inode n;
  n.offset = offset;
  ASSIGN_OR_RETURN(n.ino, r.u32());
  ASSIGN_OR_RETURN(n.version, r.u32());
  ASSIGN_OR_RETURN(n.mode, r.u32());
  ASSIGN_OR_RETURN(n.uid, r.u16());
  ASSIGN_OR_RETURN(n.gid, r.u16());
  ASSIGN_OR_RETURN(n.isize, r.u32());
  ASSIGN_OR_RETURN(n.atime, r.u32());
  ASSIGN_OR_RETURN(n.mtime, r.u32());
  ASSIGN_OR_RETURN(n.ctime, r.u32());
  ASSIGN_OR_RETURN(n.data_offset, r.u32());
  ASSIGN_OR_RETURN(n.csize, r.u32());
  ASSIGN_OR_RETURN(n.dsize, r.u32());
  ASSIGN_OR_RETURN(n.compr, r.u8());
  ASSIGN_OR_RETURN(n.usercompr, r.u8());
  ASSIGN_OR_RETURN(n.flags, r.u16());
  ASSIGN_OR_RETURN(std::uint32_t data_crc, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t node_crc, r.u32());
  ASSIGN_OR_RETURN(ByteView fixed, node.sub(0, kJffs2InodeSize - 8));
  if (jffs2_crc32(fixed) != node_crc) return fail(Errc::malformed, "jffs2 inode node CRC mismatch");
  // A hole node carries no data but states the size of the hole in dsize.
  std::uint32_t stored = n.compr == static_cast<std::uint8_t>(Jffs2Compr::zero) ? 0 : n.csize;
  auto data = node.sub(kJffs2InodeSize, stored);
  if (!data) return fail(Errc::malformed, "jffs2 inode data extends beyond the node");
  if (stored > 0 && jffs2_crc32(*data) != data_crc)
    return fail(Errc::malformed, "jffs2 inode data CRC mismatch");
  n.data = *data;
  return n;
}

Result<std::vector<std::uint8_t>> jffs2_rtime_decompress(ByteView in, std::uint32_t out_size) {
  std::vector<std::uint8_t> out(out_size);
  std::array<std::uint32_t, 256> positions{};
  std::uint64_t pos = 0, outpos = 0;
  const std::uint8_t* src = in.data();
  while (outpos < out_size) {
    if (pos + 2 > in.size()) return fail(Errc::truncated, "rtime data ends early");
    std::uint8_t value = src[pos];
    std::uint32_t repeat = src[pos + 1];
    pos += 2;
    out[outpos++] = value;
    std::uint64_t back = positions[value];
    positions[value] = static_cast<std::uint32_t>(outpos);
    if (repeat == 0) continue;
    if (outpos + repeat > out_size) return fail(Errc::malformed, "rtime run beyond the output size");
    // Byte by byte: source and destination may overlap (a run repeating itself).
    for (std::uint32_t i = 0; i < repeat; ++i) out[outpos++] = out[back++];
  }
  return out;
}

std::optional<Jffs2Header> Jffs2Scanner::next() {
  std::uint64_t garbage = 0;
  const std::uint64_t size = data_.size();
  while (!done_ && pos_ + 4 <= size) {
    std::uint32_t word = load_endian<std::uint32_t>(data_.data() + pos_, Endian::little);
    if (word == 0xFFFFFFFFu) {  // erased flash (end-of-block padding)
      pos_ += 4;
      garbage = 0;
      continue;
    }
    std::uint16_t magic = load16(data_, pos_, endian_);
    if (magic == kJffs2Magic) {
      auto h = parse_jffs2_header(data_, pos_, endian_);
      if (h) {
        std::uint64_t len = (static_cast<std::uint64_t>(h->totlen) + 3) & ~std::uint64_t{3};
        pos_ += len;
        if (pos_ > size) pos_ = size;
        end_ = pos_;
        return *h;
      }
      if (h.error().code == Errc::truncated && pos_ + kJffs2HeaderSize <= size) {
        // A valid header whose node runs past the end: the data was cut inside the filesystem,
        // which therefore extends to the end of what is there.
        truncated_tail_ = true;
        end_ = size;
        done_ = true;
        break;
      }
      ++bad_headers_;
    }
    pos_ += 4;
    skipped_ += 4;
    garbage += 4;
    if (garbage >= max_garbage_) {
      stopped_on_garbage_ = true;
      done_ = true;
    }
  }
  done_ = true;
  return std::nullopt;
}

}  // namespace iotaudit::formats
