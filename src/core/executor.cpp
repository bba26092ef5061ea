#include "core/executor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
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
        arena_(static_cast<int>(threads_)),
        observer_(arena_) {
    // Raises TBB's worker limit when more threads than cores are asked for (else TBB warns and
    // silently uses fewer).
    if (threads_ > std::thread::hardware_concurrency())
      control_.emplace(tbb::global_control::max_allowed_parallelism, threads_);
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
  std::optional<tbb::global_control> control_;
  tbb::task_arena arena_;
  WorkerHookObserver observer_;
};

// Serial until the budget has passed, then TBB. Until then only the thread that made the executor
// runs work. A timer thread makes the switch when the budget ends, even in the middle of a long
// task: it starts TBB, hands every group's queued tasks to it, and sends helpers into every loop
// that is running, which take the loop's next indices from the same counter as its thread. After
// the switch everything goes to TBB directly.
class AdaptiveGroup;

class AdaptiveExecutor final : public Executor {
 public:
  AdaptiveExecutor(unsigned threads, std::chrono::microseconds budget)
      : threads_(threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads) {
    if (threads_ > 1) {
      const auto deadline = std::chrono::steady_clock::now() + budget;
      timer_ = std::thread([this, deadline] {
        std::unique_lock lock(m_);
        if (!cv_.wait_until(lock, deadline, [this] { return stopping_; })) switch_locked();
      });
    }
  }
  ~AdaptiveExecutor() override {
    if (timer_.joinable()) {
      {
        std::lock_guard lock(m_);
        stopping_ = true;
      }
      cv_.notify_all();
      timer_.join();
    }
  }
  AdaptiveExecutor(const AdaptiveExecutor&) = delete;
  AdaptiveExecutor& operator=(const AdaptiveExecutor&) = delete;

  unsigned concurrency() const override { return threads_; }
  std::unique_ptr<TaskGroup> make_group() override;

  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) override {
    if (n == 0) return;
    if (parallel()) return tbb_->parallel_for(n, fn);
    Loop loop{fn, n, {0}, true, nullptr};
    {
      std::lock_guard lock(m_);
      if (parallel_.load(std::memory_order_relaxed)) {
        loop.registered = false;
      } else {
        loops_.push_back(&loop);
      }
    }
    if (!loop.registered) return tbb_->parallel_for(n, fn);
    loop.drain();
    {
      std::lock_guard lock(m_);
      loops_.erase(std::find(loops_.begin(), loops_.end(), &loop));
    }
    if (loop.helpers) loop.helpers->wait();  // indices the helpers took
  }

  bool parallel() const { return parallel_.load(std::memory_order_acquire); }
  Executor& tbb() { return *tbb_; }

 private:
  friend class AdaptiveGroup;
  struct Loop {
    const std::function<void(std::size_t)>& fn;
    std::size_t n;
    std::atomic<std::size_t> next{0};
    bool registered = true;
    std::unique_ptr<TaskGroup> helpers;  // set by the switch
    void drain() {
      for (std::size_t i = next++; i < n; i = next++) fn(i);
    }
  };
  void switch_locked();  // with m_ held

  unsigned threads_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> parallel_{false};
  std::unique_ptr<TbbExecutor> tbb_;
  std::vector<AdaptiveGroup*> groups_;  // alive, made before the switch
  std::vector<Loop*> loops_;            // running serially
  std::thread timer_;
};

class AdaptiveGroup final : public TaskGroup {
 public:
  explicit AdaptiveGroup(AdaptiveExecutor& ex) : ex_(ex) {
    std::lock_guard lock(ex_.m_);
    if (ex_.parallel()) tbb_ = ex_.tbb().make_group();
    else ex_.groups_.push_back(this);
  }
  ~AdaptiveGroup() override {
    std::unique_ptr<TaskGroup> tbb;
    {
      std::lock_guard lock(ex_.m_);
      if (auto it = std::find(ex_.groups_.begin(), ex_.groups_.end(), this); it != ex_.groups_.end())
        ex_.groups_.erase(it);
      tbb = std::move(tbb_);
    }
    // tbb's destructor waits for what was handed to it
  }
  AdaptiveGroup(const AdaptiveGroup&) = delete;
  AdaptiveGroup& operator=(const AdaptiveGroup&) = delete;

  // After the switch run() may come from any thread (a task of this group on a TBB worker).
  void run(std::function<void()> task) override {
    if (TaskGroup* g = tbb_group()) return g->run(std::move(task));
    std::unique_lock lock(ex_.m_);
    if (tbb_ != nullptr) {  // switched meanwhile
      lock.unlock();
      return tbb_->run(std::move(task));
    }
    queue_.push_back(std::move(task));
  }
  void wait() override {
    for (;;) {
      std::function<void()> t;
      {
        std::lock_guard lock(ex_.m_);
        if (tbb_ != nullptr || queue_.empty()) break;
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      t();
    }
    if (TaskGroup* g = tbb_group()) g->wait();
  }

  // Called by the switch, with the executor's lock held.
  void hand_over_locked() {
    tbb_ = ex_.tbb().make_group();
    for (auto& t : queue_) tbb_->run(std::move(t));
    queue_.clear();
  }

 private:
  // Once the switch is seen, tbb_ is set for good: by the switch, which publishes with the flag,
  // or by the constructor.
  TaskGroup* tbb_group() { return ex_.parallel() ? tbb_.get() : nullptr; }
  AdaptiveExecutor& ex_;
  std::deque<std::function<void()>> queue_;  // guarded by the executor's lock
  std::unique_ptr<TaskGroup> tbb_;
};

void AdaptiveExecutor::switch_locked() {
  tbb_ = std::make_unique<TbbExecutor>(threads_);
  for (AdaptiveGroup* g : groups_) g->hand_over_locked();
  groups_.clear();
  for (Loop* loop : loops_) {
    loop->helpers = tbb_->make_group();
    for (unsigned k = 1; k < threads_; ++k) loop->helpers->run([loop] { loop->drain(); });
  }
  parallel_.store(true, std::memory_order_release);
}

std::unique_ptr<TaskGroup> AdaptiveExecutor::make_group() { return std::make_unique<AdaptiveGroup>(*this); }

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
std::unique_ptr<Executor> make_adaptive_executor(unsigned threads, std::chrono::microseconds serial_budget) {
  return std::make_unique<AdaptiveExecutor>(threads, serial_budget);
}

}  // namespace iotaudit
