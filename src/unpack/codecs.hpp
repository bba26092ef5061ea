#pragma once
// Whole-stream decoders shared by the compressed-stream unpackers (lzma, bzip2, zstd, lz4, lzop)
// and by the firmware containers whose headers name a compression for their payload (uImage,
// FIT). Each decoder reports how many input bytes the stream occupied, which carving needs, and
// enforces the same output limits as the gzip/xz streams: per-node size, expansion ratio above
// the floor, and the time budget. A damaged or cut stream keeps what was decoded before the fault.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "model/tree.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {

enum class Codec { none, gzip, bzip2, lzma, xz, lzo, lz4, lz4_legacy, zstd };

// "gzip", "lzma", ... as used in diagnostic codes ("lzma.partial").
const char* codec_name(Codec c);
// U-Boot's IH_COMP_* numbering (include/image.h): 0 none, 1 gzip, 2 bzip2, 3 lzma, 4 lzo,
// 5 lz4, 6 zstd. Unknown values yield std::nullopt.
std::optional<Codec> codec_from_uboot(std::uint8_t comp);
// FIT "compression" property strings ("none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd").
std::optional<Codec> codec_from_name(std::string_view name);

struct Decoded {
  std::vector<std::uint8_t> bytes;
  std::uint64_t consumed = 0;       // input bytes the stream occupied (as far as it was read)
  bool complete = false;            // the stream's end marker was reached
  std::optional<Diagnostic> cut;    // why the output stops early (truncation, corruption, limit)
};

// Decodes one stream at the start of `in`. `label` prefixes diagnostic codes ("uimage" gives
// "uimage.partial"); limit hits use the "limit.*" codes.
Decoded decode_stream(Codec codec, ByteView in, Budget& budget, std::string_view label);

// Cheap validation for probe(): decodes the first few KiB and says whether they look like the
// start of a valid stream (some output, or a clean end).
bool stream_starts_validly(Codec codec, ByteView in);

// Stores decoded bytes as a node's content: applies the per-node cap and the total budget (a
// refused stream is dropped with a "limit.total_bytes" diagnostic) and records `cut` if any.
void store_decoded(Tree& tree, Budget& budget, NodeId node, Decoded d);

// Adds a region node under `parent` (a part of a firmware container: a TRX partition, a FIT
// image, one file of a multi-file uImage) whose content is `content`. Returns kNoNode when the
// node budget refused it (a diagnostic is recorded on the parent).
NodeId add_part_region(Tree& tree, Budget& budget, NodeId parent, std::string name,
                       std::string format, std::uint64_t offset, std::uint64_t length,
                       BlobPtr content, std::string unpacker);

// The generic unpack of a compressed-stream format: decode ctx.data as `codec`, make the decoded
// bytes the region's content, and return the compressed bytes consumed. `label` prefixes the
// diagnostic codes (the unpacker id).
Result<std::uint64_t> unpack_stream(Context& ctx, Codec codec, std::string_view label);

}  // namespace iotaudit::unpack
