#pragma once
// Builds tar, cpio and zip archives in memory with libarchive's write API, so tests can craft
// members (hostile paths, links out of the tree, devices) that no archiver would produce from a
// real directory.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace iotaudit::test {

struct Member {
  std::string path;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFBLK, AE_IFIFO
  unsigned mode = 0644;
  std::int64_t uid = 0, gid = 0;
  std::string content;      // regular files
  std::string symlink;      // AE_IFLNK target
  std::string hardlink;     // makes the member a hard link to this path
  unsigned rdev_major = 0, rdev_minor = 0;
};

inline Member file(std::string path, std::string content, unsigned mode = 0644) {
  Member m;
  m.path = std::move(path);
  m.content = std::move(content);
  m.mode = mode;
  return m;
}
inline Member dir(std::string path, unsigned mode = 0755) {
  Member m;
  m.path = std::move(path);
  m.type = AE_IFDIR;
  m.mode = mode;
  return m;
}
inline Member symlink(std::string path, std::string target) {
  Member m;
  m.path = std::move(path);
  m.type = AE_IFLNK;
  m.mode = 0777;
  m.symlink = std::move(target);
  return m;
}
inline Member hardlink(std::string path, std::string target) {
  Member m;
  m.path = std::move(path);
  m.hardlink = std::move(target);
  return m;
}
inline Member chardev(std::string path, unsigned major, unsigned minor) {
  Member m;
  m.path = std::move(path);
  m.type = AE_IFCHR;
  m.mode = 0600;
  m.rdev_major = major;
  m.rdev_minor = minor;
  return m;
}

enum class ArchiveFormat { ustar, gnutar, pax, cpio_newc, cpio_odc, zip };

inline std::vector<std::uint8_t> make_archive(ArchiveFormat fmt, const std::vector<Member>& members) {
  archive* a = archive_write_new();
  switch (fmt) {
    case ArchiveFormat::ustar: archive_write_set_format_ustar(a); break;
    case ArchiveFormat::gnutar: archive_write_set_format_gnutar(a); break;
    case ArchiveFormat::pax: archive_write_set_format_pax_restricted(a); break;
    case ArchiveFormat::cpio_newc: archive_write_set_format_cpio_newc(a); break;
    case ArchiveFormat::cpio_odc: archive_write_set_format_cpio_odc(a); break;
    case ArchiveFormat::zip: archive_write_set_format_zip(a); break;
  }
  archive_write_add_filter_none(a);
  archive_write_set_bytes_in_last_block(a, 1);
  std::vector<std::uint8_t> buf(64u << 20);
  std::size_t used = 0;
  if (archive_write_open_memory(a, buf.data(), buf.size(), &used) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(a));
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    archive_entry_set_filetype(e, m.type);
    archive_entry_set_perm(e, static_cast<mode_t>(m.mode));
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (!m.hardlink.empty()) {
      archive_entry_set_hardlink(e, m.hardlink.c_str());
      archive_entry_set_size(e, 0);
    } else if (m.type == AE_IFLNK) {
      archive_entry_set_symlink(e, m.symlink.c_str());
      archive_entry_set_size(e, 0);
    } else if (m.type == AE_IFREG) {
      archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
    } else {
      archive_entry_set_size(e, 0);
      archive_entry_set_rdevmajor(e, m.rdev_major);
      archive_entry_set_rdevminor(e, m.rdev_minor);
    }
    if (archive_write_header(a, e) < ARCHIVE_WARN) {
      std::string err = archive_error_string(a);
      archive_entry_free(e);
      archive_write_free(a);
      throw std::runtime_error("archive_write_header " + m.path + ": " + err);
    }
    if (m.type == AE_IFREG && m.hardlink.empty() && !m.content.empty())
      archive_write_data(a, m.content.data(), m.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  buf.resize(used);
  return buf;
}

}  // namespace iotaudit::test
