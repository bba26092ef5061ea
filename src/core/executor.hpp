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

}  // namespace iotaudit
