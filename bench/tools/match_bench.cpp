// Times the vulnerability matcher in-process (no process start-up, no report writing):
//   match_bench --db DB --sbom SBOM.cdx.json [--repeat N]    re-evaluate a stored SBOM
//   match_bench --db DB --synthetic N [--repeat N]            N components of real products at
//                                                             real versions (round-robin)
// Prints the median wall time of the repeats, the matches found, and the time to open the DB.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "core/allocator.hpp"
#include "match/matcher.hpp"
#include "match/sbom_input.hpp"

using namespace iotaudit;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  // The allocator settings of the iotaudit binary (apps/iotaudit/main.cpp), so the matcher is timed
  // as the command runs it.
  tune_allocator();
  std::string db_path, sbom;
  std::size_t synthetic = 0, repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--db") db_path = argv[i + 1];
    else if (a == "--sbom") sbom = argv[i + 1];
    else if (a == "--synthetic") synthetic = std::stoul(argv[i + 1]);
    else if (a == "--repeat") repeat = std::stoul(argv[i + 1]);
  }
  if (db_path.empty() || (sbom.empty() && !synthetic)) {
    std::cerr << "usage: match_bench --db DB (--sbom FILE | --synthetic N) [--repeat N]\n";
    return 2;
  }
  auto t0 = clock_type::now();
  auto db = match::VulnDb::open(db_path, false);
  if (!db) {
    std::cerr << db.error().message << "\n";
    return 1;
  }
  auto data = match::MatchData::builtin();
  double open_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  std::vector<Component> comps;
  double read_ms = 0;
  if (!sbom.empty()) {
    auto t1 = clock_type::now();
    std::ifstream in(sbom);
    std::stringstream ss;
    ss << in.rdbuf();
    auto c = match::read_cyclonedx_components(ss.str());
    if (!c) {
      std::cerr << c.error().message << "\n";
      return 1;
    }
    comps = std::move(c->components);
    read_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t1).count();
  } else {
    // Products and versions seen in real firmware.
    const std::vector<std::tuple<const char*, const char*, std::vector<const char*>>> real = {
        {"busybox", "a:busybox:busybox", {"1.19.4", "1.24.1", "1.30.1", "1.31.1", "1.33.2", "1.35.0", "1.36.1"}},
        {"dnsmasq", "a:thekelleys:dnsmasq", {"2.66", "2.78", "2.80", "2.85", "2.89"}},
        {"dropbear", "a:dropbear_ssh_project:dropbear_ssh", {"2011.54", "2017.75", "2019.78", "2022.83"}},
        {"openssl", "a:openssl:openssl", {"0.9.8zh", "1.0.1u", "1.0.2k", "1.1.1w", "3.0.13"}},
        {"curl", "a:haxx:curl", {"7.29.0", "7.64.0", "7.88.1", "8.4.0"}},
        {"lighttpd", "a:lighttpd:lighttpd", {"1.4.35", "1.4.59"}},
        {"hostapd", "a:w1.fi:hostapd", {"2.1", "2.9", "2.10"}},
        {"openssh", "a:openbsd:openssh", {"7.4p1", "8.4p1", "9.2p1"}},
        {"samba", "a:samba:samba", {"3.6.25", "4.9.5"}},
        {"libxml2", "a:xmlsoft:libxml2", {"2.9.4", "2.9.14"}},
        {"zlib", "a:zlib:zlib", {"1.2.8", "1.2.11", "1.2.13"}},
        {"sqlite", "a:sqlite:sqlite", {"3.22.0", "3.40.1"}},
        {"u-boot", "a:denx:u-boot", {"2013.07", "2019.07", "2023.01"}},
        {"uclibc", "a:uclibc:uclibc", {"0.9.33.2"}},
        {"linux-kernel", "o:linux:linux_kernel", {"2.6.36", "3.10.14", "4.14.180", "5.4.55", "5.15.100"}},
    };
    // At most one kernel per image: a thousand kernels would measure only the kernel data.
    std::size_t k = 0;
    bool kernel_added = false;
    while (comps.size() < synthetic) {
      const auto& [id, cpe, versions] = real[k % real.size()];
      std::string idn = id;
      if (idn == "linux-kernel") {
        if (kernel_added) {
          ++k;
          continue;
        }
        kernel_added = true;
      }
      Component c;
      c.id = id;
      c.name = id;
      c.version = versions[(k / real.size()) % versions.size()];
      c.cpe = fmt::format("cpe:2.3:{}:{}:*:*:*:*:*:*:*", cpe, c.version);
      comps.push_back(std::move(c));
      ++k;
    }
  }
  std::vector<double> times;
  std::size_t found = 0, affected = 0;
  for (std::size_t r = 0; r < repeat; ++r) {
    auto t = clock_type::now();
    match::Matcher m(**db, *data);
    auto res = m.match(comps);
    times.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t).count());
    found = res.size();
    affected = std::count_if(res.begin(), res.end(), [](const VulnMatch& v) { return v.status == VulnStatus::affected; });
  }
  std::sort(times.begin(), times.end());
  std::cout << fmt::format("components {} | matches {} ({} affected) | match median {:.1f} ms (min {:.1f}, max {:.1f}, "
                           "{} runs) | db open {:.1f} ms | sbom read {:.1f} ms\n",
                           comps.size(), found, affected, times[times.size() / 2], times.front(), times.back(),
                           times.size(), open_ms, read_ms);
  return 0;
}
