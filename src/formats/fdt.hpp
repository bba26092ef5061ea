#pragma once
// Flattened device tree (DTB) and FIT images, which are device trees whose /images/* nodes carry
// the kernel, ramdisk and DTBs as "data" properties (or point at data stored after the tree).
// Reference: Devicetree Specification v0.4 chapter 5 (flattened format); U-Boot doc/usage/fit/
// source_file_format.rst (data, data-offset, data-position, data-size, compression).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kFdtMagic = 0xd00dfeed;

struct FdtHeader {
  std::uint32_t totalsize = 0, off_dt_struct = 0, off_dt_strings = 0, off_mem_rsvmap = 0;
  std::uint32_t version = 0, last_comp_version = 0, boot_cpuid_phys = 0;
  std::uint32_t size_dt_strings = 0, size_dt_struct = 0;
};

struct FdtProp {
  std::string name;
  std::uint64_t offset = 0;  // of the value, from the start of the tree
  std::uint64_t length = 0;
};

struct FdtNode {
  std::string path;  // "/", "/images/kernel-1"
  std::string name;  // last component ("kernel-1"); "" for the root
  unsigned depth = 0;
  std::vector<FdtProp> props;
  const FdtProp* prop(std::string_view n) const;
};

struct FdtTree {
  FdtHeader header;
  std::vector<FdtNode> nodes;  // in structure-block order; nodes[0] is the root
  std::size_t props = 0;
  bool truncated = false;      // the structure block runs past the available bytes
  std::string error;           // why the walk stopped early (empty when it reached FDT_END)
};

struct FdtLimits {
  unsigned max_depth = 64;
  std::size_t max_nodes = 100'000;
  std::size_t max_props = 1'000'000;
};

// Validates the header at the start of `data` (magic, version 16/17, every block inside
// totalsize). Does not require totalsize bytes to be present.
Result<FdtHeader> parse_fdt_header(ByteView data);

// Walks the structure block. Stops at the first inconsistency (bad token, string offset outside
// the strings block, name not NUL-terminated, depth or count limit) and keeps what was read, with
// `error` set. Fails only when the header itself is invalid or the root node is unreadable.
Result<FdtTree> parse_fdt(ByteView data, const FdtLimits& limits = {});

// Property value helpers: a NUL-terminated string value; a big-endian u32 (or u64 for 8 bytes).
std::optional<std::string> fdt_string(ByteView data, const FdtProp& p);
std::optional<std::uint64_t> fdt_number(ByteView data, const FdtProp& p);

}  // namespace iotaudit::formats
