// Flattened device trees and FIT images. A FIT's /images/<name> nodes become child regions named
// after the node (their "compression" honoured as for uImage); the span of the image data becomes
// the region's content, so that carving finds what each image holds (a zImage, a gzip'd cpio).
// A plain DTB is one region with no content to carve; its node count and model are recorded.
#include <algorithm>

#include <fmt/format.h>

#include "formats/fdt.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

struct FitImage {
  std::string name, type, description;
  std::uint64_t offset = 0, length = 0;  // from the start of the FIT
  std::uint64_t declared = 0;            // length the tree declares (may exceed what is present)
  std::string compression = "none";
  bool external = false;
};

// Where each /images/* node's data lies. External data: data-position is absolute, data-offset
// is relative to the end of the tree rounded up to 4 bytes (U-Boot boot/image-fit.c
// fit_image_get_data_and_size()).
std::vector<FitImage> fit_images(ByteView data, const formats::FdtTree& t, std::vector<std::string>& problems) {
  std::vector<FitImage> out;
  std::uint64_t tree_end = (static_cast<std::uint64_t>(t.header.totalsize) + 3) & ~std::uint64_t{3};
  for (const auto& n : t.nodes) {
    if (n.depth != 2 || !n.path.starts_with("/images/")) continue;
    FitImage img;
    img.name = n.name;
    if (auto* p = n.prop("type")) img.type = formats::fdt_string(data, *p).value_or("");
    if (auto* p = n.prop("description")) img.description = formats::fdt_string(data, *p).value_or("");
    if (auto* p = n.prop("compression")) img.compression = formats::fdt_string(data, *p).value_or("none");
    if (auto* p = n.prop("data")) {
      img.offset = p->offset;
      img.declared = img.length = p->length;
    } else if (auto* sz = n.prop("data-size")) {
      auto size = formats::fdt_number(data, *sz);
      std::optional<std::uint64_t> at;
      if (auto* pos = n.prop("data-position")) at = formats::fdt_number(data, *pos);
      else if (auto* off = n.prop("data-offset"))
        if (auto o = formats::fdt_number(data, *off)) at = tree_end + *o;
      if (!size || !at) {
        problems.push_back(fmt::format("image {}: unreadable external data location", n.name));
        continue;
      }
      img.external = true;
      img.offset = *at;
      img.declared = img.length = *size;
    } else {
      problems.push_back(fmt::format("image {}: no data property", n.name));
      continue;
    }
    out.push_back(std::move(img));
  }
  return out;
}

class FdtUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "fdt",
        .description = "Flattened device tree (DTB) and FIT image (U-Boot Flattened Image Tree)",
        .magics = {{0, std::string("\xd0\x0d\xfe\xed", 4)}},
        .references = {"Devicetree Specification v0.4, chapter 5 (Flattened Devicetree format)",
                       "U-Boot doc/usage/fit/source_file_format.rst"},
        .limitations = {"hashes and signatures of FIT images are not verified",
                        "FIT image contents are child regions; what they hold is found by carving "
                        "the image data span"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto h, formats::parse_fdt_header(data));
    // The root node must open the structure block: a magic in unrelated data rarely manages.
    Reader r(data, Endian::big);
    TRY(r.seek(h.off_dt_struct));
    std::uint32_t tok = 4;
    for (int i = 0; i < 16 && tok == 4; ++i) {  // FDT_NOPs may precede the root
      ASSIGN_OR_RETURN(tok, r.u32());
    }
    if (tok != 1) return fail(Errc::malformed, "FDT structure block does not start with a node");
    ASSIGN_OR_RETURN(std::uint8_t root_name, r.u8());
    if (root_name != 0) return fail(Errc::malformed, "FDT root node has a name");
    Probe p;
    p.length = h.totalsize;
    // External FIT data lies after the tree: the region must cover it.
    if (h.totalsize <= data.size()) {
      if (auto t = formats::parse_fdt(data); t) {
        std::vector<std::string> problems;
        for (const auto& img : fit_images(data, *t, problems))
          p.length = std::max<std::uint64_t>(p.length, img.offset + img.length);
        p.detail = fmt::format("v{}, {} nodes", h.version, t->nodes.size());
      }
    }
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    Tree& tree = ctx.tree;
    ASSIGN_OR_RETURN(auto t, formats::parse_fdt(all));
    if (t.header.totalsize > all.size())
      tree.add_diagnostic(ctx.region, {Severity::high, "fdt.truncated",
                                       fmt::format("tree declares {} bytes but only {} are present",
                                                   t.header.totalsize, all.size())});
    if (!t.error.empty())
      tree.add_diagnostic(ctx.region, {t.truncated ? Severity::high : Severity::medium,
                                       t.truncated ? "fdt.truncated" : "fdt.malformed",
                                       fmt::format("structure walk stopped: {}", t.error)});
    std::vector<std::string> problems;
    auto images = fit_images(all, t, problems);
    for (const auto& p : problems) tree.add_diagnostic(ctx.region, {Severity::medium, "fdt.image", p});
    std::uint64_t consumed = std::min<std::uint64_t>(t.header.totalsize, all.size());

    bool fit = false;
    for (const auto& n : t.nodes) fit |= n.path == "/images";
    std::string model;
    if (const auto* p = t.nodes.front().prop("model")) model = formats::fdt_string(all, *p).value_or("");
    if (model.empty())
      if (const auto* p = t.nodes.front().prop("description")) model = formats::fdt_string(all, *p).value_or("");

    std::string list;
    for (const auto& img : images)
      list += fmt::format("{}{} ({}{}, {} bytes{})", list.empty() ? "" : ", ", img.name,
                          img.type.empty() ? "?" : img.type,
                          img.compression == "none" ? "" : ", " + img.compression, img.declared,
                          img.external ? ", external" : "");
    tree.add_diagnostic(ctx.region,
                        {Severity::info, "fdt.summary",
                         fit ? fmt::format("FIT image{}: {} images: {}", model.empty() ? "" : " \"" + model + "\"",
                                           images.size(), list)
                             : fmt::format("device tree{}: {} nodes, {} properties",
                                           model.empty() ? "" : " \"" + model + "\"", t.nodes.size(), t.props)});

    if (images.empty()) {
      // Nothing inside a plain device tree to carve (and carving it would find itself again).
      tree.set_content(ctx.region, make_blob(std::string_view()));
      return consumed;
    }
    std::uint64_t lo = UINT64_MAX, hi = 0;
    for (auto& img : images) {
      if (img.offset >= all.size()) img.length = 0;
      else img.length = std::min(img.length, all.size() - img.offset);
      if (img.length < img.declared)
        tree.add_diagnostic(ctx.region, {Severity::high, "fdt.truncated",
                                         fmt::format("image {} declares {} bytes but only {} are present",
                                                     img.name, img.declared, img.length)});
      if (img.length > 0) {
        lo = std::min(lo, img.offset);
        hi = std::max(hi, img.offset + img.length);
        if (img.external) consumed = std::max(consumed, img.offset + img.length);
      }
      BlobPtr raw = slice_blob(ctx.data, std::min<std::uint64_t>(img.offset, all.size()), img.length);
      NodeId part = add_part_region(tree, ctx.budget, ctx.region, img.name, img.type.empty() ? "fit-image" : img.type,
                                    img.offset, img.length, raw, "fdt");
      if (part == kNoNode) break;
      auto codec = codec_from_name(img.compression);
      if (!codec) {
        tree.add_diagnostic(part, {Severity::medium, "fdt.unsupported",
                                   fmt::format("unknown compression \"{}\"; kept as stored", img.compression)});
      } else if (*codec != Codec::none && img.length > 0) {
        store_decoded(tree, ctx.budget, part, decode_stream(*codec, raw->view(), ctx.budget, "fdt"));
        tree.mut(part).size = tree.at(part).content ? tree.at(part).content->view().size() : 0;
      }
    }
    if (hi > lo) tree.set_content(ctx.region, slice_blob(ctx.data, lo, hi - lo), lo);
    else tree.set_content(ctx.region, make_blob(std::string_view()));
    return consumed;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_fdt_unpacker() { return std::make_unique<FdtUnpacker>(); }

}  // namespace iotaudit::unpack
