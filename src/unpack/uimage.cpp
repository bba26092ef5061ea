// U-Boot legacy images (uImage). The payload becomes the region's content, decoded when the
// header names a compression, so that carving continues inside the kernel or ramdisk. Multi-file
// and script images also get one child region per file. Header fields are recorded as an info
// diagnostic ("uimage.header").
#include <ctime>

#include <fmt/format.h>

#include "formats/crc32.hpp"
#include "formats/uimage.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

constexpr std::uint8_t kTypeScript = 6;

std::string utc(std::uint32_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Anything but erased-flash or zero fill.
bool has_data(ByteView v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v.data()[i] != 0x00 && v.data()[i] != 0xff) return true;
  return false;
}

bool printable_name(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return true;
}

class UImageUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "uimage",
        .description = "U-Boot legacy image (uImage): 64-byte header, optionally compressed payload",
        .magics = {{0, std::string("\x27\x05\x19\x56", 4)}},
        .references = {"U-Boot include/image.h (struct legacy_img_hdr)",
                       "U-Boot boot/image-legacy.c (image_multi_getimg)"},
        .limitations = {"the compression field of a multi-file image is recorded, not applied "
                        "(U-Boot applies it to the kernel only at boot)",
                        "the files of a multi-file image are child regions; their contents are "
                        "found by carving the payload"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto h, formats::parse_uimage_header(data));
    if (!h.header_crc_ok) {
      // A corrupted header is still extracted when every field is plausible; a bare magic in
      // unrelated data is not.
      if (h.os > 30 || h.arch > 30 || h.type > 40 || h.comp > 6 || !printable_name(h.name) ||
          h.size == 0 || h.size > data.size() * 4)
        return fail(Errc::malformed, "uImage header CRC mismatch and implausible fields");
    }
    if (h.size == 0) return fail(Errc::malformed, "uImage with empty payload");
    Probe p;
    p.length = formats::kUImageHeaderSize + h.size;
    p.detail = fmt::format("{} {} {} ({}), \"{}\"", h.os_name(), h.arch_name(), h.type_name(),
                           h.comp_name(), h.name);
    if (!codec_from_uboot(h.comp)) p.unsupported = fmt::format("unknown compression {}", h.comp);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto h, formats::parse_uimage_header(all));
    Tree& t = ctx.tree;
    t.add_diagnostic(ctx.region,
                     {Severity::info, "uimage.header",
                      fmt::format("\"{}\": {} {} {}, compression {}, load {:#010x}, entry {:#010x}, "
                                  "created {}, {} data bytes",
                                  h.name, h.os_name(), h.arch_name(), h.type_name(), h.comp_name(), h.load,
                                  h.entry, utc(h.time), h.size)});
    if (!h.header_crc_ok)
      t.add_diagnostic(ctx.region, {Severity::medium, "uimage.crc",
                                    fmt::format("header CRC {:#010x} does not match the header", h.header_crc)});
    std::uint64_t avail = all.size() - formats::kUImageHeaderSize;
    bool cut = h.size > avail;
    ByteView payload = all.tail(formats::kUImageHeaderSize).head(h.size);
    if (cut) {
      t.add_diagnostic(ctx.region, {Severity::high, "uimage.truncated",
                                    fmt::format("header declares {} data bytes but only {} are present",
                                                h.size, avail)});
    } else if (formats::crc32(payload) != h.data_crc) {
      t.add_diagnostic(ctx.region, {Severity::medium, "uimage.crc",
                                    fmt::format("data CRC {:#010x} does not match the {} data bytes",
                                                h.data_crc, h.size)});
    }
    std::uint64_t consumed = formats::kUImageHeaderSize + payload.size();
    BlobPtr payload_blob = slice_blob(ctx.data, formats::kUImageHeaderSize, payload.size());

    if (h.type == formats::kUImageTypeMulti || h.type == kTypeScript) {
      auto parts = formats::parse_uimage_multi(payload);
      if (!parts) {
        t.add_diagnostic(ctx.region, {Severity::medium, "uimage.multi",
                                      fmt::format("multi-file size table unreadable: {}", parts.error().message)});
        t.set_content(ctx.region, payload_blob, formats::kUImageHeaderSize);
        return consumed;
      }
      std::uint64_t first = parts->empty() ? payload.size() : parts->front().offset;
      for (std::size_t i = 0; i < parts->size(); ++i) {
        const auto& p = (*parts)[i];
        std::uint64_t have = p.offset >= payload.size() ? 0 : std::min(p.size, payload.size() - p.offset);
        if (have < p.size)
          t.add_diagnostic(ctx.region, {Severity::high, "uimage.truncated",
                                        fmt::format("file {} declares {} bytes but only {} are present", i,
                                                    p.size, have)});
        std::string name = h.type == kTypeScript ? "script" : fmt::format("image-{}", i);
        add_part_region(t, ctx.budget, ctx.region, std::move(name), "uimage-part",
                        formats::kUImageHeaderSize + p.offset, have,
                        slice_blob(ctx.data, formats::kUImageHeaderSize + std::min(p.offset, payload.size()), have),
                        "uimage");
      }
      // The files follow one another after the table: carving the rest finds what each holds.
      t.set_content(ctx.region, slice_blob(payload_blob, first, payload.size() - std::min(first, payload.size())),
                    formats::kUImageHeaderSize + std::min(first, payload.size()));
      return consumed;
    }

    auto codec = codec_from_uboot(h.comp);
    if (!codec || *codec == Codec::none) {
      t.set_content(ctx.region, payload_blob, formats::kUImageHeaderSize);
      return consumed;
    }
    Decoded d = decode_stream(*codec, payload, ctx.budget, "uimage");
    const std::uint64_t used = std::min<std::uint64_t>(d.consumed, payload.size());
    if (!d.complete || !has_data(payload.tail(used))) {
      store_decoded(t, ctx.budget, ctx.region, std::move(d));
      return consumed;
    }
    // Bytes follow the compressed stream inside the declared payload: vendor images (Ralink SDK
    // "Linux Kernel Image" uImages) put the root filesystem there. The decoded kernel and the
    // trailer become two parts, each searched on its own.
    t.add_diagnostic(ctx.region, {Severity::info, "uimage.trailer",
                                  fmt::format("{} bytes follow the {}-byte {} stream inside the payload; searched "
                                              "as part \"trailer\"",
                                              payload.size() - used, used, codec_name(*codec))});
    NodeId image = add_part_region(t, ctx.budget, ctx.region, "image", "uimage-part", formats::kUImageHeaderSize,
                                   used, nullptr, "uimage");
    if (image == kNoNode) {
      store_decoded(t, ctx.budget, ctx.region, std::move(d));
      return consumed;
    }
    store_decoded(t, ctx.budget, image, std::move(d));
    t.mut(image).size = t.at(image).content ? t.at(image).content->view().size() : 0;
    add_part_region(t, ctx.budget, ctx.region, "trailer", "uimage-trailer", formats::kUImageHeaderSize + used,
                    payload.size() - used, slice_blob(payload_blob, used, payload.size() - used), "uimage");
    return consumed;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_uimage_unpacker() { return std::make_unique<UImageUnpacker>(); }

}  // namespace iotaudit::unpack
