#include "k8s/node_lock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "codec/node_lock.h"
#include "model/protocol.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::k8s {
namespace {

// Two lockers on one fake API server: "the scheduler" and "the device plugin" (two processes).
class NodeLockTest : public ::testing::Test {
 protected:
  NodeLockTest() { env_.SetUnixSeconds(1700000000); }

  void SetUp() override {
    ASSERT_TRUE(api_.Create(NodesPath(), {{"metadata", {{"name", "n1"}}}}).ok());
    for (const char* name : {"a", "b", "c"}) {
      ASSERT_TRUE(api_.Create(PodsPath("default"), {{"metadata", {{"name", name}}}}).ok());
    }
  }

  std::string LockValue() {
    auto node = api_.Get(NodesPath("n1"));
    EXPECT_TRUE(node.ok());
    const auto& annotations = (*node)["metadata"].value("annotations", nlohmann::json::object());
    return annotations.value(model::kNodeLockAnnotation, "");
  }

  fakes::FakeEnv env_;
  fakes::FakeKubeApi api_;
  NodeLockConfig config_{std::chrono::minutes(5), 5, &env_};
  NodeLocker scheduler_{api_, config_};
  NodeLocker plugin_{api_, config_};
};

TEST_F(NodeLockTest, OurOwnLastPatchReplacesTheRead) {
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "a").ok());
  ASSERT_TRUE(plugin_.Release("n1", "default", "a").ok());
  const int gets = api_.Calls("GET");
  // The scheduler remembers lock=a from its own patch; the node changed since, so its first
  // decision (contention with a live owner) is re-checked on a fresh read, which shows no lock.
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "b").ok());
  EXPECT_EQ(api_.Calls("GET") - gets, 2);  // the owner-pod check + the fresh node read
  EXPECT_NE(LockValue().find(",default,b"), std::string::npos);

  // Take-over of a lock we wrote ourselves (stale at once with timeout 0): no read at all.
  NodeLocker eager(api_, NodeLockConfig{std::chrono::seconds(0), 5, &env_});
  ASSERT_TRUE(eager.Acquire("n1", "default", "c").ok());
  const int reads = api_.Calls("GET");
  ASSERT_TRUE(eager.Acquire("n1", "default", "a").ok());
  ASSERT_TRUE(eager.Acquire("n1", "default", "b").ok());
  EXPECT_EQ(api_.Calls("GET"), reads);
  EXPECT_NE(LockValue().find(",default,b"), std::string::npos);
}

TEST_F(NodeLockTest, ContentionIsOnlyReportedFromAFreshRead) {
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "a").ok());
  auto status = scheduler_.Acquire("n1", "default", "b");
  EXPECT_EQ(status.code(), base::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("node lock contention"), std::string::npos);
  EXPECT_NE(LockValue().find(",default,a"), std::string::npos);
}

TEST_F(NodeLockTest, ReleaseIsNotSkippedOnAStaleMemory) {
  // The plugin's last patch left no lock; the scheduler has locked for b since.
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "a").ok());
  ASSERT_TRUE(plugin_.Release("n1", "default", "a").ok());
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "b").ok());
  ASSERT_TRUE(plugin_.Release("n1", "default", "b").ok());
  EXPECT_EQ(LockValue(), "");
}

TEST_F(NodeLockTest, AStaleMemoryConflictRereadsWithoutCountingAsContention) {
  NodeLocker eager(api_, NodeLockConfig{std::chrono::seconds(0), 1, &env_});
  ASSERT_TRUE(eager.Acquire("n1", "default", "a").ok());
  // Someone else writes the node (e.g. the device plugin updates its register annotation).
  ASSERT_TRUE(api_.Patch(NodesPath("n1"), PatchType::kMerge,
                         {{"metadata", {{"annotations", {{"x", "y"}}}}}})
                  .ok());
  // One attempt allowed: the conflict on the remembered resourceVersion does not use it up.
  ASSERT_TRUE(eager.Acquire("n1", "default", "b").ok());
  EXPECT_NE(LockValue().find(",default,b"), std::string::npos);
}

// A vendor lock whose value is a bare RFC 3339 time (Cambricon's cambricon.com/dsmlu.lock, 120 s;
// vendors.md §4): free -> taken; fresh -> contention, whoever asks (it names no owner); expired ->
// taken over; release removes it.
TEST_F(NodeLockTest, OwnerlessVendorLockCases) {
  NodeLockConfig config{std::chrono::seconds(120), 5, &env_, "cambricon.com/dsmlu.lock", false};
  NodeLocker locker(api_, config);
  auto value = [&] {
    auto node = api_.Get(NodesPath("n1"));
    return (*node)["metadata"]
        .value("annotations", nlohmann::json::object())
        .value("cambricon.com/dsmlu.lock", "");
  };
  ASSERT_TRUE(locker.Acquire("n1", "default", "a").ok());
  EXPECT_EQ(value(), "2023-11-14T22:13:20Z");
  EXPECT_EQ(LockValue(), "");  // hami.io/mutex.lock untouched
  env_.Advance(std::chrono::seconds(119));
  EXPECT_EQ(locker.Acquire("n1", "default", "a").code(), base::StatusCode::kUnavailable);
  EXPECT_EQ(locker.Acquire("n1", "default", "b").code(), base::StatusCode::kUnavailable);
  env_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(locker.Acquire("n1", "default", "b").ok());
  EXPECT_EQ(value(), "2023-11-14T22:15:20Z");
  ASSERT_TRUE(locker.Release("n1", "default", "b").ok());
  EXPECT_EQ(value(), "");
}

// A lock whose owner pod lives is contention until --node-lock-timeout has passed on the wall
// clock; then it is taken over.
TEST_F(NodeLockTest, LiveOwnersLockExpiresAfterTheTimeout) {
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "a").ok());
  env_.Advance(std::chrono::minutes(5) - std::chrono::seconds(1));
  EXPECT_EQ(plugin_.Acquire("n1", "default", "b").code(), base::StatusCode::kUnavailable);
  EXPECT_NE(LockValue().find(",default,a"), std::string::npos);
  env_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(plugin_.Acquire("n1", "default", "b").ok());
  EXPECT_EQ(LockValue(), "2023-11-14T22:18:20Z,default,b");  // stamped with the fake wall clock
  EXPECT_TRUE(env_.sleeps().empty());                        // no conflict, no backoff
}

// Conflicts after fresh reads (someone else is writing the node) back off 100 ms, doubling,
// through the Env: the retries run instantly here, and the sleeps are the ones asked for.
TEST_F(NodeLockTest, ConflictsBackOffDoublingUntilAttemptsRunOut) {
  using std::chrono::milliseconds;
  const base::Status conflict(base::StatusCode::kAlreadyExists, "the object has been modified");
  for (int i = 0; i < 4; ++i) api_.FailNext("PATCH", conflict);
  ASSERT_TRUE(scheduler_.Acquire("n1", "default", "a").ok());
  EXPECT_EQ(env_.sleeps(),
            (std::vector<std::chrono::nanoseconds>{milliseconds(100), milliseconds(200),
                                                   milliseconds(400), milliseconds(800)}));
  EXPECT_EQ(env_.Elapsed(), milliseconds(1500));
  EXPECT_NE(LockValue().find(",default,a"), std::string::npos);

  fakes::FakeEnv env;
  NodeLocker impatient(api_, NodeLockConfig{std::chrono::minutes(5), 3, &env});
  for (int i = 0; i < 3; ++i) api_.FailNext("PATCH", conflict);
  auto status = impatient.Release("n1", "default", "a");
  EXPECT_EQ(status.code(), base::StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("retries exhausted"), std::string::npos);
  EXPECT_EQ(env.sleeps(),
            (std::vector<std::chrono::nanoseconds>{milliseconds(100), milliseconds(200)}));
}

TEST_F(NodeLockTest, ConcurrentAcquiresOnOneNodeQueueInsteadOfConflicting) {
  NodeLocker eager(api_, NodeLockConfig{std::chrono::seconds(0), 1, &env_});
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (!eager.Acquire("n1", "default", i % 2 ? "a" : "b").ok()) failures++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);  // one attempt each: any 409 would have failed one
}

}  // namespace
}  // namespace hami::k8s
