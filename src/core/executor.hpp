#pragma once
// Executors run independent tasks. The TBB one is work-stealing and is used for the recursive
// unpack tree and per-file analysis; the serial one makes tests and fuzzing deterministic.
#include <cstddef>
#include <functional>
#include <memory>

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

// Runs `hook` once on each TBB worker thread, when it first works in an executor's arena or in the
// calling thread's own (plain tbb::parallel_for). For per-thread process settings such as the
// memory of a worker's malloc arena; call once, before work starts.
void set_worker_thread_hook(void (*hook)());

std::unique_ptr<Executor> make_serial_executor();
// threads == 0 picks the hardware concurrency.
std::unique_ptr<Executor> make_tbb_executor(unsigned threads);

}  // namespace iotaudit
