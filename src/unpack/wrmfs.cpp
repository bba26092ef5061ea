// Wind River management filesystem (VxWorks web pages): a flat table of named files, each an
// lzma-alone stream when the header says so. Every name becomes a file at the root; each file is
// decoded on its own, so a damaged one costs only itself.
#include <sys/stat.h>

#include <fmt/format.h>

#include "formats/wrmfs.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

constexpr const char* kId = "wrmfs";

class WrmfsUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = kId,
        .description = "Wind River management filesystem (web pages of VxWorks devices such as TP-Link routers)",
        .magics = {{0, std::string(formats::kWrmfsMagic)}},
        .references = {"binwalk magic \"Wind River management filesystem\"",
                       "tplink-vxworks-fact-test/wr.fw (185 lzma-compressed files)"},
        .limitations = {"the format stores no directories, owners, permissions or timestamps: files are "
                        "0644, owned by 0:0, at the root",
                        "the third header word is not documented and is not used"},
        .filesystem = true};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto fs, formats::parse_wrmfs(data));
    // The first file must be where it is declared and, when compressed, start a valid stream.
    const auto& e = fs.entries.front();
    if (fs.compressed() && e.offset < data.size() &&
        !stream_starts_validly(Codec::lzma, data.tail(e.offset).head(e.size)))
      return fail(Errc::malformed, fmt::format("first file '{}' is not an lzma stream", e.name));
    Probe p;
    p.length = fs.end;
    p.detail = fmt::format("{} files, {}", fs.count, fs.compressed() ? "lzma" : "stored");
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto fs, formats::parse_wrmfs(all));
    FsBuilder builder(ctx.tree, ctx.budget, ctx.region, kId);
    ctx.tree.mut(builder.root()).mode = S_IFDIR | 0755;
    if (fs.end > all.size())
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, fmt::format("{}.truncated", kId),
                                           fmt::format("files end at byte {} but only {} are present; extraction is partial",
                                                       fs.end, all.size())});
    std::uint64_t errors = 0;
    for (const auto& e : fs.entries) {
      if (builder.stopped()) break;
      if (ctx.budget.expired()) {
        ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.time", "time limit reached; files not all read"});
        break;
      }
      ByteView stored = all.tail(e.offset).head(e.size);
      FsBuilder::Entry fe;
      fe.path = e.name;
      fe.type = NodeType::file;
      fe.mode = S_IFREG | 0644;
      fe.offset = e.offset;
      std::optional<Diagnostic> problem;
      if (stored.size() < e.size)
        problem = Diagnostic{Severity::medium, fmt::format("{}.file_data", kId),
                             fmt::format("file of {} stored bytes cut after {}", e.size, stored.size())};
      if (fs.compressed()) {
        Decoded d = decode_stream(Codec::lzma, stored, ctx.budget, kId);
        if (d.cut && !problem) problem = d.cut;
        fe.size = d.bytes.size();
        fe.content = make_blob(std::move(d.bytes));
      } else {
        fe.size = stored.size();
        fe.content = slice_blob(ctx.data, e.offset, stored.size());
      }
      NodeId id = builder.add(std::move(fe));
      if (problem) {
        ++errors;
        if (id != kNoNode) builder.diagnose(id, *problem);
      }
    }
    if (errors > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::medium, fmt::format("{}.partial", kId),
                                           fmt::format("{} file(s) damaged or cut; extraction is partial", errors)});
    return std::min<std::uint64_t>(fs.end, all.size());
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_wrmfs_unpacker() { return std::make_unique<WrmfsUnpacker>(); }

}  // namespace iotaudit::unpack
