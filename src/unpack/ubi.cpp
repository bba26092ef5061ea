// UBI images (ubinize output or raw NAND dumps of a UBI partition). Every PEB carries an
// erase-counter header and, when mapped, a volume-identifier header naming the volume and LEB it
// holds; the volume table lives in the internal layout volume. Each user volume becomes a region
// child "ubi-volume:<name>" whose content is its LEBs in LEB order (unmapped LEBs read as erased
// flash, 0xFF), so that UBIFS or squashfs inside it is found like any other container.
#include <map>
#include <set>

#include <fmt/format.h>

#include "formats/ubi.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

using formats::UbiGeometry;
using formats::UbiVidHeader;

struct Mapped {
  std::uint64_t peb = 0;
  UbiVidHeader vid;
};

struct VolumeInfo {
  std::uint32_t id = 0;
  std::string name;
  std::uint8_t type = 1;  // 1 dynamic, 2 static
  std::uint32_t reserved_pebs = 0;
  std::uint32_t data_pad = 0;
  bool in_table = false;
  std::string label;  // the region name's volume part
};

// A region name is one path component when extracted: keep volume names readable but harmless.
std::string safe_label(std::string_view name) {
  std::string s;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    s += (u < 0x20 || u == 0x7F || c == '/' || c == '\\') ? '_' : c;
  }
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

class UbiUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "ubi",
        .description = "UBI image (erase-counter and volume-identifier headers, volume table); "
                       "each volume becomes a region",
        .magics = {{0, "UBI#"}},
        .references = {"Linux drivers/mtd/ubi/ubi-media.h",
                       "http://www.linux-mtd.infradead.org/doc/ubi.html"},
        .limitations = {"fastmap is ignored (the PEBs themselves are scanned)",
                        "the PEB size is taken from the spacing of the first EC headers",
                        "a LEB present in two PEBs with equal sequence numbers keeps the first copy"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(UbiGeometry g, formats::detect_ubi_geometry(data));
    Probe p;
    p.length = g.length();
    p.detail = fmt::format("PEB {} bytes, LEB {} bytes, {} PEBs, image sequence {:#x}", g.peb_size,
                           g.peb_size - g.data_offset, g.peb_count, g.image_seq);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(UbiGeometry g, formats::detect_ubi_geometry(all));
    const std::uint64_t leb_size = g.peb_size - g.data_offset;
    if (g.peb_size_guessed)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubi.geometry",
                                           fmt::format("only one erase-counter header; the PEB size is assumed to be "
                                                       "the {} bytes present", g.peb_size)});
    if (g.length() > all.size())
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "ubi.truncated",
                                           fmt::format("{} PEBs of {} bytes need {} bytes but only {} are present; "
                                                       "the last PEB is partial", g.peb_count, g.peb_size,
                                                       g.length(), all.size())});

    // Map every PEB: (volume, LEB) -> the copy with the highest sequence number.
    std::map<std::uint32_t, std::map<std::uint32_t, Mapped>> vols;
    std::uint64_t bad_ec = 0, bad_vid = 0, unmapped = 0, dup = 0;
    for (std::uint64_t i = 0; i < g.peb_count; ++i) {
      if ((i & 1023) == 0 && ctx.budget.expired()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; UBI scan incomplete"});
        break;
      }
      ByteView peb = all.tail(i * g.peb_size).head(g.peb_size);
      if (!formats::parse_ubi_ec_header(peb)) ++bad_ec;
      ByteView vh = peb.tail(g.vid_hdr_offset);
      auto vid = formats::parse_ubi_vid_header(vh);
      if (!vid) {
        if (vh.starts_with(std::string_view("UBI!", 4))) ++bad_vid;
        else ++unmapped;
        continue;
      }
      auto& slot = vols[vid->vol_id];
      auto it = slot.find(vid->lnum);
      if (it == slot.end()) {
        slot[vid->lnum] = Mapped{i, *vid};
      } else {
        ++dup;
        if (vid->sqnum > it->second.vid.sqnum) it->second = Mapped{i, *vid};
      }
    }
    if (bad_ec > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::low, "ubi.ec_crc",
                                           fmt::format("{} of {} erase-counter headers damaged or missing",
                                                       bad_ec, g.peb_count)});
    if (bad_vid > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubi.vid_crc",
                                           fmt::format("{} volume-identifier headers damaged; their PEBs are ignored",
                                                       bad_vid)});
    if (dup > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::info, "ubi.duplicate_leb",
                                           fmt::format("{} LEBs present in more than one PEB; the highest sequence "
                                                       "number was used", dup)});

    auto leb_data = [&](const Mapped& m) { return all.tail(m.peb * g.peb_size + g.data_offset).head(leb_size); };

    // The volume table: two copies (LEB 0 and 1 of the layout volume); the first intact one wins.
    std::map<std::uint32_t, VolumeInfo> infos;
    bool table_ok = false;
    if (auto lv = vols.find(formats::kUbiLayoutVolumeId); lv != vols.end()) {
      for (std::uint32_t copy = 0; copy < 2 && !table_ok; ++copy) {
        auto it = lv->second.find(copy);
        if (it == lv->second.end()) continue;
        auto vt = formats::parse_ubi_vtbl(leb_data(it->second));
        if (!vt || vt->bad_records > 0) {
          ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubi.vtbl",
                                               vt ? fmt::format("volume table copy {}: {} damaged records", copy, vt->bad_records)
                                                  : fmt::format("volume table copy {}: {}", copy, vt.error().message)});
          if (!vt) continue;
        }
        infos.clear();
        for (const auto& rec : vt->volumes)
          infos[rec.index] = VolumeInfo{rec.index, rec.name, rec.vol_type, rec.reserved_pebs, rec.data_pad, true, {}};
        table_ok = vt->bad_records == 0;
        if (!infos.empty() && !table_ok && copy == 1) table_ok = true;  // best effort from copy 1
      }
    } else {
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubi.vtbl",
                                           "no layout volume; volumes are named after their ids"});
    }
    // Volumes with mapped LEBs but no (intact) table record still hold data.
    std::uint64_t bad_ids = 0;
    for (const auto& [id, lebs] : vols) {
      if (id >= formats::kUbiInternalVolStart || infos.contains(id) || lebs.empty()) continue;
      if (id >= formats::kUbiMaxVolumes) {
        bad_ids += lebs.size();
        continue;
      }
      VolumeInfo v;
      v.id = id;
      v.name = fmt::format("vol{}", id);
      v.type = lebs.begin()->second.vid.vol_type;
      v.data_pad = lebs.begin()->second.vid.data_pad;
      infos[id] = v;
      ctx.tree.add_diagnostic(ctx.region, {Severity::low, "ubi.volume",
                                           fmt::format("volume {} has {} LEBs but no volume table record", id, lebs.size())});
    }

    if (bad_ids > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, "ubi.volume",
                                           fmt::format("{} PEBs name volume ids beyond the {} UBI allows; ignored",
                                                       bad_ids, formats::kUbiMaxVolumes)});
    // Region names must be unique among siblings; volume names in a damaged table may repeat.
    std::set<std::string> labels;
    for (auto& [id, info] : infos) {
      std::string label = safe_label(info.name);
      if (!labels.insert(label).second) {
        label = fmt::format("{}#{}", label, id);
        labels.insert(label);
      }
      info.label = label;
    }
    std::uint64_t produced = 0;
    for (const auto& [id, info] : infos) {
      if (ctx.budget.expired()) break;
      emit_volume(ctx, all, g, leb_size, info, vols[id], produced);
    }
    return g.length();
  }

 private:
  void emit_volume(Context& ctx, ByteView all, const UbiGeometry& g, std::uint64_t leb_size,
                   const VolumeInfo& info, const std::map<std::uint32_t, Mapped>& lebs,
                   std::uint64_t& produced) const {
    std::string label = fmt::format("ubi-volume:{}", info.label);
    std::vector<Diagnostic> diags;
    std::uint64_t usable = info.data_pad < leb_size ? leb_size - info.data_pad : 0;
    if (usable == 0) {
      diags.push_back({Severity::medium, "ubi.volume", fmt::format("data padding {} leaves no room in a LEB", info.data_pad)});
      usable = leb_size;
    }
    // LEB numbers beyond what the volume reserved cannot be valid; a hostile or damaged header.
    std::uint32_t limit_lebs = info.in_table ? info.reserved_pebs : 0x7FFFFFFFu;
    std::uint64_t max_lnum_plus = 0;
    std::uint64_t bad_lnum = 0;
    for (const auto& [lnum, m] : lebs) {
      if (lnum >= limit_lebs) {
        ++bad_lnum;
        continue;
      }
      max_lnum_plus = std::max<std::uint64_t>(max_lnum_plus, std::uint64_t{lnum} + 1);
    }
    if (bad_lnum > 0)
      diags.push_back({Severity::medium, "ubi.lnum",
                       fmt::format("{} LEB numbers beyond the {} reserved; ignored", bad_lnum, limit_lebs)});

    std::vector<std::uint8_t> out;
    bool is_static = info.type == 2;
    std::uint64_t crc_bad = 0, missing = 0, cut = 0;
    std::uint64_t total_cap = ctx.budget.limits().max_node_bytes;
    if (is_static) {
      // Static volumes record their exact size: data_size per LEB, used_ebs LEBs in all.
      std::uint64_t used_ebs = lebs.empty() ? 0 : lebs.begin()->second.vid.used_ebs;
      if (used_ebs > max_lnum_plus && used_ebs > g.peb_count) used_ebs = max_lnum_plus;
      for (std::uint64_t l = 0; l < used_ebs; ++l) {
        auto it = lebs.find(static_cast<std::uint32_t>(l));
        if (it == lebs.end()) {
          ++missing;
          if (l + 1 < used_ebs) out.resize(std::min<std::uint64_t>(out.size() + usable, total_cap), 0xFF);
          continue;
        }
        const UbiVidHeader& v = it->second.vid;
        ByteView d = all.tail(it->second.peb * g.peb_size + g.data_offset).head(std::min<std::uint64_t>(v.data_size, usable));
        if (d.size() < v.data_size) ++cut;
        else if (formats::ubi_crc32(d) != v.data_crc) ++crc_bad;
        if (out.size() + d.size() > total_cap) break;
        out.insert(out.end(), d.span().begin(), d.span().end());
      }
    } else {
      std::uint64_t count = max_lnum_plus;
      // The reserved size is materialised (trailing LEBs never written read as erased) unless
      // it is out of proportion to the image: a reservation for a larger flash, or a hostile one.
      if (info.in_table && info.reserved_pebs > count) {
        std::uint64_t want = std::uint64_t{info.reserved_pebs} * usable;
        if (want <= std::max<std::uint64_t>(all.size(), ctx.budget.limits().ratio_floor_bytes))
          count = info.reserved_pebs;
        else
          diags.push_back({Severity::info, "ubi.reserved",
                           fmt::format("{} LEBs reserved; only the {} up to the last mapped one are kept",
                                       info.reserved_pebs, count)});
      }
      std::uint64_t bytes = count * usable;
      if (bytes > total_cap) {
        diags.push_back({Severity::high, "limit.node_bytes",
                         fmt::format("volume of {} bytes cut to the per-node limit", bytes)});
        count = total_cap / usable;
        bytes = count * usable;
      }
      out.assign(bytes, 0xFF);
      for (const auto& [lnum, m] : lebs) {
        if (lnum >= count) continue;
        ByteView d = all.tail(m.peb * g.peb_size + g.data_offset).head(usable);
        if (d.size() < usable) ++cut;
        if (m.vid.copy_flag && m.vid.data_size > 0 && m.vid.data_size <= d.size() &&
            formats::ubi_crc32(d.head(m.vid.data_size)) != m.vid.data_crc)
          ++crc_bad;
        std::copy(d.span().begin(), d.span().end(), out.begin() + static_cast<std::ptrdiff_t>(std::uint64_t{lnum} * usable));
      }
      missing = count - std::min<std::uint64_t>(count, lebs.size() - bad_lnum);
    }
    if (crc_bad > 0)
      diags.push_back({Severity::medium, "ubi.data_crc", fmt::format("{} LEBs fail their data CRC", crc_bad)});
    if (cut > 0)
      diags.push_back({Severity::high, "ubi.truncated", fmt::format("{} LEBs cut short by the end of the image", cut)});
    if (is_static && missing > 0)
      diags.push_back({Severity::medium, "ubi.missing_leb",
                       fmt::format("{} LEBs of the static volume are missing (filled with 0xFF)", missing)});

    const Limits& lim = ctx.budget.limits();
    produced += out.size();
    if (produced > lim.ratio_floor_bytes && produced / std::max<std::uint64_t>(all.size(), 1) > lim.max_expansion_ratio) {
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.ratio",
                                           fmt::format("volume '{}' would exceed the expansion ratio; not extracted", info.name)});
      return;
    }
    if (!ctx.budget.take_bytes(out.size())) {
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.total_bytes",
                                           fmt::format("total output limit reached; volume '{}' not extracted", info.name)});
      return;
    }
    if (!ctx.budget.take_node()) {
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.nodes", "node limit reached; volume not extracted"});
      return;
    }
    Node r;
    r.parent = ctx.region;
    r.name = label;
    r.type = NodeType::region;
    r.format = "ubi-volume";
    std::uint64_t first_peb = lebs.empty() ? 0 : lebs.begin()->second.peb;
    r.origin = {ctx.region, first_peb * g.peb_size + g.data_offset, 0, "ubi"};
    r.size = out.size();
    r.content = make_blob(std::move(out));
    r.diagnostics = std::move(diags);
    r.diagnostics.push_back({Severity::info, "ubi.volume_info",
                             fmt::format("volume {} '{}', {}, {} LEBs reserved, {} mapped, {}-byte LEBs",
                                         info.id, info.name, is_static ? "static" : "dynamic",
                                         info.reserved_pebs, lebs.size(), usable)});
    ctx.tree.add(std::move(r));
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_ubi_unpacker() { return std::make_unique<UbiUnpacker>(); }

}  // namespace iotaudit::unpack
