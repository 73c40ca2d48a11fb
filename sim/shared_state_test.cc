#include "sim/shared_state.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "sim/shared_state_test_fixture.h"

namespace hami::sim {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

class SharedStateTest : public SharedStateFileTest {
 protected:
  SharedStateTest() : SharedStateFileTest("2xA100-40GB", /*mig_enabled=*/0) {}
};

TEST_F(SharedStateTest, ReserveUpToCapacityThenRefuse) {
  auto state = Open();
  int slot = state->ClaimSlot(getpid());
  ASSERT_GE(slot, 0);
  EXPECT_EQ(state->TotalBytes(0), 40 * kGiB);
  EXPECT_TRUE(state->Reserve(slot, 0, 39 * kGiB));
  EXPECT_FALSE(state->Reserve(slot, 0, 2 * kGiB));
  EXPECT_TRUE(state->Reserve(slot, 0, kGiB));
  EXPECT_FALSE(state->Reserve(slot, 0, 1));
  EXPECT_EQ(state->UsedBytes(0), 40 * kGiB);
  EXPECT_EQ(state->UsedBytes(1), 0u);
  state->Unreserve(slot, 0, kGiB);
  EXPECT_EQ(state->UsedBytes(0), 39 * kGiB);
  state->ReleaseSlot(slot);
  EXPECT_EQ(state->UsedBytes(0), 0u);
}

TEST_F(SharedStateTest, SecondMappingSeesTheSameMachine) {
  auto a = Open();
  auto b = Open();
  int slot = a->ClaimSlot(getpid());
  ASSERT_TRUE(a->Reserve(slot, 1, 5 * kGiB));
  EXPECT_EQ(b->UsedBytes(1), 5 * kGiB);
  a->AddContext(slot, 1, 1);
  auto users = b->Processes(1);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].pid, getpid());
  EXPECT_EQ(users[0].used_bytes, 5 * kGiB);
  a->ReleaseSlot(slot);
  EXPECT_TRUE(b->Processes(1).empty());
}

TEST_F(SharedStateTest, DeadProcessMemoryIsReclaimed) {
  auto state = Open();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    auto mine = SharedState::Open(path_, gpus_);
    int slot = mine.ok() ? (*mine)->ClaimSlot(getpid()) : -1;
    bool ok = slot >= 0 && (*mine)->Reserve(slot, 0, 30 * kGiB);
    char c = ok ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();  // killed by the parent while holding the memory
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_EQ(state->UsedBytes(0), 30 * kGiB);
  int slot = state->ClaimSlot(getpid());
  EXPECT_FALSE(state->Reserve(slot, 0, 20 * kGiB));  // the child is alive: no room
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(state->Reserve(slot, 0, 20 * kGiB));  // reclaimed on demand
  EXPECT_EQ(state->UsedBytes(0), 20 * kGiB);
  state->ReleaseSlot(slot);
}

TEST_F(SharedStateTest, ConcurrentProcessesNeverOvercommit) {
  auto state = Open();
  constexpr int kProcs = 8;
  int go[2], done[2], release[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(done), 0);
  ASSERT_EQ(pipe(release), 0);
  pid_t children[kProcs];
  for (int& i : children) {
    i = fork();
    if (i == 0) {
      close(go[1]);
      close(release[1]);
      auto mine = SharedState::Open(path_, gpus_);
      int slot = (*mine)->ClaimSlot(getpid());
      char c;
      (void)!read(go[0], &c, 1);  // EOF for everyone at once: start together
      unsigned char got = 0;
      for (int k = 0; k < 100; ++k) got += (*mine)->Reserve(slot, 0, kGiB / 10) ? 1 : 0;
      (void)!write(done[1], &got, 1);
      (void)!read(release[0], &c, 1);  // stay alive (holding memory) until the parent has looked
      _exit(0);
    }
  }
  close(go[0]);
  close(go[1]);
  int total = 0;
  for (int i = 0; i < kProcs; ++i) {
    unsigned char got = 0;
    ASSERT_EQ(read(done[0], &got, 1), 1);
    total += got;
  }
  // 800 requests of 0.1 GiB against 40 GiB: exactly the 400 that fit succeed.
  EXPECT_EQ(total, 400);
  EXPECT_LE(state->UsedBytes(0), 40 * kGiB);
  close(release[1]);
  for (pid_t child : children) waitpid(child, nullptr, 0);
  EXPECT_EQ(state->ReclaimDead(), kProcs);
  EXPECT_EQ(state->UsedBytes(0), 0u);
}

TEST_F(SharedStateTest, OtherConfigurationReinitialisesUnlessInUse) {
  {
    auto state = Open();
    int slot = state->ClaimSlot(getpid());
    ASSERT_TRUE(state->Reserve(slot, 0, kGiB));
    auto other = SharedState::Open(path_, *ParseCompactGpuList("T4-16GB"));
    ASSERT_FALSE(other.ok());  // a live process uses the file with the old GPUs
    EXPECT_NE(other.error().message().find("in use"), std::string::npos);
    state->ReleaseSlot(slot);
  }
  auto t4 = SharedState::Open(path_, *ParseCompactGpuList("T4-16GB"));
  ASSERT_TRUE(t4.ok()) << t4.error().ToString();
  EXPECT_EQ((*t4)->gpu_count(), 1);
  EXPECT_EQ((*t4)->TotalBytes(0), 16 * kGiB);
}

TEST_F(SharedStateTest, TimelineIsSharedBetweenMappings) {
  auto a = Open();
  auto b = Open();
  Span first = a->Enqueue(0, 1000, 500, 11);
  Span second = b->Enqueue(0, 1000, 500, 12);
  EXPECT_EQ(second.start_ns, first.end_ns);
  EXPECT_EQ(a->BusyNs(0, 0, 5000, 12), 500);
  EXPECT_EQ(b->BusyUntil(0), 2000);
  EXPECT_EQ(a->BusyUntil(1), 0);
  auto pids = a->ActivePids(0, 0, 5000);
  EXPECT_EQ(pids.size(), 2u);
}

TEST(ProcessLiveness, SelfChildAndReuse) {
  EXPECT_TRUE(ProcessAlive(getpid(), 0));
  EXPECT_TRUE(ProcessAlive(getpid(), ProcessStartTime(getpid())));
  EXPECT_FALSE(ProcessAlive(getpid(), ProcessStartTime(getpid()) + 12345));  // pid reused
  pid_t child = fork();
  if (child == 0) _exit(0);
  // A zombie (exited, not yet reaped) is dead: wait for the exit without reaping.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(ProcessAlive(child, 0));
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessAlive(child, 0));
}

}  // namespace
}  // namespace hami::sim
