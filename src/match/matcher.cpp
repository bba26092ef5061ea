#include "match/matcher.hpp"

#include "core/trace.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>

#include <tbb/parallel_for.h>
#include <tbb/task_group.h>
#include <cctype>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/embedded_data.hpp"
#include "core/text.hpp"
#include "match/cpe.hpp"
#include "match/osv_match.hpp"

namespace iotaudit::match {

namespace {

// Kleene logic for configurations: a platform nobody can see from the firmware is unknown.
enum class Tri { no, unknown, yes };

Tri tri_and(Tri a, Tri b) { return a == Tri::no || b == Tri::no ? Tri::no : a == Tri::unknown || b == Tri::unknown ? Tri::unknown : Tri::yes; }
Tri tri_or(Tri a, Tri b) { return a == Tri::yes || b == Tri::yes ? Tri::yes : a == Tri::unknown || b == Tri::unknown ? Tri::unknown : Tri::no; }
Tri tri_not(Tri a) { return a == Tri::yes ? Tri::no : a == Tri::no ? Tri::yes : Tri::unknown; }

// A kernel version as the fix data is read for it, prepared once per subject rather than once per
// CVE (a kernel has thousands of candidate CVEs).
struct KernelVersion {
  std::string version, branch;
  bool pre_git = false;  // older than the git history (2.6.12): the fix data says little about it
};

struct Subject {
  const Component* c = nullptr;
  std::string version;  // comparable
  Scheme scheme = Scheme::generic;
  KernelVersion kernel;  // the scheme is kernel
  EqualityFilter equal;   // which exact versions may equal `version`
  std::vector<std::pair<std::string, std::string>> cpes;
  std::vector<std::string> keys;  // "vendor:product" of each entry of cpes
};

using ProductIndex = std::map<std::string, std::vector<std::size_t>, std::less<>>;

// "cpe:2.3:a:thekelleys:dnsmasq:..." -> "thekelleys:dnsmasq" (a view into the name, escapes kept).
std::string_view vendor_product_key(std::string_view cpe) { return cpe_attributes(cpe, 1, 2); }

// How a single cpeMatch entry relates to a subject.
struct EntryHit {
  bool hit = false;
  bool all_versions = false;  // the entry names every version ("*" without a range)
  std::string range;          // "versions >= 2.0, < 2.83" or "version 2.80"
};

// CpeMatch (decoded configurations) or ProductEntry (the product index): the same fields.
template <class Match>
std::string range_text(const Match& m) {
  std::string r;
  auto add = [&](const char* op, std::string_view v) {
    if (v.empty()) return;
    r += (r.empty() ? "" : ", ") + fmt::format("{} {}", op, v);
  };
  add(">=", m.start_including);
  add(">", m.start_excluding);
  add("<=", m.end_including);
  add("<", m.end_excluding);
  return r;
}

// The version and update attributes of a CPE name, as views (escapes kept); empty when absent.
void version_update(std::string_view cpe, std::string_view& version, std::string_view& update) {
  version = cpe_attributes(cpe, 3, 3);
  update = cpe_attributes(cpe, 4, 4);
}
void version_update(const CpeMatch& m, std::string_view& version, std::string_view& update) {
  version_update(m.criteria, version, update);
}
void version_update(const ProductEntry& e, std::string_view& version, std::string_view& update) {
  e.version_update(version, update);
}

std::string unescaped(std::string_view v) {
  return v.find('\\') == std::string_view::npos ? std::string(v) : cpe_unescape(v);
}

// Whether an entry has a version range (start or end, including or excluding).
template <class Match>
bool ranged_entry(const Match& m) {
  return !m.start_including.empty() || !m.start_excluding.empty() || !m.end_including.empty() ||
         !m.end_excluding.empty();
}

// `vu`: the entry's version and update attributes when the caller has them already.
template <class Match>
EntryHit entry_matches(const Match& m, const Subject& s,
                       const std::pair<std::string_view, std::string_view>* vu = nullptr) {
  EntryHit h;
  if (s.version.empty()) return h;
  const std::string& v = s.version;
  if (ranged_entry(m)) {
    auto cmp = [&](std::string_view bound) { return compare_versions(s.scheme, v, bound); };
    if (!m.start_including.empty() && cmp(m.start_including) < 0) return h;
    if (!m.start_excluding.empty() && cmp(m.start_excluding) <= 0) return h;
    if (!m.end_including.empty() && cmp(m.end_including) > 0) return h;
    if (!m.end_excluding.empty() && cmp(m.end_excluding) >= 0) return h;
    // A range on a specific version field ("1.0.2" with an update range) is rare; the range rules.
    h.hit = true;
    h.range = "versions " + range_text(m);
    return h;
  }
  std::string_view ver, upd;
  if (vu) std::tie(ver, upd) = *vu;
  else version_update(m, ver, upd);
  if (ver.empty()) return h;
  if (ver == "-") {
    // "Not applicable": for a platform ("running on Linux") it means any version of it.
    if (m.vulnerable) return h;
    h.hit = true;
    h.range = "any version";
    return h;
  }
  if (ver == "*") {
    h.hit = true;
    h.all_versions = true;
    h.range = "every version";
    return h;
  }
  bool plain = ver.find('\\') == std::string_view::npos && (upd.empty() || upd == "*" || upd == "-");
  if (plain) {
    if (!s.equal.may_equal(ver) || compare_versions(s.scheme, v, ver) != 0) return h;
    h.hit = true;
    h.range = "version " + std::string(ver);
    return h;
  }
  std::string want = unescaped(ver);
  if (!upd.empty() && upd != "*" && upd != "-") {
    // A specific update ("2.6.21:git1", "1.0.1:beta1") names a snapshot or pre-release: the
    // component's version must carry it, whatever the scheme ignores when comparing.
    std::string u = unescaped(upd);
    if (v.find(u) == std::string::npos) return h;
    want += "-" + u;
  }
  if (compare_versions(s.scheme, v, want) != 0) return h;
  h.hit = true;
  h.range = "version " + want;
  return h;
}

struct Eval {
  Tri state = Tri::no;
  bool self_hit = false;        // the subject itself satisfied a vulnerable entry
  bool all_versions = false;    // ... only through an every-version entry
  std::string criteria, range;  // the entry the subject satisfied
  std::vector<std::string> unverified;  // platform entries nobody could check
};

// The subject satisfied a vulnerable entry of a simple configuration.
void own_hit(Eval& e, std::string criteria, std::string range, bool all_versions) {
  e.state = Tri::yes;
  e.self_hit = true;
  e.all_versions = all_versions;
  e.criteria = std::move(criteria);
  e.range = std::move(range);
}

// How strongly a configuration's result says the subject is vulnerable: a sure result over an
// unverifiable platform, a precise entry over an every-version one. The first best one is kept.
int rank(const Eval& x) { return (x.state == Tri::yes ? 2 : 0) + (x.all_versions ? 0 : 1); }
void keep_best(Eval& best, Eval&& e) {
  if (e.self_hit && e.state != Tri::no && (!best.self_hit || rank(e) > rank(best))) best = std::move(e);
}

class Evaluator {
 public:
  Evaluator(const Subject& self, const std::vector<Subject>& all,
            const ProductIndex& by_cpe)
      : self_(self), all_(all), by_cpe_(by_cpe) {}

  Eval node(const ConfigNode& n, int depth) {
    Eval e;
    if (depth > 16) return e;
    bool first = true;
    auto combine = [&](Eval&& x) {
      if (first) {
        e.state = x.state;
        first = false;
      } else {
        e.state = n.and_op ? tri_and(e.state, x.state) : tri_or(e.state, x.state);
      }
      if (x.self_hit && x.state != Tri::no && (!e.self_hit || (e.all_versions && !x.all_versions))) {
        e.self_hit = true;
        e.all_versions = x.all_versions;
        e.criteria = std::move(x.criteria);
        e.range = std::move(x.range);
      }
      for (auto& u : x.unverified) e.unverified.push_back(std::move(u));
    };
    // Short cuts: an OR that holds with the subject's own hit, or an AND that fails, is decided.
    auto decided = [&] {
      return n.and_op ? (!first && e.state == Tri::no) : (e.state == Tri::yes && e.self_hit && !e.all_versions);
    };
    for (const auto& m : n.matches) {
      combine(entry(m));
      if (decided()) break;
    }
    if (!decided())
      for (const auto& c : n.children) {
        combine(node(c, depth + 1));
        if (decided()) break;
      }
    if (first) e.state = Tri::no;
    if (n.negate) {
      e.state = tri_not(e.state);
      e.self_hit = false;  // a negated entry never makes the subject vulnerable
    }
    if (e.state == Tri::no) e.self_hit = false;
    return e;
  }

  Eval configuration(const Configuration& c) {
    ConfigNode root;
    root.and_op = c.and_op;
    // Evaluate the configuration's nodes as children of one node with its operator.
    Eval e;
    bool first = true;
    for (const auto& n : c.nodes) {
      Eval x = node(n, 0);
      if (first) {
        e = std::move(x);
        first = false;
        continue;
      }
      Tri st = c.and_op ? tri_and(e.state, x.state) : tri_or(e.state, x.state);
      if (x.self_hit && x.state != Tri::no && (!e.self_hit || (e.all_versions && !x.all_versions))) {
        e.self_hit = true;
        e.all_versions = x.all_versions;
        e.criteria = x.criteria;
        e.range = x.range;
      }
      for (auto& u : x.unverified) e.unverified.push_back(std::move(u));
      e.state = st;
    }
    if (e.state == Tri::no) e.self_hit = false;
    return e;
  }

 private:
  Eval entry(const CpeMatch& m) {
    Eval e;
    std::string_view key = vendor_product_key(m.criteria);
    if (key.empty()) return e;
    // Configurations list hundreds of entries of one product in a row; look the name up once.
    if (key != last_key_) {
      last_key_ = key;
      last_it_ = by_cpe_.find(key);
    }
    auto it = last_it_;
    if (it == by_cpe_.end()) {
      // A vulnerable product the image does not contain; or a platform (hardware, operating
      // system, distribution) the firmware does not show, which nobody can verify.
      if (m.vulnerable) return e;
      e.state = Tri::unknown;
      e.unverified.push_back(m.criteria);
      return e;
    }
    bool own_product = false;
    for (std::size_t i : it->second) {
      if (all_[i].c != self_.c) continue;
      own_product = true;
      EntryHit self = entry_matches(m, self_);
      if (!self.hit) break;
      e.state = Tri::yes;
      if (m.vulnerable) {
        e.self_hit = true;
        e.all_versions = self.all_versions;
        e.criteria = m.criteria;
        e.range = self.range;
      }
      return e;
    }
    // Another version of the subject's own product elsewhere in the image does not make this
    // subject vulnerable; other products (platforms, co-required products) are looked up.
    if (own_product && m.vulnerable) return e;
    for (std::size_t i : it->second)
      if (all_[i].c != self_.c && entry_matches(m, all_[i]).hit) {
        e.state = Tri::yes;
        return e;
      }
    return e;  // identified, but at another version
  }

  const Subject& self_;
  const std::vector<Subject>& all_;
  const ProductIndex& by_cpe_;
  std::string_view last_key_;
  ProductIndex::const_iterator last_it_ = by_cpe_.end();
};

bool has_word(const std::string& text, const std::string& w) {
  for (std::size_t at = text.find(w); at != std::string::npos; at = text.find(w, at + 1)) {
    bool l = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    std::size_t e = at + w.size();
    bool r = e >= text.size() || !std::isalnum(static_cast<unsigned char>(text[e]));
    if (l && r) return true;
  }
  return false;
}


// "2.6.36.4" -> "2.6.36"; "4.14.180" -> "4.14".
std::string kernel_branch(const std::string& v) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : v) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      cur += c;
    } else {
      break;
    }
  }
  parts.push_back(cur);
  std::size_t n = !parts.empty() && parts[0] == "2" ? 3 : 2;
  if (parts.size() < n) return "";
  std::string b;
  for (std::size_t i = 0; i < n; ++i) b += (i ? "." : "") + parts[i];
  return b;
}

std::string strip_v(const std::string& s) { return !s.empty() && s[0] == 'v' ? s.substr(1) : s; }

// The kernel data's verdict on one CVE for one kernel version; nullopt: no usable data.
struct KernelVerdict {
  bool affected = false;
  std::string reason;
  std::string confidence;
};


// A configuration that is only OR nodes of vulnerable, non-negated entries (most NVD
// configurations: "versions up to X" plus long lists of exact versions). It holds for a subject
// exactly when one of the entries naming the subject's products matches its version, so it is
// evaluated without the general evaluator: ranges one by one, then exact versions.
struct SimpleConfig {
  bool simple = false;
  std::vector<const CpeMatch*> linear;  // ranges, every-version and update-specific entries
  std::vector<std::pair<std::string, const CpeMatch*>> exact;  // unescaped version, entry
};

struct Candidate {
  StoredCve cve;
  std::vector<Configuration> configs;
  std::vector<SimpleConfig> simple;  // parallel to configs
};

// Whether the version and update attributes of an entry without a range name an exact version.
bool exact_attributes(std::string_view ver, std::string_view upd) {
  bool plain_update = upd.empty() || upd == "*" || upd == "-";
  return !(ver == "*" || ver == "-" || ver.empty() || !plain_update);
}
// Whether an entry is an exact version (compared by equality, possibly after sorting) rather than
// a range, every version, or a specific update; `ver`, its version, is set when it is.
template <class Match>
bool exact_entry(const Match& m, std::string_view& ver) {
  if (ranged_entry(m)) return false;  // a range: its version attribute is not looked at
  std::string_view upd;
  version_update(m, ver, upd);
  return exact_attributes(ver, upd);
}

SimpleConfig make_simple(const Configuration& c) {
  SimpleConfig sc;
  if (!simple_configuration(c)) return sc;
  sc.simple = true;
  for (const auto& n : c.nodes)
    for (const auto& m : n.matches) {
      std::string_view ver;
      if (exact_entry(m, ver)) sc.exact.emplace_back(unescaped(ver), &m);
      else sc.linear.push_back(&m);
    }
  return sc;
}

bool names_subject(std::string_view criteria, const std::vector<std::string>& keys) {
  std::string_view key = vendor_product_key(criteria);
  for (const auto& k : keys)
    if (k == key) return true;
  return false;
}

// A simple configuration for a subject: the first range (or every-version) entry naming it that
// holds, then, unless a precise hit was found, the first exact version equal to its own.
Eval evaluate_simple(const SimpleConfig& sc, const Subject& s) {
  Eval e;
  for (const CpeMatch* mp : sc.linear) {
    if (!names_subject(mp->criteria, s.keys)) continue;
    EntryHit h = entry_matches(*mp, s);
    if (!h.hit || (e.self_hit && !e.all_versions)) continue;
    own_hit(e, mp->criteria, std::move(h.range), h.all_versions);
  }
  if ((!e.self_hit || e.all_versions) && !sc.exact.empty())
    for (const auto& [ver, mp] : sc.exact)
      if (s.equal.may_equal(ver) && compare_versions(s.scheme, ver, s.version) == 0 &&
          names_subject(mp->criteria, s.keys)) {
        own_hit(e, mp->criteria, "version " + ver, false);
        break;
      }
  return e;
}

// Looked up by CVE id several times per candidate (a kernel has 4,000): hashed, not ordered.
struct KernelData {
  std::unordered_map<std::string, KernelRange> ranges;
  std::unordered_map<std::string, std::vector<KernelFix>> fixes;  // of the branches loaded so far
  std::map<std::string, std::vector<std::string>> branches;       // loaded: the CVEs fixed on each, sorted
  std::vector<std::string> ids;                                   // of the ranges, sorted
};

KernelVersion kernel_version(const std::string& v) {
  return {v, kernel_branch(v), compare_versions(Scheme::kernel, v, "2.6.12") < 0};
}

// What the kernel data says about one CVE for one version, before it is put in words: deciding is
// done for every candidate, wording only for the verdicts that are reported.
struct KernelDecision {
  enum class Basis { not_upstream, introduced_after_history, introduced_later, branch_fix, mainline_fix };
  Basis basis;
  bool affected = false;
  const char* confidence = "high";
  const KernelRange* range = nullptr;
  const KernelFix* fix = nullptr;
  bool intro_known = false;
};

// The kernel CVE data describes the git era: "introduced in v2.6.12-rc2" (the first commit of the
// history) means "before git"; versions older than 2.6.12 are left to NVD. nullopt: no usable data.
std::optional<KernelDecision> kernel_decision(const KernelData& kd, const std::string& cve, const KernelVersion& kv,
                                              bool in_nvd) {
  using Basis = KernelDecision::Basis;
  const KernelRange* range = nullptr;
  if (auto it = kd.ranges.find(cve); it != kd.ranges.end()) range = &it->second;
  auto fit = kd.fixes.find(cve);
  const std::vector<KernelFix>* fixes = fit == kd.fixes.end() ? nullptr : &fit->second;
  const bool no_fixes = fixes == nullptr || fixes->empty();
  if (!range && no_fixes) return std::nullopt;
  if (range && range->note == "CVE Caused by Backporting") return std::nullopt;
  if (range && !range->note.empty() && range->introduced.empty() && range->fixed.empty() && no_fixes)
    return KernelDecision{Basis::not_upstream, false, "high", range, nullptr, false};
  const bool intro_known = range && !range->introduced.empty() && range->introduced != "v2.6.12-rc2";
  if (kv.pre_git) {
    // A bug introduced by a git-era commit is not in kernels older than the history; anything
    // else about such old kernels is left to NVD.
    if (intro_known) return KernelDecision{Basis::introduced_after_history, false, "high", range, nullptr, true};
    return std::nullopt;
  }
  if (intro_known && compare_versions(Scheme::kernel, kv.version, strip_v(range->introduced)) < 0)
    return KernelDecision{Basis::introduced_later, false, "high", range, nullptr, true};
  if (fixes)
    for (const auto& f : *fixes)
      if (f.branch == kv.branch && !f.fixed.empty())
        return KernelDecision{Basis::branch_fix, compare_versions(Scheme::kernel, kv.version, f.fixed) < 0, "high",
                              range, &f, intro_known};
  if (range && !range->fixed.empty()) {
    bool vuln = compare_versions(Scheme::kernel, kv.version, strip_v(range->fixed)) < 0;
    // Without a backport to this branch, the claim rests on when the bug appeared: known, or
    // assumed from the start as NVD also does (medium), or assumed by the kernel data alone (low).
    const char* conf = !vuln ? "high" : intro_known || in_nvd ? "medium" : "low";
    return KernelDecision{Basis::mainline_fix, vuln, conf, range, nullptr, intro_known};
  }
  return std::nullopt;
}

KernelVerdict kernel_words(const KernelDecision& d, const KernelVersion& kv) {
  using Basis = KernelDecision::Basis;
  std::string reason;
  switch (d.basis) {
    case Basis::not_upstream:
      reason = fmt::format("the kernel CVE list marks it '{}': not in the upstream kernel", d.range->note);
      break;
    case Basis::introduced_after_history:
      reason = fmt::format("introduced in {}, after the {} line", d.range->introduced, kv.version);
      break;
    case Basis::introduced_later:
      reason = fmt::format("introduced in {}, after {}", d.range->introduced, kv.version);
      break;
    case Basis::branch_fix:
      reason = fmt::format("{} in {} on the {} branch{}", d.affected ? "fixed only" : "fixed", d.fix->fixed, kv.branch,
                           d.intro_known ? fmt::format(" (introduced in {})", d.range->introduced) : "");
      break;
    case Basis::mainline_fix:
      reason = d.affected ? fmt::format("fixed in mainline {}, no fix recorded for the {} branch{}", d.range->fixed,
                                        kv.branch,
                                        d.intro_known ? fmt::format(" (introduced in {})", d.range->introduced)
                                                      : ", introduction unknown")
                          : fmt::format("fixed in mainline {}, before {}", d.range->fixed, kv.version);
      break;
  }
  return KernelVerdict{d.affected, std::move(reason), d.confidence};
}

std::optional<KernelVerdict> kernel_verdict(const KernelData& kd, const std::string& cve, const KernelVersion& kv,
                                            bool in_nvd) {
  auto d = kernel_decision(kd, cve, kv, in_nvd);
  if (!d) return std::nullopt;
  return kernel_words(*d, kv);
}

}  // namespace

namespace {

// The release series of a version: OpenSSL before 3 has three numbers (0.9.8, 1.0.2), from 3 on
// two (3.0); other products drop the last number (dnsmasq 2.77 -> 2, BusyBox 1.27.2 -> 1.27).
std::string series_of(std::string_view v, Scheme scheme) {
  std::vector<std::string> nums;
  std::string cur;
  for (char ch : v) {
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      cur += ch;
    } else if (ch == '.' && !cur.empty()) {
      nums.push_back(cur);
      cur.clear();
    } else {
      break;
    }
  }
  if (!cur.empty()) nums.push_back(cur);
  std::size_t keep = scheme == Scheme::openssl ? (!nums.empty() && nums[0] != "0" && nums[0] != "1" ? 2 : 3)
                                               : (nums.size() > 1 ? nums.size() - 1 : 0);
  if (keep == 0 || nums.size() < keep) return "";
  std::string out;
  for (std::size_t i = 0; i < keep; ++i) out += (i ? "." : "") + nums[i];
  return out;
}

}  // namespace

std::string description_fix_for_series(std::string_view d, std::string_view version, Scheme scheme) {
  // Every "before VERSION" in the text.
  std::vector<std::string> bounds;
  for (std::size_t at = d.find("before "); at != std::string_view::npos; at = d.find("before ", at + 7)) {
    std::size_t b = at + 7, e = b;
    while (e < d.size() && (std::isalnum(static_cast<unsigned char>(d[e])) || d[e] == '.' || d[e] == '-')) ++e;
    while (e > b && (d[e - 1] == '.' || d[e - 1] == '-')) --e;
    std::string_view v = d.substr(b, e - b);
    if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && v.find('.') != std::string_view::npos)
      bounds.emplace_back(v);
  }
  std::set<std::string> series;
  for (const auto& b : bounds) series.insert(series_of(b, scheme));
  series.erase("");
  if (series.size() < 2) return "";
  std::string own = series_of(version, scheme);
  for (const auto& b : bounds)
    if (!own.empty() && series_of(b, scheme) == own) return b;
  return "";
}

std::string kernel_arch_dir(std::string_view m) {
  if (m == "MIPS") return "mips";
  if (m == "ARM") return "arm";
  if (m == "AArch64") return "arm64";
  if (m == "x86" || m == "x86-64") return "x86";
  if (m == "PowerPC" || m == "PowerPC64") return "powerpc";
  if (m == "SuperH") return "sh";
  if (m == "SPARC") return "sparc";
  if (m == "Xtensa") return "xtensa";
  if (m == "RISC-V") return "riscv";
  return "";
}

std::string component_ref(const Component& c) { return fmt::format("component:{}@{}", c.id, c.version); }

std::string comparable_version(const Component& c) {
  bool dpkg = false;
  for (const auto& o : c.occurrences) dpkg = dpkg || o.method == "package-db:dpkg";
  std::string v = c.version;
  if (dpkg || v.find(':') != std::string::npos) {
    if (auto colon = v.find(':'); colon != std::string::npos && colon < 4) v = v.substr(colon + 1);
    if (dpkg)
      if (auto dash = v.rfind('-'); dash != std::string::npos && dash > 0) v = v.substr(0, dash);
  }
  return v;
}

Result<MatchData> MatchData::parse(std::string_view text) {
  MatchData d;
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& p : j.at("products")) {
      ProductRule r;
      r.component = p.at("component").get<std::string>();
      std::string scheme = p.value("scheme", "generic");
      auto s = scheme_from_name(scheme);
      if (!s) return fail(Errc::malformed, fmt::format("products.json: {}: unknown scheme '{}'", r.component, scheme));
      r.scheme = *s;
      for (const auto& c : p.at("cpe")) {
        std::string vp = c.get<std::string>();
        auto colon = vp.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == vp.size())
          return fail(Errc::malformed, fmt::format("products.json: {}: '{}' is not vendor:product", r.component, vp));
        r.cpes.emplace_back(vp.substr(0, colon), vp.substr(colon + 1));
      }
      if (d.products.count(r.component))
        return fail(Errc::malformed, fmt::format("products.json: {} listed twice", r.component));
      d.products[r.component] = std::move(r);
    }
    if (j.contains("features"))
      for (const auto& f : j["features"]) {
        FeatureRule r;
        r.component = f.at("component").get<std::string>();
        r.words = f.at("words").get<std::vector<std::string>>();
        r.unless = f.value("unless", std::vector<std::string>{});
        // "since": the first version with the feature; "never": the product has never had it (the
        // CVE concerns a distribution's patch).
        r.never = f.value("never", false);
        r.since = r.never ? "" : f.at("since").get<std::string>();
        r.basis = f.at("basis").get<std::string>();
        d.features.push_back(std::move(r));
      }
    if (j.contains("busybox_applets"))
      for (const auto& [w, applets] : j["busybox_applets"].at("words").items())
        d.busybox_words[w] = applets.get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::malformed, fmt::format("products.json: {}", e.what()));
  }
  return d;
}

Result<MatchData> MatchData::builtin() {
  auto text = embedded::file("vulndb/products.json");
  if (!text) return fail(Errc::internal, "data/vulndb/products.json is not compiled in");
  return parse(*text);
}

namespace {

// A CVE naming one of a subject's products, as the product index gives it.
// The entries of an indexed CVE, decoded in configuration order; each exact version unescaped,
// and the exact versions of a configuration with many sorted under the product's scheme.
struct DecodedEntries {
  std::vector<std::pair<ProductEntry, unsigned>> entries;  // entry, segment
  std::vector<std::string_view> exact;                     // parallel: the exact version, or empty
  std::deque<std::string> unescaped;                       // storage for escaped exact versions
  std::map<std::size_t, std::vector<std::uint32_t>> sorted;  // configuration's first entry -> by version
};

struct IndexedCve {
  std::int64_t rowid = 0;  // 0: a kernel CVE only the kernel fix data knows of
  std::string id;
  // Every configuration naming the subject's products is simple: decided from the index's
  // entries naming them (one segment per product name), without the record.
  bool simple = true;
  struct Segment {
    std::string_view packed, vendor, product;
  };
  std::vector<Segment> segments;
  std::unique_ptr<DecodedEntries> decoded;  // kept when several subjects share the list
  std::shared_ptr<Candidate> full;  // not simple: the record and its decoded configurations
};

struct CandidateList {
  std::vector<IndexedCve> items;  // by row id, then the kernel fix data's own CVEs
  TextArena arena;                // the segments' bytes and names
  // A kernel's list: whether the CVEs of the fix data's ranges were added, and the branches whose
  // fixed CVEs were (a CVE the data knows only by a fix on another branch cannot be decided for a
  // kernel of this branch, and NVD does not name it for the kernel: it cannot match).
  bool range_ids = false;
  std::set<std::string> fix_branches;
};

// False when the packed entries do not decode (a damaged or hostile database): the candidate is
// then decided from its configurations.
bool decode_entries(const IndexedCve& ic, DecodedEntries& d, Scheme scheme, bool sort) {
  d.entries.clear();
  d.exact.clear();
  d.unescaped.clear();
  d.sorted.clear();
  for (unsigned k = 0; k < ic.segments.size(); ++k) {
    ProductEntryReader r(ic.segments[k].packed);
    ProductEntry e;
    while (r.next(e)) d.entries.emplace_back(e, k);
    if (!r.complete()) return false;
  }
  // Entries of several product names (aliases of one product) interleave as in the configuration.
  if (ic.segments.size() > 1)
    std::stable_sort(d.entries.begin(), d.entries.end(), [](const auto& a, const auto& b) {
      return a.first.config != b.first.config ? a.first.config < b.first.config : a.first.ordinal < b.first.ordinal;
    });
  d.exact.resize(d.entries.size());
  for (std::size_t k = 0; k < d.entries.size(); ++k) {
    std::string_view ver;
    if (!exact_entry(d.entries[k].first, ver)) continue;
    d.exact[k] = ver.find('\\') == std::string_view::npos ? ver : d.unescaped.emplace_back(cpe_unescape(ver));
  }
  if (!sort) return true;
  const std::size_t n = d.entries.size();
  for (std::size_t i = 0, j = 0; i < n; i = j) {
    std::vector<std::uint32_t> idx;
    for (j = i; j < n && d.entries[j].first.config == d.entries[i].first.config; ++j)
      if (!d.exact[j].empty()) idx.push_back(static_cast<std::uint32_t>(j));
    if (idx.size() <= 8) continue;
    std::stable_sort(idx.begin(), idx.end(), [&](std::uint32_t x, std::uint32_t y) {
      return compare_versions(scheme, d.exact[x], d.exact[y]) < 0;
    });
    d.sorted.emplace(i, std::move(idx));
  }
  return true;
}

// The simple configurations of an indexed CVE, evaluated as evaluate_simple() evaluates each:
// per configuration, the first range (or every-version) entry that holds, then, unless a precise
// hit was found, the first exact version equal to the subject's; the best configuration is the
// first precise hit, else the first every-version hit.
Eval evaluate_indexed(const IndexedCve& ic, const DecodedEntries& d, const Subject& s) {
  Eval best;
  auto criteria = [&](std::size_t k) {
    const auto& seg = ic.segments[d.entries[k].second];
    return d.entries[k].first.criteria(seg.vendor, seg.product);
  };
  const std::size_t n = d.entries.size();
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && d.entries[j].first.config == d.entries[i].first.config) ++j;
    Eval e;
    for (std::size_t k = i; k < j; ++k) {
      if (!d.exact[k].empty()) continue;
      EntryHit h = entry_matches(d.entries[k].first, s);
      if (!h.hit || (e.self_hit && !e.all_versions)) continue;
      own_hit(e, criteria(k), std::move(h.range), h.all_versions);
    }
    if (!e.self_hit || e.all_versions) {
      std::size_t hit = n;
      if (auto sorted = d.sorted.find(i); sorted != d.sorted.end()) {
        const auto& idx = sorted->second;
        auto it = std::lower_bound(idx.begin(), idx.end(), s.version, [&](std::uint32_t x, const std::string& v) {
          return compare_versions(s.scheme, d.exact[x], v) < 0;
        });
        if (it != idx.end() && compare_versions(s.scheme, d.exact[*it], s.version) == 0) hit = *it;
      } else {
        for (std::size_t k = i; k < j && hit == n; ++k)
          if (!d.exact[k].empty() && s.equal.may_equal(d.exact[k]) &&
              compare_versions(s.scheme, d.exact[k], s.version) == 0)
            hit = k;
      }
      if (hit != n) own_hit(e, criteria(hit), "version " + std::string(d.exact[hit]), false);
    }
    i = j;
    keep_best(best, std::move(e));
  }
  return best;
}

// evaluate_indexed() for a CVE whose entries all name one product name (one segment), straight
// from the packed entries: no list is decoded first (a kernel's 1,500 such CVEs have tens of
// thousands of entries). Within a configuration, an exact version is checked only until the first
// equal one, and not once a precise range entry has held: neither would change the result.
// nullopt when the entries do not decode.
std::optional<Eval> evaluate_packed(const IndexedCve& ic, const Subject& s) {
  Eval best;
  const IndexedCve::Segment& seg = ic.segments.front();
  ProductEntryReader r(seg.packed);
  ProductEntry e;
  bool more = r.next(e);
  while (more) {
    const std::uint32_t config = e.config;
    Eval ev;
    std::optional<ProductEntry> exact_hit;
    std::string exact_version;
    for (; more && e.config == config; more = r.next(e)) {
      if (ev.self_hit && !ev.all_versions) continue;  // nothing after a precise hit counts
      std::pair<std::string_view, std::string_view> vu;  // version and update, read once
      const bool ranged = ranged_entry(e);
      if (!ranged) e.version_update(vu.first, vu.second);
      if (!ranged && exact_attributes(vu.first, vu.second)) {
        std::string_view ver = vu.first;
        if (exact_hit) continue;
        std::string unescaped_ver;
        if (ver.find('\\') != std::string_view::npos) ver = unescaped_ver = cpe_unescape(ver);
        if (s.equal.may_equal(ver) && compare_versions(s.scheme, ver, s.version) == 0) {
          exact_hit = e;
          exact_version = std::string(ver);
        }
        continue;
      }
      EntryHit h = entry_matches(e, s, ranged ? nullptr : &vu);
      if (!h.hit) continue;
      own_hit(ev, e.criteria(seg.vendor, seg.product), std::move(h.range), h.all_versions);
    }
    if ((!ev.self_hit || ev.all_versions) && exact_hit)
      own_hit(ev, exact_hit->criteria(seg.vendor, seg.product), "version " + exact_version, false);
    keep_best(best, std::move(ev));
  }
  if (!r.complete()) return std::nullopt;
  return best;
}

}  // namespace

constexpr std::size_t kHelperSubjects = 64;

// How many parallel pieces a subject's list of n candidates or matches is cut into: at least 64
// items each, at most 16 pieces.
std::size_t chunk_count(std::size_t n) { return std::max<std::size_t>(1, std::min<std::size_t>(16, n / 64)); }

struct Matcher::Cache {
  KernelData kd;
  bool kernel_loaded = false;
  std::map<std::string, CandidateList> candidates;  // by scheme and product names
  // Records of matched CVEs: by row id (read without configuration) and, for CVEs only the kernel
  // fix data names, by id.
  std::map<std::int64_t, std::shared_ptr<const StoredCve>> records;
  std::map<std::string, std::shared_ptr<const StoredCve>> kernel_records;
  std::map<std::string, KevInfo> kev;
  bool kev_loaded = false;
  // A second read-only connection to the same file: KEV and the kernel fix data load, and half of
  // the matched records are read, on it while the main connection reads the product index (a
  // connection is not shared between threads). Without it (it could not be opened) all reads go
  // through the main connection, in the same order.
  std::unique_ptr<VulnDb> helper;
  // open_second_connection_early(): a thread of its own (not a TBB task: its waits must not run
  // other tasks, and must not depend on a TBB worker being free) opens the helper and loads the
  // common data through it. KEV is announced first: a match without a kernel needs nothing else
  // of it, and goes on while the kernel data loads.
  std::thread opener;
  std::mutex opener_mutex;
  std::condition_variable opener_cv;
  bool kev_announced = false, opener_done = false;
  void announce(bool& what) {
    {
      std::lock_guard<std::mutex> lock(opener_mutex);
      what = true;
    }
    opener_cv.notify_all();
  }
  // Whether an opener was started; then waits until it has loaded KEV (or given up), or finished.
  bool wait_for_opener(bool whole) {
    if (!opener.joinable()) return false;
    std::unique_lock<std::mutex> lock(opener_mutex);
    opener_cv.wait(lock, [&] { return opener_done || (!whole && kev_announced); });
    return true;
  }
  ~Cache() {
    if (opener.joinable()) opener.join();
  }

  // KEV, and with `kernel` the kernel fix data's ranges and CVE ids: small, read whole (per-CVE
  // queries would dominate), once per Matcher.
  void load_common(VulnDb& db, bool kernel) {
    if (!kev_loaded) {
      for (auto& [id, info] : db.all_kev()) kev.emplace(std::move(id), std::move(info));
      kev_loaded = true;
    }
    if (!kernel || kernel_loaded) return;
    auto ranges = db.all_kernel_ranges();
    std::vector<std::string> range_ids;
    range_ids.reserve(ranges.size());
    kd.ranges.reserve(ranges.size());
    for (auto& r : ranges) {
      range_ids.push_back(r.cve_id);
      std::string id = r.cve_id;
      kd.ranges.emplace(std::move(id), std::move(r));
    }
    // They come in key order from the database (std::sort costs n log n even then); sorted here
    // only if not.
    if (!std::is_sorted(range_ids.begin(), range_ids.end())) std::sort(range_ids.begin(), range_ids.end());
    range_ids.erase(std::unique(range_ids.begin(), range_ids.end()), range_ids.end());
    kd.ids = std::move(range_ids);
    kernel_loaded = true;
  }
};

Matcher::Matcher(VulnDb& db, const MatchData& data) : db_(db), data_(data) {}
Matcher::~Matcher() = default;  // the cache joins its opener
bool Matcher::second_connection_open() const {
  if (!cache_) return false;
  cache_->wait_for_opener(true);
  return cache_->helper != nullptr;
}
void Matcher::open_second_connection_early() {
  if (!second_connection_) return;
  if (!cache_) cache_ = std::make_unique<Cache>();
  if (cache_->opener.joinable()) return;  // started before
  // The data every match needs is read as soon as the connection is open, before the first SBOM
  // is parsed: the kernel's (9 M instructions) too, whether or not an SBOM has a kernel, as this
  // runs on a core that is otherwise idle then.
  cache_->opener = std::thread([c = cache_.get(), path = db_.path()] {
    try {
      if (auto h = VulnDb::open(path, false)) {
        c->helper = std::move(*h);
        if (c->helper->begin_read()) {
          c->load_common(*c->helper, false);
          c->announce(c->kev_announced);
          trace::mark("match: second connection open, KEV loaded");
          c->load_common(*c->helper, true);
          c->helper->end_read();
          trace::mark("match: kernel fix data loaded (second connection)");
        }
      }
    } catch (...) {
      // Out of memory: the matcher reads everything through its own connection instead (what
      // was loaded stays; the rest is loaded there).
      c->helper.reset();
    }
    c->announce(c->opener_done);
  });
}

std::vector<VulnMatch> Matcher::match(const std::vector<Component>& components, MatchStats* stats) {
  MatchStats st;
  bool in_read = static_cast<bool>(db_.begin_read());
  struct EndRead {
    VulnDb& db;
    bool active;
    ~EndRead() {
      if (active) db.end_read();
    }
  } end_read{db_, in_read};
  std::vector<Subject> subjects;
  subjects.reserve(components.size());
  for (const auto& c : components) {
    Subject s;
    s.c = &c;
    s.version = comparable_version(c);
    auto rule = data_.products.find(c.id);
    if (rule != data_.products.end()) {
      s.scheme = rule->second.scheme;
      s.cpes = rule->second.cpes;
    }
    if (auto cpe = parse_cpe(c.cpe)) {
      std::pair<std::string, std::string> own{cpe->vendor(), cpe->product()};
      if (std::find(s.cpes.begin(), s.cpes.end(), own) == s.cpes.end()) s.cpes.insert(s.cpes.begin(), own);
    }
    if (s.scheme == Scheme::kernel) s.kernel = kernel_version(s.version);
    s.equal = EqualityFilter(s.scheme, s.version);
    subjects.push_back(std::move(s));
  }
  ProductIndex by_cpe;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    for (const auto& [v, p] : subjects[i].cpes) subjects[i].keys.push_back(v + ":" + p);
    for (const auto& k : subjects[i].keys) by_cpe[k].push_back(i);
  }

  // Kept by the Matcher between calls: a fleet's SBOMs repeat products and kernel versions, and
  // their candidates, decoded configurations, records and kernel verdict data are read once.
  if (!cache_) cache_ = std::make_unique<Cache>();
  Cache& cache = *cache_;
  KernelData& kd = cache.kd;
  auto& candidate_cache = cache.candidates;
  const std::map<std::string, KevInfo>& kev = cache.kev;
  auto eligible = [](const Subject& s) {
    return !s.version.empty() && plausible_version(s.scheme, s.version) && !s.cpes.empty();
  };
  // Verdicts for a kernel version look only at the fixes of its own branch.
  bool any_kernel = false;
  std::size_t n_eligible = 0;
  std::vector<std::string> new_branches;
  for (const auto& s : subjects) {
    if (!eligible(s)) continue;
    ++n_eligible;
    if (s.scheme != Scheme::kernel) continue;
    any_kernel = true;
    if (!kd.branches.count(s.kernel.branch) &&
        std::find(new_branches.begin(), new_branches.end(), s.kernel.branch) == new_branches.end())
      new_branches.push_back(s.kernel.branch);
  }
  // KEV, the kernel fix data, and the fixes on the SBOM's kernel branches.
  auto load_shared = [&](VulnDb& db) {
    cache.load_common(db, any_kernel);
    for (const auto& branch : new_branches) {
      std::vector<std::string>& ids = kd.branches[branch];
      for (auto& f : db.kernel_fixes_on(branch)) {
        ids.push_back(f.cve_id);
        kd.fixes[f.cve_id].push_back(std::move(f));
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
  };
  // The helper connection opens and loads while the main one reads the product index below.
  bool helper_loaded = false;
  bool helper_reading = false;
  struct EndHelperRead {
    Cache& cache;
    bool& active;
    ~EndHelperRead() {
      if (active) cache.helper->end_read();
    }
  } end_helper_read{cache, helper_reading};
  tbb::task_group helper_work;  // waited for before the read above ends
  // Worth its opening (1-2 ms) where there is much to read: a Linux kernel has 1,000-4,000
  // candidates and about as many matched records; a few user-space programs have a few hundred.
  const bool want_helper = second_connection_ && (any_kernel || n_eligible >= kHelperSubjects);
  if (want_helper) {
    open_second_connection_early();  // opens it now unless that was done before
    helper_work.run([&] {
      cache.wait_for_opener(true);
      if (!cache.helper) return;
      helper_reading = static_cast<bool>(cache.helper->begin_read());
      load_shared(*cache.helper);
      helper_loaded = true;
      trace::mark("match: kernel branch fixes loaded (second connection)");
    });
  }
  // Phase 1, serial on the main connection: each subject's candidates from the product index.
  std::vector<CandidateList*> cand_of(subjects.size(), nullptr);
  for (std::size_t si = 0; si < subjects.size(); ++si) {
    const Subject& s = subjects[si];
    ++st.components;
    if (!eligible(s)) {
      st.without_version += s.version.empty() || !plausible_version(s.scheme, s.version);
      continue;
    }
    // The candidates depend only on the product names: images and fleets repeat products, and
    // each list is read once.
    std::string cache_key(to_string(s.scheme));
    for (const auto& k : s.keys) cache_key += "|" + k;
    auto cached = candidate_cache.find(cache_key);
    if (cached == candidate_cache.end()) {
      CandidateList list;
      std::map<std::int64_t, std::size_t> at;
      for (const auto& [v, p] : s.cpes) {
        std::string_view vendor = list.arena.keep(v), product = list.arena.keep(p);
        db_.product_rows(v, p, [&](const ProductRow& row) {
          auto [it, fresh] = at.emplace(row.rowid, list.items.size());
          if (fresh) {
            list.items.emplace_back();
            list.items.back().rowid = row.rowid;
            list.items.back().id = std::string(row.cve_id);
          }
          IndexedCve& ic = list.items[it->second];
          if (!row.simple) ic.simple = false;
          if (ic.simple) ic.segments.push_back({list.arena.keep(row.entries), vendor, product});
        });
      }
      std::sort(list.items.begin(), list.items.end(),
                [](const IndexedCve& a, const IndexedCve& b) { return a.rowid < b.rowid; });
      for (auto& ic : list.items)
        if (!ic.simple) ic.segments.clear();
      cached = candidate_cache.emplace(cache_key, std::move(list)).first;
    }
    cand_of[si] = &cached->second;
  }
  trace::mark("match: product index read");
  // Entries that do not decode are found as they are read (below, and when candidates are
  // decided), and those candidates decided from their configurations: checking a kernel's 1.45 MB
  // of entries first cost 13.5 M instructions.
  helper_work.wait();
  if (!helper_loaded) {
    cache.wait_for_opener(any_kernel);  // an early opener may still be loading into the cache
    load_shared(db_);
  }
  // A candidate decided from its record's configurations (not simple, or its index entries do not
  // decode): the record is read on this connection; nullptr when there is none, or it was read.
  auto read_full = [&](IndexedCve& ic) -> Candidate* {
    ic.simple = false;
    ic.segments.clear();
    ic.decoded.reset();
    if (ic.full || ic.rowid == 0) return nullptr;
    auto cve = db_.cve_by_rowid(ic.rowid);
    if (!cve) return nullptr;
    ic.full = std::make_shared<Candidate>(Candidate{std::move(*cve), {}, {}});
    return ic.full.get();
  };
  auto decode_full = [](Candidate& cand) {
    if (auto cfg = unpack_configurations(cand.cve.packed_config)) cand.configs = std::move(*cfg);
    for (const auto& conf : cand.configs) cand.simple.push_back(make_simple(conf));
  };
  // Phase 1b: kernel CVEs NVD does not file under the kernel, which the fix data may decide (those
  // of its ranges, and those fixed on the subject's branch), join the kernel's candidate lists;
  // then the records and decoded configurations of candidates whose configurations are not simple.
  std::map<const CandidateList*, unsigned> sharing;
  std::vector<Candidate*> to_decode;
  for (std::size_t si = 0; si < subjects.size(); ++si) {
    if (!cand_of[si]) continue;
    const Subject& s = subjects[si];
    bool kernel = s.scheme == Scheme::kernel;
    if (kernel) {
      CandidateList& list = *cand_of[si];
      // The known ids (sorted) the list lacks, in their order: looked up by hash (sorting a kernel
      // list's 2,600 ids for a set difference, twice, cost 5 M instructions on this thread).
      auto add = [&list](const std::vector<std::string>& known) {
        std::unordered_set<std::string_view> have;
        have.reserve(list.items.size());
        for (const auto& ic : list.items) have.insert(ic.id);
        std::vector<std::string> only_fix_data;  // copies: appending items moves the ids viewed above
        for (const auto& id : known)
          if (!have.count(id)) only_fix_data.push_back(id);
        for (auto& id : only_fix_data) {
          list.items.emplace_back();
          list.items.back().id = std::move(id);
        }
      };
      if (!list.range_ids) {
        add(kd.ids);
        list.range_ids = true;
      }
      if (list.fix_branches.insert(s.kernel.branch).second)
        if (auto b = kd.branches.find(s.kernel.branch); b != kd.branches.end()) add(b->second);
    }
    ++sharing[cand_of[si]];
    for (auto& ic : cand_of[si]->items) {
      if (ic.simple || ic.full) continue;
      // Kernel CVEs the fix data decides need no configuration.
      if (kernel && kernel_decision(kd, ic.id, s.kernel, true)) continue;
      if (Candidate* c = read_full(ic)) to_decode.push_back(c);
    }
  }
  // Entries of lists several subjects share are decoded once, their long exact-version lists sorted
  // for bisection (a fleet or a package database has many versions of one product).
  std::vector<std::pair<IndexedCve*, Scheme>> to_expand;
  for (std::size_t si = 0; si < subjects.size(); ++si) {
    if (!cand_of[si] || sharing[cand_of[si]] < 2) continue;
    for (auto& ic : cand_of[si]->items)
      if (ic.simple && !ic.decoded && !ic.segments.empty()) {
        ic.decoded = std::make_unique<DecodedEntries>();
        to_expand.emplace_back(&ic, subjects[si].scheme);
      }
  }
  std::vector<char> undecodable(to_expand.size(), 0);
  tbb::parallel_for(std::size_t{0}, to_expand.size(), [&](std::size_t i) {
    undecodable[i] = !decode_entries(*to_expand[i].first, *to_expand[i].first->decoded, to_expand[i].second, true);
  });
  for (std::size_t i = 0; i < to_expand.size(); ++i)
    if (undecodable[i])
      if (Candidate* c = read_full(*to_expand[i].first)) to_decode.push_back(c);
  // Decoding configurations is the costly part of preparing candidates, and each is independent.
  tbb::parallel_for(std::size_t{0}, to_decode.size(), [&](std::size_t i) { decode_full(*to_decode[i]); });

  trace::mark("match: candidates prepared");
  // Phase 2, parallel: every subject decided on its own; only read-only data is shared. The
  // candidates of one subject are independent too (a kernel has thousands): chunks of them run in
  // parallel and are merged in order, so the result does not depend on scheduling.
  // A verdict before its record is read: the four fields deciding sets (a whole VulnMatch, moved
  // through the chunks and lists below, cost 17 M instructions for a kernel's 1,600 matches).
  struct Verdict {
    const char* matcher = "";
    std::string confidence, found, reason;
  };
  struct Pending {
    IndexedCve* ic = nullptr;
    Verdict m;
    std::shared_ptr<const StoredCve> cve;
    bool undecodable = false;  // its index entries did not decode: decided after this phase
  };
  // The verdict of NVD's configurations on a subject, in words.
  auto nvd_verdict = [](const Eval& best, const Subject& s) {
    Verdict m;
    m.matcher = "nvd-cpe";
    m.found = best.criteria + " " + best.range;
    if (best.all_versions) {
      m.confidence = "low";
      m.reason = "NVD names every version of the product as vulnerable";
    } else if (best.state == Tri::unknown) {
      m.confidence = "medium";
      std::string plat;
      for (std::size_t i = 0; i < best.unverified.size() && i < 3; ++i) plat += (i ? ", " : "") + best.unverified[i];
      if (best.unverified.size() > 3) plat += fmt::format(" and {} more", best.unverified.size() - 3);
      m.reason = fmt::format("{} is in the vulnerable range ({}); the configuration also requires a platform "
                             "that cannot be verified from the firmware: {}",
                             s.version, best.range, plat);
    } else {
      m.confidence = "high";
      m.reason = fmt::format("{} is in the vulnerable range ({})", s.version, best.range);
    }
    return m;
  };
  auto evaluate_full = [&](const IndexedCve& ic, const Subject& s) {
    Eval best;
    if (!ic.full) return best;
    const Candidate& cand = *ic.full;
    Evaluator ev(s, subjects, by_cpe);
    for (std::size_t k = 0; k < cand.configs.size(); ++k) {
      const SimpleConfig& sc = cand.simple[k];
      keep_best(best, sc.simple ? evaluate_simple(sc, s) : ev.configuration(cand.configs[k]));
    }
    return best;
  };
  std::vector<std::vector<Pending>> pending(subjects.size());
  std::vector<MatchStats> per_stats(subjects.size());
  auto decide = [&](std::size_t si) {
    if (!cand_of[si]) return;
    const Subject& s = subjects[si];
    bool kernel = s.scheme == Scheme::kernel;
    auto& cands = cand_of[si]->items;  // only read here
    const std::size_t n_cands = cands.size();
    const std::size_t n_chunks = chunk_count(n_cands);
    std::vector<std::vector<Pending>> chunk_out(n_chunks);
    tbb::parallel_for(std::size_t{0}, n_chunks, [&](std::size_t chunk) {
      std::vector<Pending>& out = chunk_out[chunk];
      DecodedEntries scratch;
      for (std::size_t ci = chunk * n_cands / n_chunks; ci < (chunk + 1) * n_cands / n_chunks; ++ci) {
        IndexedCve& ic = cands[ci];
        Verdict m;
        bool decided = false;
        if (kernel) {
          // Whether NVD knows a CVE changes only the confidence of a yes (set when the record is read).
          if (auto d = kernel_decision(kd, ic.id, s.kernel, true)) {
            if (!d->affected) continue;  // upstream data says this version is not affected
            KernelVerdict kv = kernel_words(*d, s.kernel);
            m.matcher = "linux-kernel-cves";
            m.confidence = std::move(kv.confidence);
            m.found = "linux-kernel-cves fix data";
            m.reason = std::move(kv.reason);
            decided = true;
          }
        }
        if (!decided) {
          Eval best;
          if (ic.simple) {
            std::optional<Eval> e;
            if (ic.decoded) {
              e = evaluate_indexed(ic, *ic.decoded, s);
            } else if (ic.segments.size() == 1) {
              e = evaluate_packed(ic, s);
            } else if (decode_entries(ic, scratch, s.scheme, false)) {
              e = evaluate_indexed(ic, scratch, s);
            }
            if (!e) {
              out.push_back({&ic, {}, nullptr, true});
              continue;
            }
            best = std::move(*e);
          } else {
            best = evaluate_full(ic, s);
          }
          if (!best.self_hit) continue;
          m = nvd_verdict(best, s);
        }
        out.push_back({&ic, std::move(m), nullptr});
      }
    });
    per_stats[si].candidates += n_cands;
    std::size_t n_pending = 0;
    for (const auto& part : chunk_out) n_pending += part.size();
    pending[si].reserve(n_pending);
    for (auto& part : chunk_out)
      for (auto& p : part) pending[si].push_back(std::move(p));
  };
  tbb::parallel_for(std::size_t{0}, subjects.size(), [&](std::size_t si) { decide(si); });
  // Candidates whose entries did not decode (none in a sound database), on this connection, in order.
  for (std::size_t si = 0; si < subjects.size(); ++si) {
    bool any = false;
    for (auto& p : pending[si]) {
      if (!p.undecodable) continue;
      any = true;
      if (Candidate* c = read_full(*p.ic)) decode_full(*c);
      Eval best = evaluate_full(*p.ic, subjects[si]);
      if (best.self_hit) {
        p.m = nvd_verdict(best, subjects[si]);
        p.undecodable = false;
      }
    }
    if (any)
      pending[si].erase(std::remove_if(pending[si].begin(), pending[si].end(),
                                       [](const Pending& p) { return p.undecodable; }),
                        pending[si].end());
  }
  trace::mark("match: candidates decided");

  // The records of the matched CVEs only (a fraction of the candidates), once per Matcher: those
  // not yet cached are read in two halves, one on each connection, in parallel.
  std::vector<std::int64_t> want_rows;
  std::vector<std::string> want_ids;
  for (std::size_t si = 0; si < subjects.size(); ++si)
    for (const auto& p : pending[si]) {
      const IndexedCve& ic = *p.ic;
      if (ic.full) continue;
      if (ic.rowid != 0) {
        if (!cache.records.count(ic.rowid)) want_rows.push_back(ic.rowid);
      } else if (!cache.kernel_records.count(ic.id)) {
        want_ids.push_back(ic.id);
      }
    }
  std::sort(want_rows.begin(), want_rows.end());
  want_rows.erase(std::unique(want_rows.begin(), want_rows.end()), want_rows.end());
  std::sort(want_ids.begin(), want_ids.end());
  want_ids.erase(std::unique(want_ids.begin(), want_ids.end()), want_ids.end());
  std::vector<std::optional<StoredCve>> got_rows(want_rows.size()), got_ids(want_ids.size());
  {
    // Job k < rows reads row k, the others the ids; in key order on each connection. The helper
    // takes the upper half of the jobs.
    const std::size_t n_rows = want_rows.size(), n_jobs = n_rows + want_ids.size();
    auto read = [&](VulnDb& db, std::size_t from, std::size_t to) {
      for (std::size_t k = from; k < to; ++k) {
        if (k < n_rows) got_rows[k] = db.cve_by_rowid(want_rows[k], true);
        else got_ids[k - n_rows] = db.cve_by_id(want_ids[k - n_rows]);
      }
    };
    const std::size_t split = helper_reading && cache.helper ? n_jobs / 2 : n_jobs;
    tbb::task_group readers;
    if (split < n_jobs) readers.run([&] { read(*cache.helper, split, n_jobs); });
    read(db_, 0, split);
    readers.wait();
  }
  for (std::size_t i = 0; i < want_rows.size(); ++i)
    cache.records.emplace(want_rows[i], got_rows[i] ? std::make_shared<const StoredCve>(std::move(*got_rows[i])) : nullptr);
  for (std::size_t i = 0; i < want_ids.size(); ++i) {
    if (!got_ids[i]) {
      got_ids[i].emplace();
      got_ids[i]->id = want_ids[i];
    }
    cache.kernel_records.emplace(want_ids[i], std::make_shared<const StoredCve>(std::move(*got_ids[i])));
  }
  trace::mark("match: records read");
  for (std::size_t si = 0; si < subjects.size(); ++si)
    for (auto& p : pending[si]) {
      const IndexedCve& ic = *p.ic;
      if (ic.full) p.cve = std::shared_ptr<const StoredCve>(ic.full, &ic.full->cve);
      else if (ic.rowid != 0) p.cve = cache.records.at(ic.rowid);
      else p.cve = cache.kernel_records.at(ic.id);
    }

  // Phase 3, parallel: the matches completed from the records, and ruled out where the record's
  // description says the component is not affected.
  // EPSS for the CVEs that may match (a few per cent of the candidates), one lookup per CVE, on
  // the helper connection while the matches are completed.
  std::vector<std::string_view> epss_ids;
  for (std::size_t si = 0; si < subjects.size(); ++si)
    for (const auto& p : pending[si])
      if (p.cve) epss_ids.push_back(p.cve->id);
  std::sort(epss_ids.begin(), epss_ids.end());
  epss_ids.erase(std::unique(epss_ids.begin(), epss_ids.end()), epss_ids.end());
  std::vector<std::optional<EpssEntry>> epss_found(epss_ids.size());
  tbb::task_group epss_reader;
  const bool epss_on_helper = helper_reading && cache.helper;
  auto read_epss = [&](VulnDb& db) {
    for (std::size_t i = 0; i < epss_ids.size(); ++i) epss_found[i] = db.epss(std::string(epss_ids[i]));
  };
  if (epss_on_helper) epss_reader.run([&] { read_epss(*cache.helper); });

  // A kernel has 1,600 matches: its list is cut into chunks like its candidates above
  // (chunk_count), evaluated in parallel and joined in order.
  std::vector<std::vector<std::string>> applets_of(subjects.size());
  std::vector<std::string> searched_of(subjects.size());
  struct Part {
    std::size_t si = 0, from = 0, to = 0;
    std::vector<VulnMatch> out;
    MatchStats stats;
  };
  std::vector<Part> parts;
  for (std::size_t si = 0; si < subjects.size(); ++si) {
    if (!cand_of[si]) continue;
    const Subject& s = subjects[si];
    for (const auto& [k, v] : s.c->properties)
      if (k == "busybox:applets") applets_of[si] = split_list(v);
    std::string searched;
    for (const auto& [v, p] : s.cpes) searched += (searched.empty() ? "" : ", ") + v + ":" + p;
    searched_of[si] = fmt::format("{} {} ({} versions)", searched, s.version, to_string(s.scheme));
    const std::size_t n = pending[si].size();
    const std::size_t n_chunks = chunk_count(n);
    for (std::size_t k = 0; k < n_chunks; ++k) {
      parts.emplace_back();
      parts.back().si = si;
      parts.back().from = k * n / n_chunks;
      parts.back().to = (k + 1) * n / n_chunks;
    }
  }
  auto evaluate = [&](Part& part) {
    const std::size_t si = part.si;
    const Subject& s = subjects[si];
    const Component& c = *s.c;
    bool kernel = s.scheme == Scheme::kernel;
    std::vector<VulnMatch>& out = part.out;
    MatchStats& subject_stats = part.stats;
    const std::vector<std::string>& applets = applets_of[si];
    const std::string& searched = searched_of[si];
    out.reserve(part.to - part.from);
    for (std::size_t pi = part.from; pi < part.to; ++pi) {
      Pending& p = pending[si][pi];
      if (!p.cve) continue;
      const StoredCve& cve = *p.cve;
      VulnMatch& m = out.emplace_back();  // built in place: a VulnMatch has 26 strings to move
      m.matcher = p.m.matcher;
      m.confidence = std::move(p.m.confidence);
      m.found = std::move(p.m.found);
      m.reason = std::move(p.m.reason);
      if (kernel && m.matcher == "linux-kernel-cves")
        if (auto kv = kernel_verdict(kd, cve.id, s.kernel, !cve.published.empty() || !cve.packed_config.empty() ||
                                                                p.ic->rowid != 0)) {
          m.confidence = kv->confidence;
          m.reason = kv->reason;
        }
      fill_match(m, c, cve, kev, std::nullopt);  // EPSS is joined at the end, for matches only
      m.searched = searched;
      if (m.matcher == "nvd-cpe" && !cve.description.empty()) {
        // The description's own per-series statement is more precise than a coarse CPE range.
        if (std::string fix = description_fix_for_series(cve.description, s.version, s.scheme);
            !fix.empty() && compare_versions(s.scheme, s.version, fix) >= 0) {
          m.status = VulnStatus::not_affected;
          m.reason = fmt::format("NVD's range ({}) includes {}, but the description states the fix for this release "
                                 "series: before {}", m.found, s.version, fix);
        }
        // A feature the product gained later than this version.
        std::string text;
        for (const auto& f : data_.features) {
          if (f.component == c.id && text.empty()) text = ascii_lower(cve.description);
          if (m.status != VulnStatus::affected || f.component != c.id) continue;
          // Acronyms ("FIT", "NFC") must match in capitals: "fit" is an English word.
          auto names = [&](const std::string& w) {
            bool acronym = std::none_of(w.begin(), w.end(), [](char ch) { return std::islower(static_cast<unsigned char>(ch)); });
            return acronym ? has_word(cve.description, w) : has_word(text, ascii_lower(w));
          };
          // A CVE that also names older code ("CMS and PKCS #7") may concern that code.
          if (std::any_of(f.unless.begin(), f.unless.end(), names)) continue;
          for (const auto& w : f.words) {
            if (!names(w) || (!f.never && compare_versions(s.scheme, s.version, f.since) >= 0)) continue;
            m.status = VulnStatus::not_affected;
            m.justification = "code_not_present";
            m.reason = f.never ? fmt::format("the CVE concerns {}, which {} does not have ({})", w,
                                             c.name.empty() ? c.id : c.name, f.basis)
                               : fmt::format("the CVE concerns {}, which {} gained in {} ({}); this is {}", w,
                                             c.name.empty() ? c.id : c.name, f.since, f.basis, s.version);
            break;
          }
        }
      }
      // Kernel code under arch/<dir>/ exists only for that architecture.
      if (kernel && m.status == VulnStatus::affected && !kernel_arches_.empty() && !cve.description.empty()) {
        std::set<std::string> named;
        for (std::size_t at = cve.description.find("arch/"); at != std::string::npos;
             at = cve.description.find("arch/", at + 5)) {
          if (at > 0 && std::isalnum(static_cast<unsigned char>(cve.description[at - 1]))) continue;
          std::size_t e = at + 5;
          while (e < cve.description.size() && (std::isalnum(static_cast<unsigned char>(cve.description[e])) ||
                                                cve.description[e] == '_'))
            ++e;
          if (e < cve.description.size() && cve.description[e] == '/' && e > at + 5)
            named.insert(cve.description.substr(at + 5, e - at - 5));
        }
        bool ours = false;
        for (const auto& a : named) ours = ours || kernel_arches_.count(a);
        if (!named.empty() && !ours) {
          std::string list, mine;
          for (const auto& a : named) list += (list.empty() ? "" : ", ") + std::string("arch/") + a;
          for (const auto& a : kernel_arches_) mine += (mine.empty() ? "" : ", ") + a;
          m.status = VulnStatus::not_affected;
          m.justification = "code_not_present";
          m.reason = fmt::format("the CVE is in {} code; this firmware's executables are {}", list, mine);
        }
      }
      // BusyBox: a CVE about an applet that is not compiled in does not apply.
      if (c.id == "busybox" && !applets.empty() && !cve.description.empty()) {
        std::string text = ascii_lower(cve.description);
        std::set<std::string> named;
        for (const auto& [w, list] : data_.busybox_words)
          if (has_word(text, w)) named.insert(list.begin(), list.end());
        if (!named.empty()) {
          bool present = false;
          for (const auto& a : named) present = present || std::find(applets.begin(), applets.end(), a) != applets.end();
          if (!present) {
            std::string names;
            for (const auto& a : named) names += (names.empty() ? "" : ", ") + a;
            m.status = VulnStatus::not_affected;
            m.justification = "code_not_present";
            m.reason = fmt::format("the CVE concerns the {} applet(s), which this BusyBox does not include ({} applets "
                                   "compiled in)", names, applets.size());
          }
        }
      }
      if (m.status == VulnStatus::affected) ++subject_stats.matched;
      else ++subject_stats.ruled_out;
    }
  };
  tbb::parallel_for(std::size_t{0}, parts.size(), [&](std::size_t k) { evaluate(parts[k]); });
  trace::mark("match: matches completed");
  std::vector<VulnMatch> out;
  std::size_t n_out = 0;
  for (const auto& part : parts) n_out += part.out.size();
  out.reserve(n_out);
  for (const auto& ps : per_stats) st.candidates += ps.candidates;
  for (auto& part : parts) {
    st.matched += part.stats.matched;
    st.ruled_out += part.stats.ruled_out;
    for (auto& m : part.out) out.push_back(std::move(m));
  }
  // Distribution packages against OSV records of their ecosystem.
  match_osv(db_, components, kev, out, st);
  epss_reader.wait();
  if (!epss_on_helper) read_epss(db_);
  std::map<std::string_view, std::optional<EpssEntry>> epss_other;  // of OSV matches
  for (auto& m : out) {
    const std::optional<EpssEntry>* e = nullptr;
    if (auto it = std::lower_bound(epss_ids.begin(), epss_ids.end(), std::string_view(m.cve));
        it != epss_ids.end() && *it == m.cve) {
      e = &epss_found[static_cast<std::size_t>(it - epss_ids.begin())];
    } else {
      auto o = epss_other.find(m.cve);
      if (o == epss_other.end()) o = epss_other.emplace(m.cve, db_.epss(m.cve)).first;
      e = &o->second;
    }
    if (*e) {
      m.epss = (*e)->score;
      m.epss_percentile = (*e)->percentile;
    }
  }
  // Sorted through an index: moving whole matches around costs more than the comparisons.
  std::vector<std::size_t> idx(out.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::vector<double> score(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) score[i] = std::max(out[i].cvss3_score, out[i].cvss2_score);
  std::sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) {
    const VulnMatch& a = out[x];
    const VulnMatch& b = out[y];
    if (a.status != b.status) return a.status < b.status;
    if (a.kev != b.kev) return a.kev;
    if (score[x] != score[y]) return score[x] > score[y];
    if (a.component_ref != b.component_ref) return a.component_ref < b.component_ref;
    return a.cve < b.cve;
  });
  std::vector<VulnMatch> sorted;
  sorted.reserve(out.size());
  for (std::size_t i : idx) sorted.push_back(std::move(out[i]));
  out = std::move(sorted);
  if (stats) *stats = st;
  return out;
}

}  // namespace iotaudit::match
