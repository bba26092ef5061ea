#include "formats/fdt.hpp"

namespace iotaudit::formats {

namespace {
constexpr std::uint32_t kBeginNode = 1, kEndNode = 2, kProp = 3, kNop = 4, kEnd = 9;
constexpr std::uint32_t kHeaderV17 = 40;

std::uint64_t align4(std::uint64_t v) { return (v + 3) & ~std::uint64_t{3}; }

// A NUL-terminated string starting at `at` and ending before `end`.
std::optional<std::string> cstring(ByteView d, std::uint64_t at, std::uint64_t end) {
  if (end > d.size()) end = d.size();
  for (std::uint64_t i = at; i < end; ++i)
    if (d.data()[i] == 0) return std::string(reinterpret_cast<const char*>(d.data() + at), i - at);
  return std::nullopt;
}
}  // namespace

const FdtProp* FdtNode::prop(std::string_view n) const {
  for (const auto& p : props)
    if (p.name == n) return &p;
  return nullptr;
}

Result<FdtHeader> parse_fdt_header(ByteView data) {
  Reader r(data, Endian::big);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kFdtMagic) return fail(Errc::malformed, "no FDT magic");
  FdtHeader h;
  ASSIGN_OR_RETURN(h.totalsize, r.u32());
  ASSIGN_OR_RETURN(h.off_dt_struct, r.u32());
  ASSIGN_OR_RETURN(h.off_dt_strings, r.u32());
  ASSIGN_OR_RETURN(h.off_mem_rsvmap, r.u32());
  ASSIGN_OR_RETURN(h.version, r.u32());
  ASSIGN_OR_RETURN(h.last_comp_version, r.u32());
  ASSIGN_OR_RETURN(h.boot_cpuid_phys, r.u32());
  ASSIGN_OR_RETURN(h.size_dt_strings, r.u32());
  ASSIGN_OR_RETURN(h.size_dt_struct, r.u32());
  // Versions 16 and 17 are what dtc and U-Boot write; 17 adds size_dt_struct.
  if (h.version < 16 || h.version > 17 || h.last_comp_version > 17 || h.last_comp_version < 2)
    return fail(Errc::unsupported, "FDT version not 16/17");
  if (h.version < 17) h.size_dt_struct = h.totalsize > h.off_dt_struct ? h.totalsize - h.off_dt_struct : 0;
  std::uint64_t total = h.totalsize;
  if (total < kHeaderV17) return fail(Errc::malformed, "FDT totalsize smaller than its header");
  auto inside = [&](std::uint64_t off, std::uint64_t len) { return off >= 28 && off <= total && len <= total - off; };
  if (!inside(h.off_dt_struct, h.size_dt_struct) || !inside(h.off_dt_strings, h.size_dt_strings) ||
      !inside(h.off_mem_rsvmap, 16))
    return fail(Errc::malformed, "FDT block outside totalsize");
  if (h.off_dt_struct % 4 != 0 || h.off_mem_rsvmap % 8 != 0 || h.size_dt_struct < 8)
    return fail(Errc::malformed, "FDT blocks misaligned");
  return h;
}

Result<FdtTree> parse_fdt(ByteView data, const FdtLimits& limits) {
  ASSIGN_OR_RETURN(FdtHeader h, parse_fdt_header(data));
  FdtTree t;
  t.header = h;
  std::uint64_t start = h.off_dt_struct;
  std::uint64_t end = start + h.size_dt_struct;
  if (end > data.size()) {
    t.truncated = true;
    end = data.size() < start ? start : data.size();
  }
  std::uint64_t str_start = h.off_dt_strings, str_end = str_start + h.size_dt_strings;
  Reader r(data.head(end), Endian::big);
  TRY(r.seek(start));
  std::vector<std::size_t> stack;  // indices of open nodes
  bool ended = false;
  auto stop = [&](std::string why) { t.error = std::move(why); };
  while (!ended) {
    auto tok = r.u32();
    if (!tok) {
      stop("structure block ends before FDT_END");
      break;
    }
    if (*tok == kBeginNode) {
      auto name = cstring(data, r.pos(), end);
      if (!name) {
        stop("node name not terminated");
        break;
      }
      if (stack.size() >= limits.max_depth) {
        stop("nodes nested deeper than the limit");
        break;
      }
      if (t.nodes.size() >= limits.max_nodes) {
        stop("more nodes than the limit");
        break;
      }
      if (stack.empty() && !t.nodes.empty()) {
        stop("second root node");
        break;
      }
      if (!r.seek(align4(r.pos() + name->size() + 1))) {
        stop("node name runs past the structure block");
        break;
      }
      FdtNode n;
      n.depth = static_cast<unsigned>(stack.size());
      if (stack.empty()) {
        n.path = "/";
      } else {
        const std::string& parent = t.nodes[stack.back()].path;
        n.path = parent == "/" ? "/" + *name : parent + "/" + *name;
        n.name = *name;
      }
      t.nodes.push_back(std::move(n));
      stack.push_back(t.nodes.size() - 1);
    } else if (*tok == kEndNode) {
      if (stack.empty()) {
        stop("FDT_END_NODE without an open node");
        break;
      }
      stack.pop_back();
    } else if (*tok == kProp) {
      auto len = r.u32();
      auto nameoff = len ? r.u32() : len;
      if (!len || !nameoff) {
        stop("property header runs past the structure block");
        break;
      }
      if (stack.empty()) {
        stop("property outside any node");
        break;
      }
      if (*nameoff >= h.size_dt_strings) {
        stop("property name offset outside the strings block");
        break;
      }
      auto pname = cstring(data, str_start + *nameoff, str_end);
      if (!pname) {
        stop(str_end > data.size() ? "strings block truncated" : "property name not terminated");
        if (str_end > data.size()) t.truncated = true;
        break;
      }
      if (t.props >= limits.max_props) {
        stop("more properties than the limit");
        break;
      }
      std::uint64_t value = r.pos();
      if (*len > r.remaining()) {
        stop("property value runs past the structure block");
        if (t.truncated) {
          // Keep the property clipped: a cut FIT still shows where its image data starts.
          t.nodes[stack.back()].props.push_back({*pname, value, r.remaining()});
          ++t.props;
        }
        break;
      }
      t.nodes[stack.back()].props.push_back({*pname, value, *len});
      ++t.props;
      if (!r.seek(align4(value + *len))) {
        if (!r.seek(end)) break;
      }
    } else if (*tok == kNop) {
      continue;
    } else if (*tok == kEnd) {
      ended = true;
      if (!stack.empty()) stop("FDT_END with nodes still open");
    } else {
      stop("unknown structure token");
      break;
    }
  }
  if (t.nodes.empty()) return fail(t.truncated ? Errc::truncated : Errc::malformed, "FDT has no root node");
  return t;
}

std::optional<std::string> fdt_string(ByteView data, const FdtProp& p) {
  auto v = data.sub(p.offset, p.length);
  if (!v || v->empty()) return std::nullopt;
  std::string_view s = v->as_chars();
  auto z = s.find('\0');
  if (z == std::string_view::npos) return std::nullopt;
  return std::string(s.substr(0, z));
}

std::optional<std::uint64_t> fdt_number(ByteView data, const FdtProp& p) {
  auto v = data.sub(p.offset, p.length);
  if (!v) return std::nullopt;
  Reader r(*v, Endian::big);
  if (p.length == 4) {
    if (auto x = r.u32()) return *x;
  } else if (p.length == 8) {
    if (auto x = r.u64()) return *x;
  }
  return std::nullopt;
}

}  // namespace iotaudit::formats
