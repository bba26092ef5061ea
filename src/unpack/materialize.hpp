#pragma once
// Writes an unpacked tree to a host directory without ever writing outside it:
//  * every directory and file is created with openat()/mkdirat() relative to descriptors of
//    directories this code created itself, with O_NOFOLLOW and O_EXCL, so no link can redirect it;
//  * names are single components (never "", ".", ".." or containing '/');
//  * symlinks are written with a target rewritten to a relative path that resolves, inside the
//    filesystem they belong to, to the same place the device would reach (chroot semantics);
//    the rewritten path climbs no higher than that filesystem's root and passes through no link;
//  * device nodes, FIFOs and sockets are never created, only listed;
//  * setuid/setgid/sticky bits are not applied; the full mode is listed.
// The listing (extract.json) records every node with its logical path, type, size, mode, owner,
// container, offset, unpacker and where it was written.
#include <string>

#include "core/result.hpp"
#include "model/scan_result.hpp"

namespace iotaudit::unpack {

struct MaterializeStats {
  std::uint64_t files = 0, dirs = 0, symlinks = 0, skipped = 0, bytes = 0;
  // Entries that could not be written in full (disk full, file size limit, ...): each is named in
  // extract.json's "errors", and the caller must not report success.
  std::uint64_t errors = 0;
};

Result<MaterializeStats> materialize(const Tree& tree, const InputInfo& input, const std::string& out_dir);

}  // namespace iotaudit::unpack
