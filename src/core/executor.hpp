#pragma once
// Executors run independent tasks. The TBB one is work-stealing and is used for the recursive
// unpack tree and per-file analysis; the adaptive one, which the commands use, stays serial for a
// short run and starts TBB for a long one; the serial one makes tests and fuzzing deterministic.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace iotaudit {

class TaskGroup {
 public:
  virtual ~TaskGroup() = default;
  virtual void run(std::function<void()> task) = 0;  // may run now or later, on any thread
  virtual void wait() = 0;                            // returns when every task run() has finished
};

class Executor {
 public:
  virtual ~Executor() = default;
  [[nodiscard]] virtual std::unique_ptr<TaskGroup> make_group() = 0;
  [[nodiscard]] virtual unsigned concurrency() const = 0;
  // Calls fn(i) for i in [0, n).
  virtual void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) = 0;
};

// While it lives, runs `hook` once on each TBB worker thread, when it first works in an arena of an
// executor made meanwhile or in the creating thread's own (plain tbb::parallel_for). For
// per-thread process settings such as the memory of a worker's malloc arena; one at a time,
// created before work starts.
class WorkerThreadHook {
 public:
  explicit WorkerThreadHook(void (*hook)());
  ~WorkerThreadHook();
  WorkerThreadHook(const WorkerThreadHook&) = delete;
  WorkerThreadHook& operator=(const WorkerThreadHook&) = delete;

 private:
  struct Observer;
  std::unique_ptr<Observer> observer_;
};

std::unique_ptr<Executor> make_serial_executor();
// threads == 0 picks the hardware concurrency.
std::unique_ptr<Executor> make_tbb_executor(unsigned threads);
// Runs tasks serially on the calling thread until `serial_budget` has passed since it was made,
// then hands what is still queued, and everything after, to a TBB executor of `threads` threads
// that it starts only then. Small inputs finish before TBB's start-up (worker threads, their
// allocator) is paid; large ones lose at most the budget's worth of parallelism. Work is moved
// at task and loop-iteration boundaries, so a loop body or task should be a piece of work, not a
// long-running worker.
std::unique_ptr<Executor> make_adaptive_executor(unsigned threads, std::chrono::microseconds serial_budget);

// Calls body(state, i) for every i in [0, n) through ex.parallel_for, where `state` is a State
// that make() built and that only one call uses at a time: per-thread decoders and readers that
// are not thread-safe and cost something to set up. As many States are made as calls ever ran at
// once; they are returned (in no particular order) for their results to be merged.
template <class State, class Make, class Body>
std::vector<std::unique_ptr<State>> parallel_for_with_state(Executor& ex, std::size_t n, Make&& make, Body&& body) {
  std::mutex m;
  std::vector<std::unique_ptr<State>> all;
  std::vector<State*> idle;
  ex.parallel_for(n, [&](std::size_t i) {
    State* s = nullptr;
    {
      std::lock_guard lock(m);
      if (!idle.empty()) {
        s = idle.back();
        idle.pop_back();
      }
    }
    if (s == nullptr) {
      std::unique_ptr<State> made = make();
      std::lock_guard lock(m);
      all.push_back(std::move(made));
      s = all.back().get();
    }
    body(*s, i);
    std::lock_guard lock(m);
    idle.push_back(s);
  });
  return all;
}

}  // namespace iotaudit
