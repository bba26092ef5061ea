#include "formats/ext_super.hpp"

#include <bit>

namespace iotaudit::formats {

std::uint64_t ExtSuper::groups() const {
  if (blocks_per_group == 0 || blocks_count <= first_data_block) return 0;
  return (blocks_count - first_data_block + blocks_per_group - 1) / blocks_per_group;
}

std::string ExtSuper::flavour() const {
  // blkid's rule: any feature ext3 lacks makes it ext4; a journal alone makes it ext3.
  constexpr std::uint32_t kExt4Incompat = kExtIncompatExtents | kExtIncompat64bit | kExtIncompatFlexBg |
                                          kExtIncompatInlineData | kExtIncompatMetaBg | kExtIncompatEncrypt;
  constexpr std::uint32_t kExt4RoCompat = kExtRoCompatHugeFile | kExtRoCompatGdtCsum |
                                          kExtRoCompatMetadataCsum | kExtRoCompatBigalloc;
  if ((feature_incompat & kExt4Incompat) != 0 || (feature_ro_compat & kExt4RoCompat) != 0) return "ext4";
  if (has_journal()) return "ext3";
  return "ext2";
}

Result<ExtSuper> parse_ext_super(ByteView data, bool allow_truncated) {
  ASSIGN_OR_RETURN(ByteView sb, data.sub(kExtSuperOffset, 1024));
  Reader r(sb, Endian::little);
  ExtSuper s;
  TRY(r.seek(56));
  ASSIGN_OR_RETURN(std::uint16_t magic, r.u16());
  if (magic != kExtMagic) return fail(Errc::malformed, "no ext2/3/4 magic");
  ASSIGN_OR_RETURN(s.state, r.u16());
  ASSIGN_OR_RETURN(s.errors, r.u16());

  TRY(r.seek(0));
  ASSIGN_OR_RETURN(s.inodes_count, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t blocks_lo, r.u32());
  TRY(r.seek(20));
  ASSIGN_OR_RETURN(s.first_data_block, r.u32());
  ASSIGN_OR_RETURN(s.log_block_size, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t log_cluster_size, r.u32());
  ASSIGN_OR_RETURN(s.blocks_per_group, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t clusters_per_group, r.u32());
  ASSIGN_OR_RETURN(s.inodes_per_group, r.u32());
  TRY(r.seek(76));
  ASSIGN_OR_RETURN(s.rev_level, r.u32());
  TRY(r.seek(88));
  ASSIGN_OR_RETURN(std::uint16_t inode_size, r.u16());
  TRY(r.seek(92));
  ASSIGN_OR_RETURN(s.feature_compat, r.u32());
  ASSIGN_OR_RETURN(s.feature_incompat, r.u32());
  ASSIGN_OR_RETURN(s.feature_ro_compat, r.u32());
  TRY(r.seek(120));
  ASSIGN_OR_RETURN(s.volume_name, r.fixed_string(16));
  TRY(r.seek(254));
  ASSIGN_OR_RETURN(std::uint16_t desc_size, r.u16());
  TRY(r.seek(336));
  ASSIGN_OR_RETURN(std::uint32_t blocks_hi, r.u32());

  if (s.state > 7 || s.errors > 3) return fail(Errc::malformed, "ext state or error policy out of range");
  if (s.rev_level > 1) return fail(Errc::malformed, "ext revision level unknown");
  if (s.rev_level == 0) {
    // Revision 0 predates every feature field: whatever is there is not a feature set.
    s.feature_compat = s.feature_incompat = s.feature_ro_compat = 0;
    s.inode_size = 128;
  } else {
    s.inode_size = inode_size;
  }
  if (s.log_block_size > 6) return fail(Errc::malformed, "ext block size above 64 KiB");
  const std::uint32_t bs = s.block_size();
  const bool bigalloc = (s.feature_ro_compat & kExtRoCompatBigalloc) != 0;
  if (bigalloc) {
    if (log_cluster_size < s.log_block_size || log_cluster_size > s.log_block_size + 16 ||
        clusters_per_group == 0 || clusters_per_group > 8u * bs)
      return fail(Errc::malformed, "ext bigalloc cluster geometry invalid");
  } else if (s.rev_level == 1 && log_cluster_size != s.log_block_size) {
    return fail(Errc::malformed, "ext cluster size differs from block size without bigalloc");
  }
  if (s.blocks_per_group < 8 || (!bigalloc && s.blocks_per_group > 8u * bs))
    return fail(Errc::malformed, "ext blocks per group out of range");
  if (s.inodes_per_group == 0 || s.inodes_per_group > 8u * bs)
    return fail(Errc::malformed, "ext inodes per group out of range");
  if (!std::has_single_bit(static_cast<unsigned>(s.inode_size)) || s.inode_size < 128 || s.inode_size > bs)
    return fail(Errc::malformed, "ext inode size invalid");
  // Block 0 holds the boot sector and the superblock with 1 KiB blocks, so data starts at block 1.
  if (s.first_data_block > 1 || (bs > 1024 && s.first_data_block != 0))
    return fail(Errc::malformed, "ext first data block implausible");

  const bool is64 = (s.feature_incompat & kExtIncompat64bit) != 0;
  s.blocks_count = blocks_lo | (is64 ? static_cast<std::uint64_t>(blocks_hi) << 32 : 0);
  if (is64) {
    if (desc_size < 64 || desc_size > 1024 || !std::has_single_bit(static_cast<unsigned>(desc_size)))
      return fail(Errc::malformed, "ext 64-bit descriptor size invalid");
    s.desc_size = desc_size;
  } else {
    s.desc_size = 32;
  }
  if (s.blocks_count <= s.first_data_block) return fail(Errc::malformed, "ext block count too small");
  if (s.blocks_count > (std::uint64_t{1} << 48)) return fail(Errc::malformed, "ext block count implausible");
  const std::uint64_t groups = s.groups();
  // Every group has the same number of inodes; libext2fs refuses anything else.
  if (groups * s.inodes_per_group != s.inodes_count)
    return fail(Errc::malformed, "ext inode count does not match groups * inodes per group");
  // The descriptor table must fit in what is there: this also bounds what libext2fs allocates
  // for it before reading a single descriptor.
  if (groups * s.desc_size > data.size()) return fail(Errc::truncated, "ext group descriptors beyond the data");
  if (s.bytes() > data.size() && !allow_truncated)
    return fail(Errc::truncated, "ext filesystem extends beyond the data");
  return s;
}

}  // namespace iotaudit::formats
