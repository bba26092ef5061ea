#include "core/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace iotaudit {
namespace {

struct ExecutorCase {
  const char* name;
  std::unique_ptr<Executor> (*make)();
};

std::unique_ptr<Executor> serial() { return make_serial_executor(); }
std::unique_ptr<Executor> tbb1() { return make_tbb_executor(1); }
std::unique_ptr<Executor> tbb4() { return make_tbb_executor(4); }
std::unique_ptr<Executor> tbb_auto() { return make_tbb_executor(0); }
std::unique_ptr<Executor> adaptive_parallel() { return make_adaptive_executor(4, std::chrono::microseconds(0)); }
std::unique_ptr<Executor> adaptive_serial() { return make_adaptive_executor(4, std::chrono::hours(1)); }
// Switches at some point of the test's work, wherever the clock says.
std::unique_ptr<Executor> adaptive_switching() { return make_adaptive_executor(4, std::chrono::microseconds(200)); }

class ExecutorTest : public ::testing::TestWithParam<ExecutorCase> {};

TEST_P(ExecutorTest, EveryTaskRunsExactlyOnce) {
  auto ex = GetParam().make();
  constexpr int kTasks = 1000;
  std::vector<std::atomic<int>> hits(kTasks);
  auto g = ex->make_group();
  for (int i = 0; i < kTasks; ++i) g->run([&hits, i] { hits[i].fetch_add(1); });
  g->wait();
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(hits[i].load(), 1) << "task " << i;
}

// A binary tree of tasks, each spawning its children from inside the group, as the unpack engine
// does for nested containers. Every node must run exactly once and wait() must cover them all.
void spawn(TaskGroup& g, std::vector<std::atomic<int>>& hits, int node, int count) {
  hits[node].fetch_add(1);
  for (int c : {2 * node + 1, 2 * node + 2})
    if (c < count) g.run([&g, &hits, c, count] { spawn(g, hits, c, count); });
}

TEST_P(ExecutorTest, TasksSpawnedFromTasksAllRunBeforeWaitReturns) {
  auto ex = GetParam().make();
  constexpr int kNodes = 4095;
  std::vector<std::atomic<int>> hits(kNodes);
  auto g = ex->make_group();
  g->run([&] { spawn(*g, hits, 0, kNodes); });
  g->wait();
  int total = 0;
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_EQ(hits[i].load(), 1) << "node " << i;
    total += hits[i].load();
  }
  EXPECT_EQ(total, kNodes);
}

TEST_P(ExecutorTest, DeepChainOfSpawnedTasks) {
  // Each task spawns the next: a long chain must not exhaust the stack in the serial executor.
  auto ex = GetParam().make();
  constexpr int kDepth = 20000;
  std::atomic<int> ran{0};
  auto g = ex->make_group();
  std::function<void(int)> step = [&](int i) {
    ran.fetch_add(1);
    if (i + 1 < kDepth) g->run([&step, i] { step(i + 1); });
  };
  g->run([&] { step(0); });
  g->wait();
  EXPECT_EQ(ran.load(), kDepth);
}

TEST_P(ExecutorTest, GroupCanBeReusedAfterWait) {
  auto ex = GetParam().make();
  std::atomic<int> n{0};
  auto g = ex->make_group();
  for (int i = 0; i < 10; ++i) g->run([&] { n.fetch_add(1); });
  g->wait();
  EXPECT_EQ(n.load(), 10);
  for (int i = 0; i < 5; ++i) g->run([&] { n.fetch_add(1); });
  g->wait();
  EXPECT_EQ(n.load(), 15);
}

TEST_P(ExecutorTest, WaitOnEmptyGroupReturns) {
  auto ex = GetParam().make();
  auto g = ex->make_group();
  g->wait();
  SUCCEED();
}

TEST_P(ExecutorTest, ParallelForCoversEveryIndexOnce) {
  auto ex = GetParam().make();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{10007}}) {
    std::vector<std::atomic<int>> hits(n);
    ex->parallel_for(n, [&](std::size_t i) {
      ASSERT_LT(i, n);
      hits[i].fetch_add(1);
    });
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST_P(ExecutorTest, ParallelForInsideTask) {
  // Analysis runs parallel_for while an executor may be busy; nesting must still cover all.
  auto ex = GetParam().make();
  constexpr std::size_t kOuter = 8, kInner = 500;
  std::vector<std::atomic<int>> hits(kOuter * kInner);
  auto g = ex->make_group();
  for (std::size_t o = 0; o < kOuter; ++o)
    g->run([&, o] { ex->parallel_for(kInner, [&](std::size_t i) { hits[o * kInner + i].fetch_add(1); }); });
  g->wait();
  for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].load(), 1) << i;
}

TEST_P(ExecutorTest, ConcurrencyIsPositive) {
  auto ex = GetParam().make();
  EXPECT_GE(ex->concurrency(), 1u);
}

INSTANTIATE_TEST_SUITE_P(All, ExecutorTest,
                         ::testing::Values(ExecutorCase{"serial", &serial}, ExecutorCase{"tbb1", &tbb1},
                                           ExecutorCase{"tbb4", &tbb4}, ExecutorCase{"tbbauto", &tbb_auto},
                                           ExecutorCase{"adaptive_parallel", &adaptive_parallel},
                                           ExecutorCase{"adaptive_serial", &adaptive_serial},
                                           ExecutorCase{"adaptive_switching", &adaptive_switching}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Executor, SerialRunsTasksInFifoOrderOnWait) {
  auto ex = make_serial_executor();
  EXPECT_EQ(ex->concurrency(), 1u);
  std::vector<int> order;
  auto g = ex->make_group();
  g->run([&] {
    order.push_back(1);
    g->run([&] { order.push_back(3); });
  });
  g->run([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());  // nothing runs before wait()
  g->wait();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Executor, TbbConcurrencyMatchesRequest) {
  EXPECT_EQ(make_tbb_executor(3)->concurrency(), 3u);
  EXPECT_EQ(make_tbb_executor(1)->concurrency(), 1u);
}

// Two tasks that wait for each other can only both finish when they run at the same time.
bool rendezvous(Executor& ex) {
  std::atomic<int> arrived{0};
  std::atomic<int> met{0};
  auto meet = [&] {
    arrived.fetch_add(1);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    if (arrived.load() >= 2) met.fetch_add(1);
  };
  auto g = ex.make_group();
  g->run(meet);
  g->run(meet);
  g->wait();
  return met.load() == 2;
}

TEST(Executor, AdaptiveRunsEverythingOnTheCallingThreadWithinItsBudget) {
  auto ex = make_adaptive_executor(4, std::chrono::hours(1));
  EXPECT_EQ(ex->concurrency(), 4u);
  const auto self = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  auto g = ex->make_group();
  for (int i = 0; i < 100; ++i)
    g->run([&] {
      if (std::this_thread::get_id() != self) elsewhere.fetch_add(1);
    });
  g->wait();
  ex->parallel_for(100, [&](std::size_t) {
    if (std::this_thread::get_id() != self) elsewhere.fetch_add(1);
  });
  EXPECT_EQ(elsewhere.load(), 0);
  std::vector<int> order;  // serial: tasks in the order they were queued
  g->run([&] {
    order.push_back(1);
    g->run([&] { order.push_back(3); });
  });
  g->run([&] { order.push_back(2); });
  g->wait();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Executor, AdaptiveRunsTasksConcurrentlyOnceItsBudgetHasPassed) {
  auto ex = make_adaptive_executor(2, std::chrono::milliseconds(1));
  // Tasks queued while serial, the budget passing inside the first: the rest go to threads.
  auto g = ex->make_group();
  std::atomic<int> ran{0};
  g->run([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    ran.fetch_add(1);
  });
  for (int i = 0; i < 50; ++i) g->run([&] { ran.fetch_add(1); });
  g->wait();
  EXPECT_EQ(ran.load(), 51);
  EXPECT_TRUE(rendezvous(*ex));
}

TEST(Executor, AdaptiveParallelForMovesTheRestOfALoopToThreads) {
  auto ex = make_adaptive_executor(2, std::chrono::milliseconds(1));
  constexpr std::size_t kN = 64;
  std::vector<std::atomic<int>> hits(kN);
  std::atomic<int> arrived{0};
  std::atomic<bool> met{false};
  ex->parallel_for(kN, [&](std::size_t i) {
    hits[i].fetch_add(1);
    if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));  // the budget passes
    if (i == kN - 2 || i == kN - 1) {  // these two meet only if they run at once
      arrived.fetch_add(1);
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (arrived.load() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      if (arrived.load() >= 2) met = true;
    }
  });
  for (std::size_t i = 0; i < kN; ++i) EXPECT_EQ(hits[i].load(), 1) << i;
  EXPECT_TRUE(met.load());
}

TEST(Executor, AdaptiveWithOneThreadNeverStartsThreads) {
  auto ex = make_adaptive_executor(1, std::chrono::microseconds(0));
  const auto self = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  ex->parallel_for(1000, [&](std::size_t) {
    if (std::this_thread::get_id() != self) elsewhere.fetch_add(1);
  });
  EXPECT_EQ(elsewhere.load(), 0);
}

struct Scratch {
  std::atomic<int> users{0};
  int calls = 0;
};

// Each state is used by one call at a time, every index is visited once, and the states made are
// returned with everything their calls did.
TEST_P(ExecutorTest, ParallelForWithStateNeverSharesAState) {
  auto ex = GetParam().make();
  constexpr std::size_t kN = 2000;
  std::vector<std::atomic<int>> hits(kN);
  std::atomic<int> shared{0};
  auto states = parallel_for_with_state<Scratch>(
      *ex, kN, [] { return std::make_unique<Scratch>(); },
      [&](Scratch& s, std::size_t i) {
        if (s.users.fetch_add(1) != 0) shared.fetch_add(1);
        ++s.calls;
        hits[i].fetch_add(1);
        if (i % 97 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
        s.users.fetch_sub(1);
      });
  EXPECT_EQ(shared.load(), 0);
  for (std::size_t i = 0; i < kN; ++i) EXPECT_EQ(hits[i].load(), 1) << i;
  ASSERT_FALSE(states.empty());
  int calls = 0;
  for (const auto& s : states) calls += s->calls;
  EXPECT_EQ(calls, static_cast<int>(kN));
  if (ex->concurrency() == 1) {
    EXPECT_EQ(states.size(), 1u);
  }
  EXPECT_EQ(parallel_for_with_state<Scratch>(*ex, 0, [] { return std::make_unique<Scratch>(); },
                                             [](Scratch&, std::size_t) {}).size(),
            0u);
}

std::atomic<int> g_hook_calls{0};
std::mutex g_hook_mu;
std::multiset<std::thread::id> g_hook_threads;
void count_hook() {
  ++g_hook_calls;
  std::lock_guard lock(g_hook_mu);
  g_hook_threads.insert(std::this_thread::get_id());
}

// The hook runs on worker threads only, once per thread however many tasks and executors it
// serves; a thread that worked before the hook was set still gets it.
TEST(Executor, WorkerThreadHookRunsOncePerWorkerThread) {
#if defined(__SANITIZE_ADDRESS__)
  // Observing a thread's own TBB arena leaves a 40-byte record inside TBB that LeakSanitizer
  // reports at exit; iotaudit does not install the hook in sanitizer builds either.
  GTEST_SKIP() << "TBB keeps the observer record of the implicit arena";
#endif
  auto warm = make_tbb_executor(4);
  warm->parallel_for(8, [](std::size_t) {});
  {
    const WorkerThreadHook hook(&count_hook);
    for (int round = 0; round < 3; ++round) {
      auto ex = make_tbb_executor(4);
      ex->parallel_for(64, [](std::size_t) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
      auto g = ex->make_group();
      for (int i = 0; i < 16; ++i) g->run([] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
      g->wait();
    }
  }
  const int after = g_hook_calls.load();
  make_tbb_executor(4)->parallel_for(64, [](std::size_t) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
  EXPECT_EQ(g_hook_calls.load(), after);  // the hook ended with its scope
  std::lock_guard lock(g_hook_mu);
  EXPECT_GE(g_hook_calls.load(), 1);  // 4 threads asked for, 100 ms of sleeping tasks: workers joined
  EXPECT_EQ(static_cast<std::size_t>(g_hook_calls.load()), g_hook_threads.size());
  EXPECT_EQ(g_hook_threads.count(std::this_thread::get_id()), 0u);  // never the calling thread
  for (const auto& id : g_hook_threads) EXPECT_EQ(g_hook_threads.count(id), 1u);  // once per thread
}

}  // namespace
}  // namespace iotaudit
