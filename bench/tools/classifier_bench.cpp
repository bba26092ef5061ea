// Classifier scanning throughput on one core: every file named on the command line (ELF files
// for a realistic mix) is read into memory, then scanned with the built-in classifiers, several
// rounds; prints bytes, seconds and GB/s. Usage: classifier_bench [--classifiers JSON] FILE...
// With --identify FILE... it prints each hit instead (bench/accuracy/versiondata.py).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "identify/classifier.hpp"

int main(int argc, char** argv) {
  using namespace iotaudit;
  std::vector<std::string> files;
  int first = 1;
  std::optional<identify::ClassifierSet> custom;
  if (argc > 2 && std::string(argv[1]) == "--classifiers") {  // a JSON file instead of the built-in set
    std::ifstream f(argv[2], std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto s = identify::ClassifierSet::load(text);
    if (!s) {
      std::fprintf(stderr, "%s\n", s.error().message.c_str());
      return 1;
    }
    custom = std::move(*s);
    first = 3;
  }
  // --identify FILE...: print "FILE<TAB>id<TAB>version" for every hit, all scopes (accuracy tooling).
  if (first < argc && std::string(argv[first]) == "--identify") {
    const auto& set = custom ? *custom : identify::ClassifierSet::builtin();
    for (int i = first + 1; i < argc; ++i) {
      std::ifstream f(argv[i], std::ios::binary);
      std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      for (const auto& h : set.scan(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()),
                                    identify::kElf | identify::kRaw | identify::kScript | identify::kText))
        std::printf("%s\t%s\t%s\n", argv[i], set.classifiers()[h.classifier].id.c_str(), h.version.c_str());
    }
    return 0;
  }
  for (int i = first; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  const auto& set = custom ? *custom : identify::ClassifierSet::builtin();
  if (set.classifiers().empty()) return 1;
  std::size_t bytes = 0, hits = 0;
  constexpr int kRounds = 5;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r)
    for (const auto& s : files) {
      hits += set.scan(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), identify::kElf).size();
      bytes += s.size();
    }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("files %zu, bytes %zu, rounds %d, hits/round %zu, seconds %.3f, GB/s %.2f\n", files.size(),
              bytes / kRounds, kRounds, hits / kRounds, secs, static_cast<double>(bytes) / secs / 1e9);
  return 0;
}
