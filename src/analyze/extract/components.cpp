// Components: every ELF file, script and unidentified binary file of every filesystem, and every
// unclaimed data range of every raw blob (where kernels and bootloaders sit), scanned once with
// the built-in classifiers (data/components/classifiers.json). One component per product and
// version, with every place it was seen.
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "identify/classifier.hpp"

namespace iotaudit::analyze {
namespace {

constexpr std::size_t kMaxOccurrences = 100;  // per component; the rest are counted, not listed
constexpr std::uint64_t kMinGap = 8;  // a bootloader banner in a small gap still counts

struct Job {
  NodeId node = kNoNode;
  std::string path;
  BlobPtr blob;
  std::uint64_t begin = 0, length = 0;  // inside the blob's content
  std::uint64_t base = 0;               // added to match offsets: the range's offset in the node
  unsigned scope = 0;
};

int rank(const std::string& confidence) {
  return confidence == "high" ? 3 : confidence == "medium" ? 2 : confidence == "low" ? 1 : 0;
}

// CPE 2.3 formatted-string quoting of a version: letters, digits, '.', '-' and '_' stay as they
// are; anything else is escaped.
std::string cpe_quote(const std::string& v) {
  std::string out;
  for (char c : v) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                 c == '-' || c == '_';
    if (!plain) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string purl_quote(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                 c == '-' || c == '_' || c == '~';
    out += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

void extract_components(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  const identify::ClassifierSet& set = identify::ClassifierSet::builtin();
  if (set.classifiers().empty()) return;
  std::vector<Job> jobs;
  for (const auto& [id, kind] : facts.kinds) {
    unsigned scope = kind == FileKind::elf      ? identify::kElf
                     : kind == FileKind::script ? identify::kScript
                     : kind == FileKind::text   ? identify::kText
                     : kind == FileKind::data   ? identify::kRaw
                                                : 0u;
    if (scope == 0) continue;
    BlobPtr b = t.content(id);
    jobs.push_back({id, t.at(id).path, b, 0, b->view().size(), 0, scope});
  }
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.gaps.empty() || !n.content) continue;
    for (const Gap& g : n.gaps) {
      if (!g.fill.empty() || g.length < kMinGap || g.offset < n.content_at) continue;
      jobs.push_back({id, "", n.content, g.offset - n.content_at, g.length, n.content_at, identify::kRaw});
    }
  }

  std::vector<std::vector<identify::Hit>> hits(jobs.size());
  ctx.executor.parallel_for(jobs.size(), [&](std::size_t i) {
    const Job& j = jobs[i];
    hits[i] = set.scan(j.blob->view().tail(j.begin).head(j.length), j.scope);
    // Libraries identified by content whose version only their file name states.
    std::string base = j.path.substr(j.path.rfind('/') + 1);
    std::erase_if(hits[i], [&](identify::Hit& h) {
      if (!h.version.empty()) return false;
      h.version = j.path.empty() ? std::string() : identify::version_from_name(set.classifiers()[h.classifier], base);
      return h.version.empty();
    });
  });

  // A blob scanned in several ranges (the gaps around what was carved from a decoded kernel) can
  // match one classifier in two of them, through patterns of different preference (a kernel's
  // Debian banner and its plain banner): per node and classifier only the preferred pattern counts.
  std::map<std::pair<NodeId, std::size_t>, std::size_t> best;
  for (std::size_t i = 0; i < jobs.size(); ++i)
    for (const identify::Hit& h : hits[i]) {
      auto [it, inserted] = best.emplace(std::make_pair(jobs[i].node, h.classifier), h.pattern);
      if (!inserted) it->second = std::min(it->second, h.pattern);
    }
  for (std::size_t i = 0; i < jobs.size(); ++i)
    std::erase_if(hits[i], [&](const identify::Hit& h) { return best[{jobs[i].node, h.classifier}] != h.pattern; });

  std::map<std::pair<std::string, std::string>, Component> merged;
  std::map<std::pair<std::string, std::string>, std::size_t> extra;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    for (const identify::Hit& h : hits[i]) {
      const identify::Classifier& cl = set.classifiers()[h.classifier];
      auto key = std::make_pair(cl.id, h.version);
      Component& c = merged[key];
      if (c.id.empty()) {
        c.id = cl.id;
        c.name = cl.product;
        c.vendor = cl.vendor;
        c.version = h.version;
        if (!cl.cpe.empty()) c.cpe = cl.cpe + ":" + cpe_quote(h.version) + ":*:*:*:*:*:*:*";
        if (!cl.purl.empty()) c.purl = cl.purl + "@" + purl_quote(h.version);
      }
      const std::string& conf = cl.patterns[h.pattern].confidence;
      if (rank(conf) > rank(c.confidence)) c.confidence = conf;
      if (c.occurrences.size() >= kMaxOccurrences) {
        ++extra[key];
        continue;
      }
      Occurrence o;
      o.node = jobs[i].node;
      o.path = jobs[i].path;
      o.offset = jobs[i].base + jobs[i].begin + h.offset;
      o.evidence = h.evidence;
      o.method = fmt::format("classifier:{}#{}", cl.id, h.pattern + 1);
      o.confidence = conf;
      c.occurrences.push_back(std::move(o));
    }
  }
  for (auto& [key, c] : merged) {
    if (auto it = extra.find(key); it != extra.end()) c.occurrences_omitted = it->second;
    std::sort(c.occurrences.begin(), c.occurrences.end(), [&t](const Occurrence& a, const Occurrence& b) {
      std::string pa = t.logical_path(a.node), pb = t.logical_path(b.node);
      return pa != pb ? pa < pb : a.offset < b.offset;
    });
    facts.components.push_back(std::move(c));
  }
}

}  // namespace iotaudit::analyze
