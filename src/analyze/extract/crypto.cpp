// Private keys and certificates in every filesystem. Candidates are picked by content (PEM armour,
// a dropbear or openssh-key-v1 header, a DER object that spans the whole file) and by name; ELF
// files are never parsed, since libraries carry PEM test vectors and key-shaped constants.
#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>

#include "analyze/analyzer.hpp"
#include "formats/elf_header.hpp"
#include "formats/keys.hpp"

namespace iotaudit::analyze {

namespace {

constexpr std::uint64_t kMaxFileBytes = std::uint64_t{1} << 20;

bool suggestive_name(std::string_view name) {
  static constexpr std::string_view kSuffixes[] = {".key", ".pem", ".crt", ".cer", ".der", ".p12", ".pfx"};
  for (auto s : kSuffixes)
    if (name.size() > s.size() && name.ends_with(s)) return true;
  return name.find("host_key") != std::string_view::npos || name.starts_with("id_rsa") ||
         name.starts_with("id_ed25519") || name.starts_with("id_ecdsa") || name.starts_with("id_dsa");
}

bool has_pem_armour(ByteView v) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  return memmem(v.data(), v.size(), kBegin.data(), kBegin.size()) != nullptr;
}

bool looks_like_whole_der(ByteView v) {
  if (v.size() < 64 || v.data()[0] != 0x30 || v.data()[1] < 0x81 || v.data()[1] > 0x83) return false;
  unsigned n = v.data()[1] & 0x7f;
  std::uint64_t len = 0;
  for (unsigned i = 0; i < n; ++i) len = (len << 8) | v.data()[2 + i];
  std::uint64_t total = 2 + n + len;
  return total <= v.size() && v.size() - total <= 16;
}

struct Found {
  std::vector<PrivateKey> keys;
  std::vector<Certificate> certificates;
};

}  // namespace

void extract_crypto(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  // facts.kinds is in node order: ELF files are known without reading them again.
  std::set<NodeId> elf;
  for (const auto& [id, kind] : facts.kinds)
    if (kind == FileKind::elf) elf.insert(id);
  std::set<NodeId> roots(facts.rootfs.begin(), facts.rootfs.end());

  std::vector<NodeId> files;
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.type != NodeType::file || n.fs_root == kNoNode || n.size > kMaxFileBytes) continue;
    if (elf.count(id) != 0) continue;
    files.push_back(id);
  }
  std::vector<Found> found(files.size());
  ctx.executor.parallel_for(files.size(), [&](std::size_t i) {
    NodeId id = files[i];
    const Node& n = t.at(id);
    BlobPtr blob = t.content(id);
    ByteView v = blob->view();
    if (v.empty() || v.size() > kMaxFileBytes || formats::looks_like_elf(v)) return;
    bool candidate = has_pem_armour(v) || formats::looks_like_dropbear(v) ||
                     v.starts_with(std::string_view("openssh-key-v1\0", 15)) || looks_like_whole_der(v) ||
                     suggestive_name(n.name);
    if (!candidate) return;
    auto m = formats::scan_key_material(v);
    if (m.keys.empty() && m.certificates.empty()) return;

    // The path as the device sees it: inside the root filesystem that holds the file, when one
    // does (archives keep the tree under a prefix).
    std::string path = n.path;
    for (NodeId p = n.parent; p != kNoNode; p = t.at(p).parent) {
      if (roots.count(p) != 0) {
        path = t.path_within(p, id);
        break;
      }
      if (p == n.fs_root) break;
    }
    std::string logical = t.logical_path(id);
    for (auto& k : m.keys) {
      PrivateKey pk;
      pk.node = id;
      pk.fs_root = n.fs_root;
      pk.path = path;
      pk.logical_path = logical;
      pk.offset = k.offset;
      pk.length = k.length;
      pk.format = std::move(k.format);
      pk.type = std::move(k.type);
      pk.bits = k.bits;
      pk.encrypted = k.encrypted;
      pk.label = std::move(k.label);
      pk.public_fingerprint = std::move(k.public_fingerprint);
      found[i].keys.push_back(std::move(pk));
    }
    for (auto& c : m.certificates) {
      Certificate ct;
      ct.node = id;
      ct.fs_root = n.fs_root;
      ct.path = path;
      ct.logical_path = logical;
      ct.offset = c.offset;
      ct.length = c.length;
      ct.format = std::move(c.format);
      ct.subject = std::move(c.subject);
      ct.issuer = std::move(c.issuer);
      ct.subject_cn = std::move(c.subject_cn);
      ct.not_before = std::move(c.not_before);
      ct.not_after = std::move(c.not_after);
      ct.not_before_epoch = c.not_before_epoch;
      ct.not_after_epoch = c.not_after_epoch;
      ct.self_signed = c.self_signed;
      ct.ca = c.ca;
      ct.in_file = static_cast<unsigned>(m.certificates.size());
      ct.key_type = std::move(c.key_type);
      ct.key_bits = c.key_bits;
      ct.signature_algorithm = std::move(c.signature_algorithm);
      ct.signature_hash = std::move(c.signature_hash);
      ct.public_fingerprint = std::move(c.public_fingerprint);
      found[i].certificates.push_back(std::move(ct));
    }
  });
  for (auto& f : found) {
    for (auto& k : f.keys) facts.keys.push_back(std::move(k));
    for (auto& c : f.certificates) facts.certificates.push_back(std::move(c));
  }
  auto order = [](const auto& a, const auto& b) {
    if (a.logical_path != b.logical_path) return a.logical_path < b.logical_path;
    return a.offset < b.offset;
  };
  // Stable: a PKCS#12 file yields several entries at offset 0, kept in container order.
  std::stable_sort(facts.keys.begin(), facts.keys.end(), order);
  std::stable_sort(facts.certificates.begin(), facts.certificates.end(), order);
}

}  // namespace iotaudit::analyze
