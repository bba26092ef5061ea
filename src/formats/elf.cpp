#include "formats/elf.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace iotaudit::formats {

namespace {

// gABI constants.
constexpr std::uint32_t PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
constexpr std::uint32_t PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552;
constexpr std::uint32_t PF_X = 1;
constexpr std::uint32_t SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_DYNAMIC = 6, SHT_DYNSYM = 11;
constexpr std::int64_t DT_NULL = 0, DT_NEEDED = 1, DT_HASH = 4, DT_STRTAB = 5, DT_SYMTAB = 6, DT_STRSZ = 10,
                       DT_SYMENT = 11, DT_SONAME = 14, DT_RPATH = 15, DT_DEBUG = 21, DT_TEXTREL = 22,
                       DT_BIND_NOW = 24, DT_RUNPATH = 29, DT_FLAGS = 30, DT_GNU_HASH = 0x6ffffef5,
                       DT_FLAGS_1 = 0x6ffffffb, DT_MIPS_SYMTABNO = 0x70000011, DT_MIPS_RLD_MAP = 0x70000016,
                       DT_MIPS_RLD_MAP_REL = 0x70000035;
constexpr std::uint64_t DF_TEXTREL = 0x4, DF_BIND_NOW = 0x8, DF_1_NOW = 0x1;
constexpr std::uint16_t EM_MIPS = 8;
constexpr std::uint16_t SHN_UNDEF = 0, SHN_XINDEX = 0xffff, PN_XNUM = 0xffff;
constexpr unsigned STB_GLOBAL = 1, STB_WEAK = 2, STB_GNU_UNIQUE = 10;
constexpr unsigned STT_SECTION = 3, STT_FILE = 4;

struct Segment {
  std::uint64_t vaddr = 0, offset = 0, filesz = 0;
};

struct Section {
  std::uint32_t name = 0, type = 0, link = 0;
  std::uint64_t offset = 0, size = 0, entsize = 0;
};

struct RawSymbol {
  std::uint32_t name = 0;
  unsigned bind = 0, type = 0;
  std::uint16_t shndx = 0;
};

class Parser {
 public:
  Parser(ByteView data, const ElfParseOptions& opt, ElfFile& out) : d_(data), opt_(opt), e_(out) {}

  void run(std::uint64_t phoff, std::uint32_t phentsize, std::uint32_t phnum, std::uint64_t shoff,
           std::uint32_t shentsize, std::uint32_t shnum, std::uint32_t shstrndx) {
    read_sections(shoff, shentsize, shnum, shstrndx);
    if (phnum == PN_XNUM && sec0_info_) phnum = *sec0_info_;
    read_segments(phoff, phentsize, phnum);
    read_dynamic();
    read_dynamic_symbols();
    read_static_symbols();
    std::sort(e_.imports.begin(), e_.imports.end());
    e_.imports.erase(std::unique(e_.imports.begin(), e_.imports.end()), e_.imports.end());
    std::sort(e_.exports.begin(), e_.exports.end());
    e_.exports.erase(std::unique(e_.exports.begin(), e_.exports.end()), e_.exports.end());
    std::sort(e_.symtab_symbols.begin(), e_.symtab_symbols.end());
    e_.symtab_symbols.erase(std::unique(e_.symtab_symbols.begin(), e_.symtab_symbols.end()),
                            e_.symtab_symbols.end());
  }

 private:
  // Bounds-checked field reads; nullopt beyond the end of the file.
  std::optional<std::uint64_t> load(std::uint64_t off, unsigned width) const {
    if (off > d_.size() || width > d_.size() - off) return std::nullopt;
    const std::uint8_t* p = d_.data() + off;
    switch (width) {
      case 1: return p[0];
      case 2: return load_endian<std::uint16_t>(p, e_.endian);
      case 4: return load_endian<std::uint32_t>(p, e_.endian);
      default: return load_endian<std::uint64_t>(p, e_.endian);
    }
  }
  // An address-sized field: 4 bytes in ELF32, 8 in ELF64.
  std::optional<std::uint64_t> addr(std::uint64_t off) const { return load(off, e_.bits == 32 ? 4 : 8); }

  void note(std::string msg) {
    // The first few problems are enough to tell a truncated file from a lying one.
    if (notes_ >= 4) return;
    ++notes_;
    if (!e_.diagnostic.empty()) e_.diagnostic += "; ";
    e_.diagnostic += msg;
  }

  // A table of `count` entries of `entsize` bytes at `off` must lie inside the file.
  bool table_fits(std::uint64_t off, std::uint64_t entsize, std::uint64_t count) const {
    if (off > d_.size()) return false;
    if (entsize != 0 && count > (d_.size() - off) / entsize) return false;
    return true;
  }

  // NUL-terminated string at `idx` of the string table [off, off+size); clipped to the table,
  // the file and limits.max_string.
  std::string_view string_at(std::uint64_t off, std::uint64_t size, std::uint64_t idx) const {
    if (off > d_.size()) return {};
    size = std::min<std::uint64_t>(size, d_.size() - off);
    if (idx >= size) return {};
    std::string_view s(reinterpret_cast<const char*>(d_.data() + off + idx),
                       static_cast<std::size_t>(std::min<std::uint64_t>(size - idx, opt_.limits.max_string)));
    if (auto z = s.find('\0'); z != std::string_view::npos) s = s.substr(0, z);
    return s;
  }

  std::optional<std::uint64_t> vaddr_to_offset(std::uint64_t v) const {
    for (const Segment& s : loads_)
      if (v >= s.vaddr && v - s.vaddr < s.filesz) return s.offset + (v - s.vaddr);
    return std::nullopt;
  }

  void read_sections(std::uint64_t shoff, std::uint32_t shentsize, std::uint32_t shnum, std::uint32_t shstrndx) {
    if (shoff == 0) return;
    const std::uint32_t want = e_.bits == 32 ? 40 : 64;
    if (shentsize < want) {
      note(fmt::format("section header size {} too small", shentsize));
      return;
    }
    auto section = [&](std::uint64_t i) -> std::optional<Section> {
      std::uint64_t at = shoff + i * shentsize;
      Section s;
      auto name = load(at, 4), type = load(at + 4, 4);
      if (!name || !type) return std::nullopt;
      s.name = static_cast<std::uint32_t>(*name);
      s.type = static_cast<std::uint32_t>(*type);
      std::optional<std::uint64_t> off, size, link, ent;
      if (e_.bits == 32) {
        off = load(at + 16, 4), size = load(at + 20, 4), link = load(at + 24, 4), ent = load(at + 36, 4);
      } else {
        off = load(at + 24, 8), size = load(at + 32, 8), link = load(at + 40, 4), ent = load(at + 56, 8);
      }
      if (!off || !size || !link || !ent) return std::nullopt;
      s.offset = *off, s.size = *size, s.link = static_cast<std::uint32_t>(*link), s.entsize = *ent;
      return s;
    };
    // Extended numbering: e_shnum 0 puts the count in section 0's sh_size, SHN_XINDEX puts the
    // string table index in its sh_link, and PN_XNUM the program header count in its sh_info.
    std::uint64_t count = shnum;
    auto first = section(0);
    if (!first) {
      note("section headers beyond end of file");
      return;
    }
    if (count == 0) count = first->size;
    if (auto info = load(shoff + (e_.bits == 32 ? 28 : 44), 4)) sec0_info_ = static_cast<std::uint32_t>(*info);
    if (shstrndx == SHN_XINDEX) shstrndx = first->link;
    if (count > opt_.limits.max_sections) {
      note(fmt::format("{} section headers, more than the {} read", count, opt_.limits.max_sections));
      count = opt_.limits.max_sections;
    }
    if (!table_fits(shoff, shentsize, count)) {
      note("section header table runs past end of file");
      count = shoff >= d_.size() ? 0 : (d_.size() - shoff) / shentsize;
    }
    sections_.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
      auto s = section(i);
      if (!s) break;
      sections_.push_back(*s);
    }
    e_.shnum = static_cast<std::uint32_t>(sections_.size());
    const Section* names = shstrndx < sections_.size() ? &sections_[shstrndx] : nullptr;
    for (std::size_t i = 1; i < sections_.size(); ++i) {
      const Section& s = sections_[i];
      if (s.type == SHT_SYMTAB) e_.has_symtab = true;
      if (names == nullptr || names->type != SHT_STRTAB) continue;
      std::string_view n = string_at(names->offset, names->size, s.name);
      if (n.starts_with(".debug_") || n.starts_with(".zdebug_")) e_.has_debug_info = true;
    }
  }

  void read_segments(std::uint64_t phoff, std::uint32_t phentsize, std::uint32_t phnum) {
    if (phnum == 0 || phoff == 0) return;
    const std::uint32_t want = e_.bits == 32 ? 32 : 56;
    if (phentsize < want) {
      note(fmt::format("program header size {} too small", phentsize));
      return;
    }
    if (!table_fits(phoff, phentsize, phnum)) note("program header table runs past end of file");
    if (phnum > opt_.limits.max_program_headers) {
      note(fmt::format("{} program headers, more than the {} read", phnum, opt_.limits.max_program_headers));
      phnum = static_cast<std::uint32_t>(opt_.limits.max_program_headers);
    }
    for (std::uint32_t i = 0; i < phnum; ++i) {
      std::uint64_t at = phoff + std::uint64_t{i} * phentsize;
      auto type = load(at, 4);
      std::optional<std::uint64_t> flags, off, vaddr, filesz;
      if (e_.bits == 32) {
        off = load(at + 4, 4), vaddr = load(at + 8, 4), filesz = load(at + 16, 4), flags = load(at + 24, 4);
      } else {
        flags = load(at + 4, 4), off = load(at + 8, 8), vaddr = load(at + 16, 8), filesz = load(at + 32, 8);
      }
      if (!type || !flags || !off || !vaddr || !filesz) break;
      ++e_.phnum;
      switch (*type) {
        case PT_LOAD:
          if (loads_.size() < opt_.limits.max_loads) loads_.push_back({*vaddr, *off, *filesz});
          break;
        case PT_DYNAMIC:
          if (!e_.has_dynamic) dynamic_ = {*vaddr, *off, *filesz};
          e_.has_dynamic = true;
          break;
        case PT_INTERP:
          if (!e_.has_interp) {
            e_.has_interp = true;
            if (*off < d_.size())
              e_.interpreter = std::string(string_at(*off, std::min<std::uint64_t>(*filesz, d_.size() - *off), 0));
            else
              note("PT_INTERP beyond end of file");
          }
          break;
        case PT_GNU_STACK:
          // Linux (fs/binfmt_elf.c, load_elf_binary) and glibc's loader (elf/rtld.c, elf/dl-load.c)
          // both loop over every program header and keep the flags of the last PT_GNU_STACK.
          e_.gnu_stack_flags = static_cast<std::uint32_t>(*flags);
          if (*flags & PF_X) e_.gnu_stack_any_exec = true;
          ++e_.gnu_stack_count;
          break;
        case PT_GNU_RELRO: e_.has_gnu_relro = true; break;
        default: break;
      }
    }
  }

  void read_dynamic() {
    std::uint64_t off = 0, size = 0;
    if (e_.has_dynamic) {
      off = dynamic_.offset, size = dynamic_.filesz;
    } else {
      // No PT_DYNAMIC: a shared object read through its sections only (or an object file).
      for (const Section& s : sections_)
        if (s.type == SHT_DYNAMIC) {
          off = s.offset, size = s.size;
          e_.has_dynamic = true;
          break;
        }
      if (!e_.has_dynamic) return;
    }
    const std::uint64_t ent = e_.bits == 32 ? 8 : 16;
    if (off >= d_.size()) {
      note("dynamic section beyond end of file");
      return;
    }
    std::uint64_t count = std::min<std::uint64_t>(size, d_.size() - off) / ent;
    if (size > d_.size() - off) note("dynamic section runs past end of file");
    if (count > opt_.limits.max_dynamic_entries) {
      note(fmt::format("dynamic section of {} entries, more than the {} read", count, opt_.limits.max_dynamic_entries));
      count = opt_.limits.max_dynamic_entries;
    }
    std::vector<std::uint64_t> needed, soname, rpath, runpath;
    for (std::uint64_t i = 0; i < count; ++i) {
      auto tag_u = addr(off + i * ent);
      auto val = addr(off + i * ent + ent / 2);
      if (!tag_u || !val) break;
      // d_tag is signed; sign-extend the ELF32 one so the processor-specific tags compare alike.
      std::int64_t tag = e_.bits == 32 ? static_cast<std::int32_t>(static_cast<std::uint32_t>(*tag_u))
                                       : static_cast<std::int64_t>(*tag_u);
      if (tag == DT_NULL) break;
      switch (tag) {
        case DT_NEEDED:
          if (needed.size() < opt_.limits.max_needed) needed.push_back(*val);
          break;
        case DT_SONAME: soname.push_back(*val); break;
        case DT_RPATH: rpath.push_back(*val); break;
        case DT_RUNPATH: runpath.push_back(*val); break;
        case DT_STRTAB: dt_strtab_ = *val; break;
        case DT_STRSZ: dt_strsz_ = *val; break;
        case DT_SYMTAB: dt_symtab_ = *val; break;
        case DT_SYMENT: dt_syment_ = *val; break;
        case DT_HASH: dt_hash_ = *val; break;
        case DT_GNU_HASH: dt_gnu_hash_ = *val; break;
        case DT_BIND_NOW: e_.bind_now = true; break;
        case DT_FLAGS: e_.dt_flags |= *val; break;
        case DT_FLAGS_1: e_.dt_flags_1 |= *val; break;
        case DT_DEBUG: e_.has_debug = true; break;
        case DT_TEXTREL: e_.textrel = true; break;
        default:
          // Processor-specific tags reuse numbers across architectures: only trust them on MIPS.
          if (e_.machine == EM_MIPS) {
            if (tag == DT_MIPS_SYMTABNO) dt_mips_symtabno_ = *val;
            if (tag == DT_MIPS_RLD_MAP || tag == DT_MIPS_RLD_MAP_REL) e_.has_mips_rld_map = true;
          }
          break;
      }
    }
    if (e_.dt_flags & DF_BIND_NOW || e_.dt_flags_1 & DF_1_NOW) e_.bind_now = true;
    if (e_.dt_flags & DF_TEXTREL) e_.textrel = true;
    // Dynamic strings: DT_STRTAB is an address; without it (or outside every PT_LOAD), the
    // .dynstr section the dynamic section's sh_link names.
    if (dt_strtab_) {
      if (auto o = vaddr_to_offset(*dt_strtab_)) {
        dynstr_off_ = *o;
        dynstr_size_ = dt_strsz_ ? *dt_strsz_ : d_.size() - std::min<std::uint64_t>(*o, d_.size());
      }
    }
    if (!dynstr_off_) {
      for (const Section& s : sections_)
        if (s.type == SHT_DYNAMIC && s.link < sections_.size() && sections_[s.link].type == SHT_STRTAB) {
          dynstr_off_ = sections_[s.link].offset;
          dynstr_size_ = sections_[s.link].size;
          break;
        }
    }
    if (!dynstr_off_) {
      if (!needed.empty() || !rpath.empty() || !runpath.empty() || !soname.empty())
        note("dynamic string table not found");
      return;
    }
    auto str = [&](std::uint64_t idx) { return std::string(string_at(*dynstr_off_, dynstr_size_, idx)); };
    for (auto v : needed) e_.needed.push_back(str(v));
    if (!soname.empty()) e_.soname = str(soname.front());
    // Several DT_RPATH/DT_RUNPATH entries are unusual; ld.so uses one, but list them all.
    auto join = [&](const std::vector<std::uint64_t>& from, std::string& to) {
      for (std::size_t i = 0; i < from.size() && i < 16; ++i) {
        if (i > 0) to.push_back(':');
        to.append(string_at(*dynstr_off_, dynstr_size_, from[i]));
      }
    };
    join(rpath, e_.rpath);
    join(runpath, e_.runpath);
  }

  std::optional<RawSymbol> symbol(std::uint64_t at) const {
    RawSymbol s;
    auto name = load(at, 4);
    auto info = load(at + (e_.bits == 32 ? 12 : 4), 1);
    auto shndx = load(at + (e_.bits == 32 ? 14 : 6), 2);
    if (!name || !info || !shndx) return std::nullopt;
    s.name = static_cast<std::uint32_t>(*name);
    s.bind = static_cast<unsigned>(*info >> 4);
    s.type = static_cast<unsigned>(*info & 0xf);
    s.shndx = static_cast<std::uint16_t>(*shndx);
    return s;
  }

  // Grants up to n symbol reads from the per-file budget.
  std::uint64_t take_symbols(std::uint64_t n) {
    const std::uint64_t left = opt_.limits.max_symbols - std::min(symbols_read_, opt_.limits.max_symbols);
    if (n > left) {
      note(fmt::format("symbol limit of {} reached", opt_.limits.max_symbols));
      n = left;
    }
    symbols_read_ += n;
    return n;
  }

  // Grants the bytes of one more kept name from the per-file budget.
  bool take_name(std::uint64_t n) {
    if (n > opt_.limits.max_name_bytes - std::min(name_bytes_, opt_.limits.max_name_bytes)) {
      note(fmt::format("symbol names beyond {} bytes not kept", opt_.limits.max_name_bytes));
      return false;
    }
    name_bytes_ += n;
    return true;
  }

  // Number of dynamic symbols from DT_GNU_HASH: one past the highest index any chain reaches.
  std::optional<std::uint64_t> gnu_hash_count(std::uint64_t off) {
    auto nbuckets = load(off, 4), symoffset = load(off + 4, 4), bloom_size = load(off + 8, 4);
    if (!nbuckets || !symoffset || !bloom_size) return std::nullopt;
    const std::uint64_t word = e_.bits == 32 ? 4 : 8;
    std::uint64_t buckets = off + 16 + *bloom_size * word;
    if (!table_fits(buckets, 4, *nbuckets)) return std::nullopt;
    std::uint64_t top = 0;
    for (std::uint64_t i = 0; i < *nbuckets; ++i) top = std::max(top, *load(buckets + 4 * i, 4));
    if (top < *symoffset) return *symoffset;  // every bucket empty
    std::uint64_t chains = buckets + 4 * *nbuckets;
    // Follow the last chain to its end marker (low bit set); the walk is bounded by the file.
    for (std::uint64_t i = top; i - *symoffset <= opt_.limits.max_symbols; ++i) {
      auto h = load(chains + 4 * (i - *symoffset), 4);
      if (!h) return std::nullopt;
      if (*h & 1) return i + 1;
    }
    return std::nullopt;
  }

  void read_dynamic_symbols() {
    std::uint64_t sym_off = 0, count = 0, entsize = e_.bits == 32 ? 16 : 24, str_off = 0, str_size = 0;
    bool found = false;
    for (const Section& s : sections_) {
      if (s.type != SHT_DYNSYM || s.link >= sections_.size()) continue;
      const Section& strs = sections_[s.link];
      if (s.entsize >= entsize) entsize = s.entsize;
      sym_off = s.offset, count = s.size / entsize, str_off = strs.offset, str_size = strs.size;
      e_.dynsym_source = ".dynsym";
      found = true;
      break;
    }
    if (!found && dt_symtab_ && dynstr_off_) {
      auto o = vaddr_to_offset(*dt_symtab_);
      if (!o) {
        note("DT_SYMTAB outside every loaded segment");
        return;
      }
      if (dt_syment_ && *dt_syment_ >= entsize && *dt_syment_ <= 256) entsize = *dt_syment_;
      sym_off = *o, str_off = *dynstr_off_, str_size = dynstr_size_;
      std::optional<std::uint64_t> n;
      if (dt_hash_)
        if (auto h = vaddr_to_offset(*dt_hash_)) {
          n = load(*h + 4, 4);  // nchain: the number of symbol table entries
          if (n) e_.dynsym_source = "DT_HASH";
        }
      if (!n && dt_gnu_hash_)
        if (auto h = vaddr_to_offset(*dt_gnu_hash_)) {
          n = gnu_hash_count(*h);
          if (n) e_.dynsym_source = "DT_GNU_HASH";
        }
      if (!n && dt_mips_symtabno_) {
        n = dt_mips_symtabno_;
        e_.dynsym_source = "DT_MIPS_SYMTABNO";
      }
      if (!n) {
        note("dynamic symbol count unknown (no DT_HASH, DT_GNU_HASH or section headers)");
        return;
      }
      count = *n;
      found = true;
    }
    if (!found) return;
    if (!table_fits(sym_off, entsize, count)) {
      note("dynamic symbol table runs past end of file");
      count = sym_off >= d_.size() ? 0 : (d_.size() - sym_off) / entsize;
    }
    count = take_symbols(count);
    for (std::uint64_t i = 1; i < count; ++i) {  // entry 0 is the reserved null symbol
      auto s = symbol(sym_off + i * entsize);
      if (!s) break;
      if (s->bind != STB_GLOBAL && s->bind != STB_WEAK && s->bind != STB_GNU_UNIQUE) continue;
      if (s->type == STT_SECTION || s->type == STT_FILE) continue;
      std::string_view n = string_at(str_off, str_size, s->name);
      if (n.empty()) continue;
      if (s->shndx != SHN_UNDEF && !opt_.exports) continue;
      if (!take_name(n.size())) break;
      (s->shndx == SHN_UNDEF ? e_.imports : e_.exports).emplace_back(n);
    }
  }

  void read_static_symbols() {
    if (!opt_.symtab_filter) return;
    for (const Section& s : sections_) {
      if (s.type != SHT_SYMTAB || s.link >= sections_.size()) continue;
      const std::uint64_t min_ent = e_.bits == 32 ? 16 : 24;
      const std::uint64_t entsize = s.entsize >= min_ent && s.entsize <= 256 ? s.entsize : min_ent;
      std::uint64_t count = s.size / entsize;
      if (!table_fits(s.offset, entsize, count)) {
        note(".symtab runs past end of file");
        count = s.offset >= d_.size() ? 0 : (d_.size() - s.offset) / entsize;
      }
      count = take_symbols(count);
      const Section& strs = sections_[s.link];
      for (std::uint64_t i = 1; i < count; ++i) {
        auto sym = symbol(s.offset + i * entsize);
        if (!sym) break;
        if (sym->type == STT_SECTION || sym->type == STT_FILE) continue;
        std::string_view n = string_at(strs.offset, strs.size, sym->name);
        if (n.empty() || !opt_.symtab_filter(n)) continue;
        if (!take_name(n.size())) break;
        e_.symtab_symbols.push_back({std::string(n), sym->shndx != SHN_UNDEF});
      }
      break;  // one static symbol table per file (gABI)
    }
  }

  ByteView d_;
  const ElfParseOptions& opt_;
  ElfFile& e_;
  unsigned notes_ = 0;
  std::vector<Section> sections_;
  std::vector<Segment> loads_;
  Segment dynamic_;
  std::optional<std::uint64_t> dt_strtab_, dt_strsz_, dt_symtab_, dt_syment_, dt_hash_, dt_gnu_hash_,
      dt_mips_symtabno_;
  std::optional<std::uint64_t> dynstr_off_;
  std::uint64_t dynstr_size_ = 0;
  std::uint64_t symbols_read_ = 0;
  std::uint64_t name_bytes_ = 0;
  std::optional<std::uint32_t> sec0_info_;
};

}  // namespace

Result<ElfFile> parse_elf(ByteView data, const ElfParseOptions& options) {
  if (!data.starts_with("\x7f" "ELF")) return fail(Errc::malformed, "no ELF magic");
  if (data.size() < 6) return fail(Errc::truncated, "ELF identification truncated");
  const std::uint8_t cls = data.data()[4], enc = data.data()[5];
  if (cls != 1 && cls != 2) return fail(Errc::malformed, "ELF class invalid");
  if (enc != 1 && enc != 2) return fail(Errc::malformed, "ELF data encoding invalid");
  ElfFile e;
  e.bits = cls == 1 ? 32 : 64;
  e.endian = enc == 1 ? Endian::little : Endian::big;
  if (data.size() < (e.bits == 32 ? 52u : 64u)) return fail(Errc::truncated, "ELF header truncated");
  Reader r(data, e.endian);
  TRY(r.seek(16));
  ASSIGN_OR_RETURN(e.type, r.u16());
  ASSIGN_OR_RETURN(e.machine, r.u16());
  TRY(r.skip(4));  // e_version
  std::uint64_t phoff = 0, shoff = 0;
  if (e.bits == 32) {
    TRY(r.skip(4));  // e_entry
    ASSIGN_OR_RETURN(std::uint32_t p, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t s, r.u32());
    phoff = p, shoff = s;
  } else {
    TRY(r.skip(8));
    ASSIGN_OR_RETURN(phoff, r.u64());
    ASSIGN_OR_RETURN(shoff, r.u64());
  }
  ASSIGN_OR_RETURN(e.flags, r.u32());
  TRY(r.skip(2));  // e_ehsize
  ASSIGN_OR_RETURN(std::uint16_t phentsize, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t phnum, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t shentsize, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t shnum, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t shstrndx, r.u16());
  Parser p(data, options, e);
  p.run(phoff, phentsize, phnum, shoff, shentsize, shnum, shstrndx);
  return e;
}

}  // namespace iotaudit::formats
