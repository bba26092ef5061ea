#include "formats/cramfs.hpp"

#include <array>

#include "formats/crc32.hpp"

namespace iotaudit::formats {
namespace {

constexpr std::string_view kSignature = "Compressed ROMFS";

}  // namespace

Result<CramfsInode> parse_cramfs_inode(ByteView data, std::uint64_t offset, Endian endian) {
  ASSIGN_OR_RETURN(ByteView raw, data.sub(offset, kCramfsInodeSize));
  Reader r(raw, endian);
  ASSIGN_OR_RETURN(std::uint32_t w0, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t w1, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t w2, r.u32());
  CramfsInode in;
  if (endian == Endian::little) {
    in.mode = w0 & 0xFFFF;
    in.uid = w0 >> 16;
    in.size = w1 & 0xFFFFFF;
    in.gid = w1 >> 24;
    in.namelen = (w2 & 0x3F) * 4;
    in.offset = static_cast<std::uint64_t>(w2 >> 6) * 4;
  } else {
    in.mode = w0 >> 16;
    in.uid = w0 & 0xFFFF;
    in.size = w1 >> 8;
    in.gid = w1 & 0xFF;
    in.namelen = (w2 >> 26) * 4;
    in.offset = static_cast<std::uint64_t>(w2 & 0x3FFFFFF) * 4;
  }
  return in;
}

Result<CramfsSuper> parse_cramfs_super(ByteView data) {
  CramfsSuper s;
  if (data.size() < 4) return fail(Errc::malformed, "no cramfs magic");
  if (load_endian<std::uint32_t>(data.data(), Endian::little) == kCramfsMagic) s.endian = Endian::little;
  else if (load_endian<std::uint32_t>(data.data(), Endian::big) == kCramfsMagic) s.endian = Endian::big;
  else return fail(Errc::malformed, "no cramfs magic");
  if (data.size() < kCramfsSuperSize) return fail(Errc::truncated, "cramfs superblock truncated");
  Reader r(data, s.endian);
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(s.size, r.u32());
  ASSIGN_OR_RETURN(s.flags, r.u32());
  ASSIGN_OR_RETURN(s.future, r.u32());
  ASSIGN_OR_RETURN(ByteView sig, r.bytes(16));
  if (sig.as_chars() != kSignature) return fail(Errc::malformed, "cramfs signature missing");
  ASSIGN_OR_RETURN(s.crc, r.u32());
  ASSIGN_OR_RETURN(s.edition, r.u32());
  ASSIGN_OR_RETURN(s.blocks, r.u32());
  ASSIGN_OR_RETURN(s.files, r.u32());
  ASSIGN_OR_RETURN(s.name, r.fixed_string(16));
  ASSIGN_OR_RETURN(s.root, parse_cramfs_inode(data, 64, s.endian));
  if ((s.root.mode & 0170000) != 0040000) return fail(Errc::malformed, "cramfs root is not a directory");
  if (s.v2() && s.size < kCramfsSuperSize) return fail(Errc::malformed, "cramfs size smaller than its superblock");
  // An empty root has offset 0; otherwise its entries follow the superblock.
  if (s.root.offset != 0 && s.root.offset < kCramfsSuperSize)
    return fail(Errc::malformed, "cramfs root directory overlaps the superblock");
  if (s.v2() && s.root.offset + s.root.size > s.size)
    return fail(Errc::malformed, "cramfs root directory beyond the filesystem size");
  return s;
}

std::uint32_t cramfs_crc(ByteView image) {
  static constexpr std::array<std::uint8_t, 4> kZero{};
  std::uint32_t c = crc32_update(0, image.head(kCramfsCrcOffset));
  if (image.size() <= kCramfsCrcOffset) return c;
  ByteView field = image.tail(kCramfsCrcOffset).head(4);
  c = crc32_update(c, ByteView(kZero.data(), field.size()));
  return crc32_update(c, image.tail(kCramfsCrcOffset + 4));
}

Status parse_cramfs_dir(ByteView image, const CramfsInode& dir, Endian endian,
                        std::vector<CramfsDirEntry>& out) {
  if (dir.size == 0) return {};
  auto region = image.sub(dir.offset, dir.size);
  if (!region) return fail(Errc::truncated, "cramfs directory beyond the end of the data");
  std::uint64_t pos = 0;
  while (pos < dir.size) {
    auto in = parse_cramfs_inode(*region, pos, endian);
    if (!in) return fail(Errc::malformed, "cramfs directory entry cut short");
    auto name = region->sub(pos + kCramfsInodeSize, in->namelen);
    if (!name) return fail(Errc::malformed, "cramfs entry name beyond the directory");
    std::string_view n = name->as_chars();
    while (!n.empty() && n.back() == '\0') n.remove_suffix(1);
    if (n.empty()) return fail(Errc::malformed, "cramfs entry with an empty name");
    out.push_back({*in, std::string(n), dir.offset + pos});
    pos += kCramfsInodeSize + in->namelen;
  }
  return {};
}

Result<CramfsBlock> cramfs_block(ByteView image, const CramfsInode& inode, std::uint32_t index,
                                 std::uint32_t blocks, std::uint32_t block_size, Endian endian) {
  if (index >= blocks) return fail(Errc::invalid_argument, "block index beyond the file");
  auto read32 = [&](std::uint64_t off) -> Result<std::uint32_t> {
    ASSIGN_OR_RETURN(ByteView v, image.sub(off, 4));
    return load_endian<std::uint32_t>(v.data(), endian);
  };
  auto read16 = [&](std::uint64_t off) -> Result<std::uint16_t> {
    ASSIGN_OR_RETURN(ByteView v, image.sub(off, 2));
    return load_endian<std::uint16_t>(v.data(), endian);
  };
  std::uint64_t ptr_off = inode.offset + std::uint64_t{index} * 4;
  ASSIGN_OR_RETURN(std::uint32_t ptr, read32(ptr_off));
  CramfsBlock b;
  b.uncompressed = ptr & kCramfsBlkUncompressed;
  bool direct = ptr & kCramfsBlkDirect;
  std::uint64_t value = ptr & ~kCramfsBlkFlags;
  if (direct) {
    // Absolute start >> 2; a compressed block begins with its 16-bit length.
    b.start = value << 2;
    if (b.uncompressed) {
      b.length = block_size;
      if (index == blocks - 1 && inode.size % block_size != 0) b.length = inode.size % block_size;
    } else {
      ASSIGN_OR_RETURN(std::uint16_t len, read16(b.start));
      b.length = len;
      b.start += 2;
    }
  } else {
    // The pointer is one past the end of the block; it starts where the previous one ended,
    // or after the pointer table for the first block.
    std::uint64_t start = inode.offset + std::uint64_t{blocks} * 4;
    if (index > 0) {
      ASSIGN_OR_RETURN(std::uint32_t prev, read32(ptr_off - 4));
      start = prev & ~kCramfsBlkFlags;
      if (prev & kCramfsBlkDirect) {
        start <<= 2;
        if (prev & kCramfsBlkUncompressed) {
          start += block_size;
        } else {
          ASSIGN_OR_RETURN(std::uint16_t len, read16(start));
          start += 2 + std::uint64_t{len};
        }
      }
    }
    if (value < start) return fail(Errc::malformed, "cramfs block pointer before the block start");
    b.start = start;
    b.length = value - start;
  }
  if (b.length > 2ull * block_size || (b.uncompressed && b.length > block_size))
    return fail(Errc::malformed, "cramfs data block larger than allowed");
  if (b.length > 0 && !image.sub(b.start, b.length))
    return fail(Errc::truncated, "cramfs data block beyond the end of the data");
  return b;
}

}  // namespace iotaudit::formats
