#include "k8s/informer.h"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "test/fakes/fake_kube_api.h"

namespace hami::k8s {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

Json Pod(const std::string& name, const std::string& app = "gpu") {
  return {{"metadata", {{"name", name}, {"labels", {{"app", app}}}}}, {"spec", Json::object()}};
}

// Records handler calls as lines ("add default/a") and lets a test wait for a count.
class Recorder {
 public:
  InformerHandlers Handlers() {
    return {
        [this](const Json& o) { Add("add " + KeyOf(o)); },
        [this](const Json&, const Json& o) { Add("update " + KeyOf(o)); },
        [this](const Json& o) { Add("delete " + KeyOf(o)); },
        [this](const std::vector<Json>& all) { Add("resync " + std::to_string(all.size())); },
    };
  }
  bool WaitFor(size_t count, seconds timeout = seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return lines_.size() >= count; });
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  void Add(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(line));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

InformerOptions Options() {
  InformerOptions options;
  options.collection = PodsPath("");
  options.page_size = 2;  // exercises continue tokens
  options.initial_backoff = milliseconds(5);
  options.max_backoff = milliseconds(20);
  options.name = "test-pods";
  return options;
}

using Lines = std::vector<std::string>;

TEST(InformerTest, ListsThenWatches) {
  fakes::FakeKubeApi api;
  for (const char* name : {"a", "b", "c"})
    ASSERT_TRUE(api.Create(PodsPath("default"), Pod(name)).ok());
  Recorder recorder;
  Informer informer(&api, Options(), recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  EXPECT_EQ(recorder.lines(),
            (Lines{"add default/a", "add default/b", "add default/c", "resync 3"}));
  EXPECT_EQ(api.Calls("LIST"), 2);  // two pages

  ASSERT_TRUE(api.WaitForWatches(1));
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("d")).ok());
  ASSERT_TRUE(PatchAnnotations(api, PodsPath("default", "a"), {{"k", "v"}}).ok());
  ASSERT_TRUE(api.Delete(PodsPath("default", "b")).ok());
  ASSERT_TRUE(recorder.WaitFor(7));
  EXPECT_EQ(recorder.lines(), (Lines{"add default/a", "add default/b", "add default/c", "resync 3",
                                     "add default/d", "update default/a", "delete default/b"}));
  EXPECT_EQ(informer.List().size(), 3u);
  EXPECT_EQ(informer.Get("default/a")->at("metadata").at("annotations").at("k"), "v");
  EXPECT_FALSE(informer.Get("default/b").has_value());
  EXPECT_EQ(informer.ResourceVersion(), std::to_string(api.resource_version()));
  informer.Stop();
}

TEST(InformerTest, StreamEndResumesFromLastVersionWithoutRelist) {
  fakes::FakeKubeApi api;
  Recorder recorder;
  Informer informer(&api, Options(), recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  ASSERT_TRUE(api.WaitForWatches(1));
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("a")).ok());
  ASSERT_TRUE(recorder.WaitFor(2));
  api.HoldWatches(true);
  api.CloseWatches();
  ASSERT_TRUE(api.WaitForHeldWatches(1));
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("b")).ok());  // while disconnected
  api.HoldWatches(false);
  ASSERT_TRUE(recorder.WaitFor(3));
  EXPECT_EQ(recorder.lines(), (Lines{"resync 0", "add default/a", "add default/b"}));
  EXPECT_EQ(informer.stats().lists, 1);
  EXPECT_GE(informer.stats().watches, 2);
}

TEST(InformerTest, GoneTriggersRelistWithMissedDeltasAndResync) {
  fakes::FakeKubeApi api;
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("a")).ok());
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("b")).ok());
  Recorder recorder;
  Informer informer(&api, Options(), recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  ASSERT_TRUE(api.WaitForWatches(1));
  api.HoldWatches(true);
  api.CloseWatches();
  ASSERT_TRUE(api.WaitForHeldWatches(1));
  ASSERT_TRUE(api.Delete(PodsPath("default", "a")).ok());
  ASSERT_TRUE(PatchAnnotations(api, PodsPath("default", "b"), {{"x", "1"}}).ok());
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("c")).ok());
  api.Compact();
  api.HoldWatches(false);
  ASSERT_TRUE(recorder.WaitFor(7));
  EXPECT_EQ(recorder.lines(),
            (Lines{"add default/a", "add default/b", "resync 2", "update default/b",
                   "add default/c", "delete default/a", "resync 2"}));
  EXPECT_EQ(informer.stats().lists, 2);
  EXPECT_EQ(informer.stats().relists_gone, 1);
}

TEST(InformerTest, RetriesFailedListAndWatchWithBackoff) {
  fakes::FakeKubeApi api;
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("a")).ok());
  api.FailNext("LIST", base::Unavailable("api server down"));
  api.FailNext("LIST", base::Unavailable("api server down"));
  api.FailNext("WATCH", base::Unavailable("connection reset"));
  Recorder recorder;
  Informer informer(&api, Options(), recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  ASSERT_TRUE(api.WaitForWatches(1));
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("b")).ok());
  ASSERT_TRUE(recorder.WaitFor(3));
  EXPECT_EQ(recorder.lines(), (Lines{"add default/a", "resync 1", "add default/b"}));
  InformerStats stats = informer.stats();
  EXPECT_EQ(stats.errors, 3);
  EXPECT_EQ(stats.lists, 1);
}

TEST(InformerTest, SelectorsAreApplied) {
  fakes::FakeKubeApi api;
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("gpu1", "gpu")).ok());
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("web1", "web")).ok());
  Recorder recorder;
  InformerOptions options = Options();
  options.label_selector = "app=gpu";
  Informer informer(&api, options, recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  ASSERT_TRUE(api.WaitForWatches(1));
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("web2", "web")).ok());
  ASSERT_TRUE(api.Create(PodsPath("default"), Pod("gpu2", "gpu")).ok());
  ASSERT_TRUE(recorder.WaitFor(3));
  EXPECT_EQ(recorder.lines(), (Lines{"add default/gpu1", "resync 1", "add default/gpu2"}));
}

TEST(InformerTest, StopInterruptsWatchAndWaitForSync) {
  fakes::FakeKubeApi api;
  for (int i = 0; i < 5; ++i) api.FailNext("LIST", base::Unavailable("down"));
  InformerOptions options = Options();
  options.initial_backoff = milliseconds(1000);
  options.max_backoff = milliseconds(60000);
  Informer informer(&api, options, {});
  informer.Start();
  EXPECT_FALSE(informer.WaitForSync(milliseconds(50)));
  auto started = std::chrono::steady_clock::now();
  informer.Stop();  // inside a 1 s+ backoff
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(900));
  EXPECT_FALSE(informer.HasSynced());

  fakes::FakeKubeApi api2;
  Informer watching(&api2, Options(), {});
  watching.Start();
  ASSERT_TRUE(watching.WaitForSync(milliseconds(5000)));
  ASSERT_TRUE(api2.WaitForWatches(1));
  started = std::chrono::steady_clock::now();
  watching.Stop();  // inside a blocking watch
  watching.Stop();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(900));
}

}  // namespace
}  // namespace hami::k8s
