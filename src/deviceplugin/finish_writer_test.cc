// FinishWriter against the in-memory API server: ordered, retried while Unavailable, ended by
// NotFound, drained at Stop; the repair pass for patches a restart lost.
#include "deviceplugin/finish_writer.h"

#include <gtest/gtest.h>

#include <thread>

#include "deviceplugin/allocate.h"
#include "k8s/resource_path.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::deviceplugin {
namespace {

using Json = nlohmann::json;

class FinishWriterTest : public ::testing::Test {
 protected:
  Json CreatePod(const std::string& name, const std::string& phase = "Pending",
                 const std::string& bind_phase = "allocating",
                 const std::string& to_allocate = "GPU-a,NVIDIA,1000,10:;",
                 const std::string& node = "n1") {
    Json pod = {{"metadata",
                 {{"name", name},
                  {"namespace", "default"},
                  {"annotations",
                   {{"hami.io/vgpu-devices-to-allocate", to_allocate},
                    {"hami.io/vgpu-node", node},
                    {"hami.io/bind-phase", bind_phase},
                    {"hami.io/bind-time", "1700000000"}}}}},
                {"spec", {{"nodeName", node}, {"containers", {{{"name", "c"}}}}}},
                {"status", {{"phase", phase}}}};
    return *api_.Create(k8s::PodsPath("default"), pod);
  }
  // The patch the Allocator queues for `pod` once its last container is served.
  static FinishPatch PatchFor(const Json& pod) {
    return {"default", pod["metadata"]["name"], pod["metadata"]["uid"],
            FinishBindPatch({{"hami.io/vgpu-devices-to-allocate", ";"}}, "n1")};
  }
  Json Get(const std::string& name) { return *api_.Get(k8s::PodsPath("default", name)); }
  static std::string BindPhase(const Json& pod) {
    return pod["metadata"]["annotations"].value("hami.io/bind-phase", "");
  }
  static bool Finished(const Json& pod) {
    return BindPhase(pod) == "success" &&
           pod["metadata"]["annotations"]["hami.io/vgpu-devices-to-allocate"] == ";" &&
           pod["metadata"].value("labels", Json::object()).value("hami.io/vgpu-node", "") == "n1";
  }
  // Waits (real time, bounded) until nothing is queued.
  bool Drained(FinishWriter& writer) {
    for (int i = 0; i < 1000 && writer.queued() != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return writer.queued() == 0;
  }
  FinishWriterConfig Config() {
    FinishWriterConfig config;
    config.node_name = "n1";
    config.env = &env_;
    return config;
  }
  // The repair pass's view: every pod, as a watch cache would hold them.
  std::optional<std::vector<Json>> AllPods() {
    return api_.List(k8s::PodsPath("default"), {})->items;
  }

  fakes::FakeKubeApi api_;
  fakes::FakeEnv env_;
};

TEST_F(FinishWriterTest, SendsEachPatchInOrderOffTheCallersThread) {
  env_.set_auto_advance(false);
  Json a = CreatePod("a"), b = CreatePod("b");
  FinishWriter writer(api_, Config());
  writer.Start();
  writer.Push(PatchFor(a));
  writer.Push(PatchFor(b));
  ASSERT_TRUE(Drained(writer));
  Json a_now = Get("a"), b_now = Get("b");
  EXPECT_TRUE(Finished(a_now)) << a_now.dump();
  EXPECT_TRUE(Finished(b_now)) << b_now.dump();
  EXPECT_LT(std::stoll(a_now["metadata"]["resourceVersion"].get<std::string>()),
            std::stoll(b_now["metadata"]["resourceVersion"].get<std::string>()))
      << "a was pushed first";
  writer.Stop();
}

// A minute of API server refusals outlasts any fixed number of tries: the write keeps its place
// and goes through once the server answers.
TEST_F(FinishWriterTest, RetriesWhileUnavailableForAsLongAsItLasts) {
  env_.set_auto_advance(false);
  Json a = CreatePod("a"), b = CreatePod("b");
  for (int i = 0; i < 7; ++i) api_.FailNext("PATCH", base::Unavailable("HTTP 503"));
  FinishWriter writer(api_, Config());
  writer.Start();
  writer.Push(PatchFor(a));
  writer.Push(PatchFor(b));
  for (size_t refusals = 1; refusals <= 7; ++refusals) {
    ASSERT_TRUE(env_.WaitForSleeps(refusals)) << refusals;
    ASSERT_TRUE(env_.WaitForBlocked(1));
    EXPECT_EQ(BindPhase(Get("b")), "allocating") << "b waits behind a";
    env_.Advance(std::chrono::seconds(2));
  }
  ASSERT_TRUE(Drained(writer));
  EXPECT_TRUE(Finished(Get("a")));
  EXPECT_TRUE(Finished(Get("b")));
  writer.Stop();
}

TEST_F(FinishWriterTest, APodGoneEndsItsWrite) {
  Json gone = CreatePod("gone"), kept = CreatePod("kept");
  ASSERT_TRUE(api_.Delete(k8s::PodsPath("default", "gone")).ok());
  FinishWriter writer(api_, Config());
  writer.Push(PatchFor(gone));
  writer.Push(PatchFor(kept));
  writer.Stop();
  EXPECT_EQ(writer.queued(), 0U);
  EXPECT_TRUE(Finished(Get("kept")));
  EXPECT_TRUE(env_.sleeps().empty()) << "NotFound is not retried";
}

TEST_F(FinishWriterTest, StopSendsWhatIsQueuedAndLaterPushesAtOnce) {
  Json a = CreatePod("a"), b = CreatePod("b");
  FinishWriter writer(api_, Config());  // never started: everything waits for Stop
  writer.Push(PatchFor(a));
  EXPECT_EQ(BindPhase(Get("a")), "allocating");
  writer.Stop();
  EXPECT_TRUE(Finished(Get("a")));
  writer.Push(PatchFor(b));
  EXPECT_TRUE(Finished(Get("b"))) << "after Stop nothing would send it later";
}

TEST_F(FinishWriterTest, StopGivesUpAfterItsTriesAndLeavesThePodToTheRepair) {
  Json a = CreatePod("a");
  for (int i = 0; i < 5; ++i) api_.FailNext("PATCH", base::Unavailable("HTTP 503"));
  FinishWriter writer(api_, Config());
  writer.Push(PatchFor(a));
  writer.Stop();
  EXPECT_EQ(writer.queued(), 0U) << "a stopping plugin does not hang on the API server";
  EXPECT_EQ(BindPhase(Get("a")), "allocating");
}

// A restart lost the patch of a pod that then started: the repair pass writes it, once; pods that
// are still being admitted, finished, elsewhere or without NVIDIA entries are left alone.
TEST_F(FinishWriterTest, RepairWritesOnlyLostPatchesAndEachOnce) {
  CreatePod("lost", "Running");
  CreatePod("lost-done", "Succeeded");
  CreatePod("admitting", "Pending");
  CreatePod("finished", "Running", "success", ";");
  CreatePod("elsewhere", "Running", "allocating", "GPU-a,NVIDIA,1000,10:;", "n2");
  CreatePod("no-nvidia", "Running", "allocating", ";");
  FinishWriterConfig config = Config();
  std::vector<Json> stale;  // the watch cache before it sees the repair
  config.candidates = [&] { return stale; };
  FinishWriter writer(api_, config);
  stale = *AllPods();
  EXPECT_EQ(writer.RepairOnce(), 2);
  EXPECT_TRUE(Finished(Get("lost")));
  EXPECT_TRUE(Finished(Get("lost-done")));
  for (const char* name : {"admitting", "elsewhere", "no-nvidia"}) {
    EXPECT_EQ(BindPhase(Get(name)), "allocating") << name;
  }
  const int patches = api_.Calls("PATCH");
  EXPECT_EQ(writer.RepairOnce(), 0) << "the stale view does not cost a second write";
  EXPECT_EQ(api_.Calls("PATCH"), patches);
  writer.Stop();
}

TEST_F(FinishWriterTest, RepairLeavesAQueuedPatchToTheQueue) {
  Json started = CreatePod("started", "Running");
  FinishWriterConfig config = Config();
  config.candidates = [this] { return AllPods(); };
  FinishWriter writer(api_, config);
  writer.Push(PatchFor(started));
  EXPECT_EQ(writer.RepairOnce(), 0);
  EXPECT_EQ(api_.Calls("PATCH"), 0);
  writer.Stop();
  EXPECT_TRUE(Finished(Get("started")));
}

TEST_F(FinishWriterTest, TheRunningWriterRepairsEveryInterval) {
  env_.set_auto_advance(false);
  CreatePod("lost", "Running");
  FinishWriterConfig config = Config();
  config.candidates = [this] { return AllPods(); };
  FinishWriter writer(api_, config);
  writer.Start();
  ASSERT_TRUE(env_.WaitForBlocked(1));
  EXPECT_EQ(BindPhase(Get("lost")), "allocating");
  env_.Advance(config.repair_interval);
  for (int i = 0; i < 1000 && BindPhase(Get("lost")) != "success"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(Finished(Get("lost")));
  writer.Stop();
}

}  // namespace
}  // namespace hami::deviceplugin
