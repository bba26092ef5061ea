#include "formats/iso9660_susp.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace iotaudit::formats {
namespace {

constexpr std::uint64_t kSector = 2048;
constexpr std::uint64_t kMaxDirectories = 65536;
constexpr std::uint64_t kMaxRecords = 1u << 20;
constexpr unsigned kMaxChain = 64;  // continuation areas per record

std::uint32_t le32(const std::uint8_t* p) { return load_endian<std::uint32_t>(p, Endian::little); }

struct Walker {
  ByteView img;
  std::uint64_t block_size = 0;
  std::uint64_t skip = 0;  // SP's len_skp: bytes before the entries of every later System Use field
  SuspCheck out;

  // Follows the entries of one record's System Use field and every continuation area it names.
  void chain(std::uint64_t field_at, std::uint64_t field_len, std::uint64_t record_at) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> read;  // [begin, end) already read
    std::deque<std::pair<std::uint64_t, std::uint64_t>> todo{{field_at, field_len}};
    unsigned areas = 0;
    while (!todo.empty() && !out.loop) {
      auto [at, len] = todo.front();
      todo.pop_front();
      read.emplace_back(at, at + len);
      auto area = img.sub(at, len);  // every area queued lies inside the image; checked anyway
      if (!area) continue;
      for (std::uint64_t off = 0; off + 4 <= area->size();) {
        const std::uint64_t q = at + off;
        const std::uint8_t* e = area->data() + off;
        std::uint8_t elen = e[2];
        if (elen < 4 || elen > area->size() - off) break;
        if (e[0] == 'S' && e[1] == 'T') break;
        if (e[0] == 'C' && e[1] == 'E' && elen >= 28) {
          std::uint64_t target = std::uint64_t{le32(e + 4)} * block_size + le32(e + 12);
          std::uint64_t tlen = le32(e + 20);
          if (tlen != 0 && target < img.size() && tlen <= img.size() - target) {
            for (const auto& [b, end] : read)
              if (target < end && b < target + tlen) {
                out.loop = true;
                out.detail = fmt::format("the continuation entry at offset {:#x} (for the directory record at {:#x}) "
                                         "names {} bytes at {:#x}, which were already read for that record",
                                         q, record_at, tlen, target);
                return;
              }
            if (++areas > kMaxChain) {
              out.loop = true;
              out.detail = fmt::format("the directory record at {:#x} chains more than {} continuation areas",
                                       record_at, kMaxChain);
              return;
            }
            ++out.continuations;
            todo.emplace_back(target, tlen);
          }
        }
        off += elen;
      }
    }
  }

  void walk(std::uint64_t root_extent, std::uint64_t root_len) {
    std::deque<std::pair<std::uint64_t, std::uint64_t>> dirs{{root_extent, root_len}};
    std::set<std::uint64_t> seen{root_extent};
    bool first_record = true;
    while (!dirs.empty() && !out.loop) {
      auto [extent, len] = dirs.front();
      dirs.pop_front();
      std::uint64_t begin = extent * block_size;
      if (begin >= img.size()) continue;
      std::uint64_t end = begin + std::min<std::uint64_t>(len, img.size() - begin);
      for (std::uint64_t p = begin; p < end && !out.loop;) {
        std::uint8_t rlen = img.data()[p];
        if (rlen == 0) {  // records do not cross sectors: the rest of this one is padding
          p = (p / kSector + 1) * kSector;
          continue;
        }
        if (rlen < 34 || p + rlen > end) break;  // end <= image size: the record lies inside the image
        if (++out.records > kMaxRecords) {
          out.complete = false;
          return;
        }
        const std::uint8_t* r = img.data() + p;
        std::uint8_t name_len = r[32];
        std::uint64_t su = 33u + name_len + (name_len % 2 == 0 ? 1u : 0u);
        if (su < rlen) {
          std::uint64_t field_at = p + su, field_len = rlen - su;
          if (first_record) {
            // The root's "." record may start with SP, which states the bytes to skip later on.
            const std::uint8_t* e = img.data() + field_at;
            if (field_len >= 7 && e[0] == 'S' && e[1] == 'P' && e[2] == 7 && e[4] == 0xBE && e[5] == 0xEF) skip = e[6];
          } else if (skip < field_len) {
            field_at += skip;
            field_len -= skip;
          } else {
            field_len = 0;
          }
          if (field_len >= 4) chain(field_at, field_len, p);
        }
        first_record = false;
        bool dir = (r[25] & 2) != 0;
        bool self_or_parent = name_len == 1 && (r[33] == 0 || r[33] == 1);
        if (dir && !self_or_parent) {
          std::uint64_t sub = le32(r + 2);
          if (seen.size() >= kMaxDirectories) {
            out.complete = false;
          } else if (seen.insert(sub).second) {
            dirs.emplace_back(sub, le32(r + 10));
          }
        }
        p += rlen;
      }
    }
  }
};

}  // namespace

Result<SuspCheck> check_susp_continuations(ByteView image) {
  for (unsigned i = 0; i < 32; ++i) {
    std::uint64_t at = 0x8000 + i * kSector;
    if (!image.has_at(at + 1, "CD001")) break;
    ASSIGN_OR_RETURN(ByteView vd, image.sub(at, kSector));
    const std::uint8_t* v = vd.data();
    if (v[0] == 255) break;
    if (v[0] != 1) continue;
    std::uint64_t block_size = load_endian<std::uint16_t>(v + 128, Endian::little);
    if (block_size != 512 && block_size != 1024 && block_size != 2048)
      return fail(Errc::malformed, "ISO 9660 logical block size invalid");
    if (v[156] != 34) return fail(Errc::malformed, "ISO 9660 root directory record malformed");
    Walker w{image, block_size, 0, {}};
    w.walk(le32(v + 156 + 2), le32(v + 156 + 10));
    return w.out;
  }
  return fail(Errc::malformed, "no ISO 9660 primary volume descriptor");
}

}  // namespace iotaudit::formats
