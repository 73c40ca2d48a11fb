#include "k8s/informer.h"

#include <atomic>
#include <condition_variable>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

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

// Mirrors the informer's deltas in a model and checks each against it: an add of a key the model
// has, an update or delete of one it lacks, an update that does not move the resourceVersion
// forward, or a resync that differs from the model is a lost or duplicated event.
class DeltaModel {
 public:
  InformerHandlers Handlers() {
    return {
        [this](const Json& o) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!model_.emplace(KeyOf(o), Version(o)).second) Fault("add twice " + KeyOf(o));
          Changed();
        },
        [this](const Json& old_object, const Json& o) {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = model_.find(KeyOf(o));
          if (it == model_.end()) {
            Fault("update of unknown " + KeyOf(o));
          } else if (it->second != Version(old_object) || Version(o) <= it->second) {
            Fault("update of " + KeyOf(o) + " from " + std::to_string(it->second) + " to " +
                  std::to_string(Version(o)));
          }
          model_[KeyOf(o)] = Version(o);
          Changed();
        },
        [this](const Json& o) {
          std::lock_guard<std::mutex> lock(mu_);
          if (model_.erase(KeyOf(o)) != 1) Fault("delete of unknown " + KeyOf(o));
          Changed();
        },
        [this](const std::vector<Json>& all) {
          std::lock_guard<std::mutex> lock(mu_);
          std::map<std::string, int64_t> listed;
          for (const Json& o : all) listed[KeyOf(o)] = Version(o);
          if (listed != model_) Fault("resync differs from the deltas");
          ++resyncs_;
          Changed();
        },
    };
  }
  // Waits (bounded) until `done` holds; it is evaluated after every delta.
  bool WaitUntil(const std::function<bool()>& done, seconds timeout = seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, done);
  }
  std::map<std::string, int64_t> model() {
    std::lock_guard<std::mutex> lock(mu_);
    return model_;
  }
  std::vector<std::string> faults() {
    std::lock_guard<std::mutex> lock(mu_);
    return faults_;
  }

  static int64_t Version(const Json& o) {
    return std::stoll(o.at("metadata").at("resourceVersion").get<std::string>());
  }

 private:
  void Fault(std::string what) { faults_.push_back(std::move(what)); }
  void Changed() { cv_.notify_all(); }
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int64_t> model_;
  std::vector<std::string> faults_;
  int resyncs_ = 0;
};

// Readers hammer the cache while the server drops watches, expires resource versions (410) and
// fails watches and lists, and objects are added, changed and deleted meanwhile. Each round
// disconnects the informer (its next watch parked), changes objects, injects one disruption and
// waits until the informer has caught up, so the disruptions met are exact. At the end the cache
// is the server's state, every delta was applied once (DeltaModel), and readers only ever saw
// consistent caches with a resourceVersion that never went back.
TEST(InformerTest, ReadersSeeConsistentCacheWhileWatchesDropAndExpire) {
  fakes::FakeKubeApi api;
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(api.Create(PodsPath("default"), Pod("p" + std::to_string(i))).ok());
  DeltaModel model;
  InformerOptions options = Options();
  options.initial_backoff = milliseconds(1);
  options.max_backoff = milliseconds(2);
  Informer informer(&api, options, model.Handlers());
  auto caught_up = [&] {
    return informer.ResourceVersion() == std::to_string(api.resource_version());
  };

  constexpr int kReaders = 4;
  std::atomic<bool> done{false};
  std::atomic<int> reader_faults{0};
  std::atomic<int64_t> reads{0};
  std::latch readers_started(kReaders);
  std::vector<std::thread> readers;
  readers.reserve(kReaders);
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      readers_started.count_down();
      int64_t last_version = 0;
      while (!done.load()) {
        const std::vector<Json> objects = informer.List();
        const std::string rv = informer.ResourceVersion();
        const int64_t version = rv.empty() ? 0 : std::stoll(rv);
        std::set<std::string> keys;
        for (const Json& o : objects) {
          if (!keys.insert(KeyOf(o)).second || DeltaModel::Version(o) > version)
            reader_faults.fetch_add(1);
        }
        if (version < last_version) reader_faults.fetch_add(1);
        last_version = version;
        if (auto one = informer.Get("default/p" + std::to_string(t)))
          (void)one->at("metadata").at("name");
        reads.fetch_add(1);
      }
    });
  }
  readers_started.wait();
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  ASSERT_TRUE(model.WaitUntil(caught_up));

  constexpr int kRounds = 24;
  int next = 4;
  int gone = 0, failed_lists = 0, failed_watches = 0;
  for (int round = 0; round < kRounds; ++round) {
    api.HoldWatches(true);
    api.CloseWatches();
    ASSERT_TRUE(api.WaitForHeldWatches(1)) << "round " << round;
    // Changes while disconnected: an add, an update and a delete.
    ASSERT_TRUE(api.Create(PodsPath("default"), Pod("p" + std::to_string(next++))).ok());
    ASSERT_TRUE(PatchAnnotations(api, PodsPath("default", "p" + std::to_string(next - 2)),
                                 {{"round", std::to_string(round)}})
                    .ok());
    ASSERT_TRUE(api.Delete(PodsPath("default", "p" + std::to_string(next - 4))).ok());
    switch (round % 4) {
      case 0:  // the parked watch resumes from the informer's version and replays the changes
        break;
      case 1:  // the changes are compacted away: ERROR 410, relist
        api.Compact();
        ++gone;
        break;
      case 2:  // the next watch after this one fails
        api.FailNext("WATCH", base::Unavailable("connection reset"));
        ++failed_watches;
        break;
      case 3:  // 410, and the relist fails once
        api.Compact();
        api.FailNext("LIST", base::Unavailable("api server down"));
        ++gone;
        ++failed_lists;
        break;
    }
    api.HoldWatches(false);
    ASSERT_TRUE(model.WaitUntil(caught_up)) << "round " << round;
  }
  // One more disconnection consumes the watch failure queued by the last round of kind 2.
  api.HoldWatches(true);
  api.CloseWatches();
  ASSERT_TRUE(api.WaitForHeldWatches(1));
  api.HoldWatches(false);
  done = true;
  for (auto& r : readers) r.join();

  auto server = api.List(PodsPath(""), {});
  ASSERT_TRUE(server.ok());
  std::map<std::string, Json> want;
  for (const Json& o : server->items) want[KeyOf(o)] = o;
  std::map<std::string, Json> got;
  for (const Json& o : informer.List()) got[KeyOf(o)] = o;
  EXPECT_EQ(got, want);
  std::map<std::string, int64_t> want_versions;
  for (const auto& [key, o] : want) want_versions[key] = DeltaModel::Version(o);
  EXPECT_EQ(model.model(), want_versions);
  EXPECT_EQ(model.faults(), std::vector<std::string>{});
  EXPECT_EQ(reader_faults.load(), 0);
  EXPECT_GT(reads.load(), 0);
  informer.Stop();
  const InformerStats stats = informer.stats();
  EXPECT_EQ(stats.relists_gone, gone);
  EXPECT_EQ(stats.lists, 1 + gone);  // a failed LIST is an error, not a list
  EXPECT_EQ(stats.errors, failed_lists + failed_watches);
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
