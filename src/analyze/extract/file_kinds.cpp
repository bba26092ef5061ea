// File kinds and ELF identification for every regular file.
#include <mutex>

#include "analyze/analyzer.hpp"
#include "formats/elf_header.hpp"

namespace iotaudit::analyze {

namespace {
FileKind classify(ByteView v) {
  if (v.empty()) return FileKind::empty;
  if (formats::looks_like_elf(v)) return FileKind::elf;
  if (v.starts_with("#!")) return FileKind::script;
  ByteView head = v.head(1024);
  for (std::size_t i = 0; i < head.size(); ++i) {
    std::uint8_t c = head.data()[i];
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b))
      return FileKind::data;
  }
  return FileKind::text;
}
}  // namespace

void extract_file_kinds(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  std::vector<NodeId> files;
  for (NodeId id = 0; id < t.size(); ++id)
    if (t.at(id).type == NodeType::file && t.at(id).fs_root != kNoNode) files.push_back(id);
  std::vector<FileKind> kinds(files.size());
  std::vector<std::optional<ElfInfo>> elves(files.size());
  ctx.executor.parallel_for(files.size(), [&](std::size_t i) {
    BlobPtr b = t.content(files[i]);
    kinds[i] = classify(b->view());
    if (kinds[i] != FileKind::elf) return;
    auto h = formats::parse_elf_header(b->view());
    if (!h) return;
    ElfInfo e;
    e.node = files[i];
    e.path = t.at(files[i]).path;
    e.bits = h->bits;
    e.endian = h->endian;
    e.machine = h->machine;
    e.machine_name = formats::elf_machine_name(h->machine);
    e.type = h->type;
    e.type_name = formats::elf_type_name(h->type);
    e.interpreter = h->interpreter;
    elves[i] = std::move(e);
  });
  for (std::size_t i = 0; i < files.size(); ++i) {
    facts.kinds.emplace_back(files[i], kinds[i]);
    if (elves[i]) facts.elves.push_back(std::move(*elves[i]));
  }
}

}  // namespace iotaudit::analyze
