#include "core/executor.hpp"

#include <atomic>
#include <deque>
#include <thread>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>
#include <tbb/task_group.h>

namespace iotaudit {
namespace {

// Runs tasks in FIFO order on the calling thread when wait() is called; tasks spawned by tasks
// join the same queue, so recursion depth stays bounded.
class SerialGroup final : public TaskGroup {
 public:
  void run(std::function<void()> task) override { queue_.push_back(std::move(task)); }
  void wait() override {
    while (!queue_.empty()) {
      auto t = std::move(queue_.front());
      queue_.pop_front();
      t();
    }
  }

 private:
  std::deque<std::function<void()>> queue_;
};

class SerialExecutor final : public Executor {
 public:
  std::unique_ptr<TaskGroup> make_group() override { return std::make_unique<SerialGroup>(); }
  unsigned concurrency() const override { return 1; }
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) override {
    for (std::size_t i = 0; i < n; ++i) fn(i);
  }
};

class TbbGroup final : public TaskGroup {
 public:
  explicit TbbGroup(tbb::task_arena& arena) : arena_(arena) {}
  ~TbbGroup() override {
    try {
      wait();
    } catch (...) {  // tasks never throw across this boundary; a destructor must not either
    }
  }
  TbbGroup(const TbbGroup&) = delete;
  TbbGroup& operator=(const TbbGroup&) = delete;
  void run(std::function<void()> task) override {
    arena_.execute([&] { group_->run(std::move(task)); });
  }
  void wait() override {
    arena_.execute([&] { group_->wait(); });
  }

 private:
  tbb::task_arena& arena_;
  // Held by pointer: tbb::task_group's destructor is noexcept(false), a TaskGroup's is not.
  std::unique_ptr<tbb::task_group> group_ = std::make_unique<tbb::task_group>();
};

std::atomic<void (*)()> g_worker_hook{nullptr};

class WorkerHookObserver : public tbb::task_scheduler_observer {
 public:
  WorkerHookObserver() = default;
  explicit WorkerHookObserver(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) {}
  ~WorkerHookObserver() override { observe(false); }
  void on_scheduler_entry(bool is_worker) override {
    thread_local bool done = false;
    if (!is_worker || done) return;
    if (auto* hook = g_worker_hook.load()) {
      done = true;
      hook();
    }
  }
};

class TbbExecutor final : public Executor {
 public:
  explicit TbbExecutor(unsigned threads)
      : threads_(threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads),
        // Raises TBB's worker limit when more threads than cores are asked for (else TBB warns
        // and silently uses fewer).
        control_(tbb::global_control::max_allowed_parallelism, threads_),
        arena_(static_cast<int>(threads_)),
        observer_(arena_) {
    if (g_worker_hook.load()) observer_.observe(true);
  }
  std::unique_ptr<TaskGroup> make_group() override { return std::make_unique<TbbGroup>(arena_); }
  unsigned concurrency() const override { return threads_; }
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) override {
    arena_.execute([&] {
      tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { fn(i); });
    });
  }

 private:
  unsigned threads_;
  tbb::global_control control_;
  tbb::task_arena arena_;
  WorkerHookObserver observer_;
};

}  // namespace

struct WorkerThreadHook::Observer : WorkerHookObserver {};

WorkerThreadHook::WorkerThreadHook(void (*hook)()) : observer_(std::make_unique<Observer>()) {
  g_worker_hook.store(hook);
  observer_->observe(true);  // the creating thread's own arena
}

WorkerThreadHook::~WorkerThreadHook() {
  observer_->observe(false);
  g_worker_hook.store(nullptr);
}

std::unique_ptr<Executor> make_serial_executor() { return std::make_unique<SerialExecutor>(); }
std::unique_ptr<Executor> make_tbb_executor(unsigned threads) {
  return std::make_unique<TbbExecutor>(threads);
}

}  // namespace iotaudit
