#include "core/trace.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace iotaudit::trace {
namespace {

struct Mark {
  std::chrono::steady_clock::time_point at;
  const char* what;
  pthread_t thread;
  std::atomic<bool> written{false};  // set once the fields above are: report() skips it before
};

constexpr std::size_t kMarks = 256;
std::array<Mark, kMarks> marks;
std::atomic<std::size_t> used{0};
std::atomic<bool> reported{false};

}  // namespace

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("IOTAUDIT_TRACE");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  return on;
}

void mark(const char* what) {
  if (!enabled()) return;
  const auto now = std::chrono::steady_clock::now();
  const std::size_t i = used.fetch_add(1, std::memory_order_relaxed);
  if (i < kMarks) {
    marks[i].at = now;
    marks[i].what = what;
    marks[i].thread = pthread_self();
    marks[i].written.store(true, std::memory_order_release);
  }
}

void report() {
  if (!enabled() || reported.exchange(true)) return;
  const std::size_t n = std::min(used.load(), kMarks);
  if (n == 0 || !marks[0].written.load(std::memory_order_acquire)) return;
  // The first mark's CLOCK_MONOTONIC time too, so that a caller can place the run's start-up
  // (before the first mark) and exit (after the last) against its own clock.
  std::string out = fmt::format("iotaudit trace (ms since the first mark, at monotonic {:.6f} s; thread):\n",
                                std::chrono::duration<double>(marks[0].at.time_since_epoch()).count());
  std::array<pthread_t, 16> threads{};
  std::size_t n_threads = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!marks[i].written.load(std::memory_order_acquire)) continue;  // being written right now
    std::size_t t = 0;
    while (t < n_threads && !pthread_equal(threads[t], marks[i].thread)) ++t;
    if (t == n_threads && n_threads < threads.size()) threads[n_threads++] = marks[i].thread;
    const double ms = std::chrono::duration<double, std::milli>(marks[i].at - marks[0].at).count();
    out += fmt::format("{:9.3f}  {}  {}\n", ms, t, marks[i].what);
  }
  if (used.load() > kMarks) out += fmt::format("({} more marks dropped)\n", used.load() - kMarks);
  std::fputs(out.c_str(), stderr);
}

}  // namespace iotaudit::trace
