#pragma once
// Binary classifiers: which product, at which version, does a blob of bytes contain? The
// classifiers are data (data/components/classifiers.json): per product a CPE, a PURL, the kinds of
// blob to search and version-capturing patterns. All patterns of all products are compiled into
// one Vectorscan database, so a blob is scanned once whatever the number of products; RE2 then
// captures the version in the few bytes around each match.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::identify {

// Kinds of blob a classifier searches. Never a file name: a renamed busybox is still busybox.
enum Scope : unsigned {
  kElf = 1,     // ELF executables, shared objects, kernel modules
  kRaw = 2,     // binary regions no unpacker claimed: kernels, bootloaders, RTOS images
  kScript = 4,  // "#!" scripts
  kText = 8,    // other text files
};
unsigned scope_from_name(std::string_view name);  // 0 when unknown

struct Pattern {
  std::string regex;       // RE2 and Vectorscan syntax; group 1 captures the version
  std::string confidence;  // "high", "medium", "low"
};

struct Classifier {
  std::string id;           // "busybox"
  std::string product;      // "BusyBox"
  std::string vendor;
  std::string cpe;          // "cpe:2.3:a:busybox:busybox" (version appended when known)
  std::string purl;         // "pkg:generic/busybox"
  unsigned scopes = kElf | kRaw;
  std::vector<Pattern> patterns;   // in order of preference
  // Literals of which at least one must occur in the same blob: evidence that the blob is the
  // product itself and not a program that merely mentions it.
  std::vector<std::string> requires_any;
  // For libraries that carry no version string: patterns without a version group identify the
  // product from its content (exported symbols), and this regex, applied to the file's own name
  // ("libtommath.so.1.2.0"), gives the version. Never used to decide what a file is.
  std::string version_from_name;
};

struct Hit {
  std::size_t classifier = 0;
  std::size_t pattern = 0;
  std::string version;       // empty when the version must come from the file name
  std::uint64_t offset = 0;  // of the match inside the blob
  std::string evidence;      // the matched text, printable
};

class ClassifierSet {
 public:
  ClassifierSet();
  ~ClassifierSet();
  ClassifierSet(ClassifierSet&&) noexcept;
  ClassifierSet& operator=(ClassifierSet&&) noexcept;

  // Parses and compiles; every error names the classifier and pattern at fault. Compiling the
  // Vectorscan database takes a few hundred milliseconds; with `cache_dir` the compiled database
  // is kept there (keyed by the JSON, the Vectorscan version and the CPU features it was built
  // for) and later loads read it instead. Cache errors are ignored: the database is compiled.
  static Result<ClassifierSet> load(std::string_view json, const std::string& cache_dir = "");
  // data/components/classifiers.json as compiled into the binary, cached under
  // $XDG_CACHE_HOME/iotaudit (or ~/.cache/iotaudit); IOTAUDIT_NO_CACHE=1 disables the cache.
  static const ClassifierSet& builtin();

  [[nodiscard]] const std::vector<Classifier>& classifiers() const;
  // One pass over `data`; at most one hit per classifier (its most preferred pattern that
  // matched), only for classifiers searching `scope` and whose requirements hold. Thread-safe.
  [[nodiscard]] std::vector<Hit> scan(ByteView data, unsigned scope) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The version a classifier's version_from_name regex finds in a file name; empty when none.
std::string version_from_name(const Classifier& c, std::string_view file_name);

// Versions as they are written in binaries, trimmed of trailing punctuation. Empty when the
// capture does not look like a version (must start with a digit and hold one).
std::string normalize_version(std::string_view captured);

}  // namespace iotaudit::identify
