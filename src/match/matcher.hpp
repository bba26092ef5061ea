#pragma once
// Matching identified components against the vulnerability database.
//
// A CVE is a candidate for a component when one of its configurations names one of the
// component's CPE vendor:product pairs as vulnerable. The configuration is then evaluated as a
// whole (AND/OR nodes, negation) in three-valued logic over every component of the image: a
// vulnerable entry holds when a component's version is in its range; a platform entry ("running
// on", vulnerable=false) holds when an identified component satisfies it, is false when the
// component is present at another version, and is unknown otherwise (hardware, distributions).
// A component is reported only when a configuration holds or is unknown *and* the component
// itself satisfies one of its vulnerable entries, so a product that appears only as a platform
// is never reported. Linux kernel CVEs are decided by the upstream fix ranges where they exist.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "match/db.hpp"
#include "match/version/scheme.hpp"
#include "model/component.hpp"
#include "model/vuln.hpp"

namespace iotaudit::match {

struct ProductRule {
  std::string component;                                  // classifier id
  Scheme scheme = Scheme::generic;
  std::vector<std::pair<std::string, std::string>> cpes;  // vendor, product
};

// A feature a product gained at a known version: a CVE whose description names it does not apply
// to older versions (NVD ranges are often open at the bottom: "all versions before the fix").
struct FeatureRule {
  std::string component;
  std::vector<std::string> words;  // whole words; acronyms (no lower-case letter) match in capitals only
  std::vector<std::string> unless;  // words of older code: a CVE naming one of them is left alone
  std::string since;               // first version with the feature
  bool never = false;              // the product has never had it (a distribution's patch)
  std::string basis;               // where the date comes from
};

struct MatchData {
  std::map<std::string, ProductRule> products;              // by component id
  std::map<std::string, std::vector<std::string>> busybox_words;  // description word -> applets
  std::vector<FeatureRule> features;
  // data/vulndb/products.json, compiled in.
  static Result<MatchData> builtin();
  static Result<MatchData> parse(std::string_view json);
};

struct MatchStats {
  std::size_t components = 0, without_version = 0, candidates = 0, matched = 0, ruled_out = 0;
};

class Matcher {
 public:
  Matcher(VulnDb& db, const MatchData& data);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;
  // The Linux architecture directories ("mips", "arm", "x86") of the image's executables: a kernel
  // CVE in arch/<other>/ code does not apply. Empty (the default): no architecture filtering.
  void set_kernel_arches(std::set<std::string> arches) { kernel_arches_ = std::move(arches); }
  // Every match for every component; ruled-out candidates with a reason are kept as not_affected.
  // Candidates read for one call are kept for the next (one Matcher per database snapshot: the
  // SBOMs of a fleet share products), so later calls read and decode only what is new.
  std::vector<VulnMatch> match(const std::vector<Component>& components, MatchStats* stats = nullptr);
  // Whether a second read-only connection to the database file may be opened to read in parallel
  // with the first (on by default; used for a Linux kernel or many components). Results are the same.
  void set_second_connection(bool allowed) { second_connection_ = allowed; }
  // Starts opening that connection on another thread, and reading through it the data every
  // match needs (CISA KEV, then the kernel fix data), to have them ready when match() needs them
  // (2-10 ms; call it before reading the input). The connection is unused if no match() needs it.
  void open_second_connection_early();
  // Whether that connection is open.
  bool second_connection_open() const;

 private:
  VulnDb& db_;
  const MatchData& data_;
  std::set<std::string> kernel_arches_;
  bool second_connection_ = true;
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

// ELF machine names (formats::elf_machine_name) -> Linux arch/ directory; "" when unknown.
std::string kernel_arch_dir(std::string_view elf_machine);

// The key under which reports and SBOMs refer to a component: "busybox@1.30.1".
std::string component_ref(const Component& c);

// The version the matcher compares: Debian package versions lose their epoch and revision.
std::string comparable_version(const Component& c);

// "OpenSSL before 0.9.8s and 1.x before 1.0.0f ...": when a description states fixed versions for
// several release series, the fixed version of the component's own series; "" when it names none
// or only one series (then it is no more precise than the CPE range).
std::string description_fix_for_series(std::string_view description, std::string_view version, Scheme scheme);

}  // namespace iotaudit::match
