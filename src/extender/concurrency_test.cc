// The scheduler cache under concurrent /filter decisions, /bind commits, bookings from the
// informer, expiry and metrics reads: whatever the interleaving, no device is booked past its
// memory, cores or slots, and the cache's usage equals the sum of what it holds. Built with
// -DHAMI_SANITIZE=thread (the `tsan` preset) it is also the data-race check of DecideAndAssume.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "codec/k8s_object.h"
#include "extender/bind.h"
#include "extender/filter.h"
#include "extender/scheduler_cache.h"
#include "extender/wire.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::extender {
namespace {

constexpr int kNodes = 3;
constexpr int kDevicesPerNode = 2;
constexpr int kDeviceMiB = 16000;
constexpr int kSlots = 4;
constexpr int kFilterThreads = 8;
constexpr int kPodsPerThread = 60;

codec::NodeObject Node(int n) {
  codec::NodeObject node;
  node.name = "n" + std::to_string(n);
  nlohmann::json devices = nlohmann::json::array();
  for (int d = 0; d < kDevicesPerNode; ++d) {
    devices.push_back({{"id", "GPU-" + node.name + "-" + std::to_string(d)},
                       {"count", kSlots},
                       {"devmem", kDeviceMiB},
                       {"devcore", 100},
                       {"type", "NVIDIA-T4"},
                       {"mode", "hami-core"},
                       {"health", true}});
  }
  node.annotations["hami.io/node-nvidia-register"] = devices.dump();
  return node;
}

nlohmann::json PodJson(const std::string& uid, int mem, int cores) {
  nlohmann::json limits = {{"nvidia.com/gpu", "1"},
                           {"nvidia.com/gpumem", std::to_string(mem)},
                           {"nvidia.com/gpucores", std::to_string(cores)}};
  return {{"metadata", {{"name", uid}, {"namespace", "default"}, {"uid", uid}}},
          {"spec", {{"containers", {{{"name", "c"}, {"resources", {{"limits", limits}}}}}}}}};
}

std::vector<std::string> NodeNames() {
  std::vector<std::string> names;
  names.reserve(kNodes);
  for (int n = 0; n < kNodes; ++n) names.push_back("n" + std::to_string(n));
  return names;
}

// Every device within its limits; returns the total booked memory.
int64_t CheckWithinLimits(const SchedulerCache& cache) {
  int64_t total = 0;
  for (const auto& node : cache.NodesCopy()) {
    for (const auto& d : node.devices) {
      EXPECT_LE(d.usage.usedmem, d.info.devmem) << d.info.id;
      EXPECT_LE(d.usage.usedcores, d.info.devcore) << d.info.id;
      EXPECT_LE(d.usage.used, d.info.count) << d.info.id;
      EXPECT_GE(d.usage.usedmem, 0) << d.info.id;
      total += d.usage.usedmem;
    }
  }
  return total;
}

TEST(SchedulerCacheConcurrencyTest, ParallelFiltersNeverOverbookAndUsageMatchesAssumptions) {
  vendor::Registry registry;
  SchedulerCache cache(registry);
  for (int n = 0; n < kNodes; ++n) ASSERT_TRUE(cache.UpsertNode(Node(n)).ok());
  const FilterConfig config;
  const auto now = Clock::now();
  std::atomic<bool> done{false};
  std::atomic<int> placed{0};

  // Readers and churn beside the filters: metrics snapshots, node re-registration, forgetting.
  std::thread reader([&] {
    while (!done.load()) {
      CheckWithinLimits(cache);
      (void)cache.Allocations();
      (void)cache.QuotasCopy();
      EXPECT_TRUE(cache.UpsertNode(Node(0)).ok());
    }
  });
  std::vector<std::thread> filters;
  filters.reserve(kFilterThreads);
  for (int t = 0; t < kFilterThreads; ++t) {
    filters.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::uniform_int_distribution<int> mem(500, 9000);
      std::uniform_int_distribution<int> cores(0, 60);
      for (int i = 0; i < kPodsPerThread; ++i) {
        const std::string uid = "t" + std::to_string(t) + "-" + std::to_string(i);
        FilterArgs args;
        args.pod = PodJson(uid, mem(rng), cores(rng));
        args.node_names = NodeNames();
        auto out = Filter(cache, registry, config, args, now);
        if (out.result.node_names && !out.result.node_names->empty()) placed.fetch_add(1);
        // Every third placed pod is dropped again (its bind failed), freeing its devices.
        if (i % 3 == 2) cache.Forget(uid);
      }
    });
  }
  for (auto& f : filters) f.join();
  done = true;
  reader.join();

  EXPECT_GT(placed.load(), kNodes * kDevicesPerNode);  // the run did contend for devices
  const int64_t booked = CheckWithinLimits(cache);
  int64_t assumed = 0;
  for (int t = 0; t < kFilterThreads; ++t) {
    for (int i = 0; i < kPodsPerThread; ++i) {
      auto a = cache.Assumed("t" + std::to_string(t) + "-" + std::to_string(i));
      if (!a) continue;
      for (const auto& [vendor, containers] : a->devices) {
        for (const auto& container : containers) {
          for (const auto& grant : container) assumed += grant.usedmem;
        }
      }
    }
  }
  EXPECT_EQ(booked, assumed);
  // Expiring every assumption returns every device to idle.
  cache.ExpireAssumed(now + config.assume_ttl + std::chrono::seconds(1));
  EXPECT_EQ(CheckWithinLimits(cache), 0);
  EXPECT_EQ(cache.PodCount(), 0u);
}

// Usage of every device, by UUID: {memory, cores, slots}.
std::map<std::string, std::array<int64_t, 3>> DeviceUsage(const SchedulerCache& cache) {
  std::map<std::string, std::array<int64_t, 3>> usage;
  for (const auto& node : cache.NodesCopy()) {
    for (const auto& d : node.devices) {
      usage[d.info.id] = {d.usage.usedmem, d.usage.usedcores, static_cast<int64_t>(d.usage.used)};
    }
  }
  return usage;
}

// A Binder over `Api` and one SchedulerCache, on a FakeEnv in auto-advance mode (node-lock
// backoffs return at once) whose wall clock starts at a fixed time.
template <typename Api>
struct BindRig {
  BindRig() { env.SetUnixSeconds(1700000000); }
  Api api;
  vendor::Registry registry;
  SchedulerCache cache{registry};
  fakes::FakeEnv env;
  Binder binder{api, cache, registry, BindConfig{.env = &env}};
};

// /bind commits (node lock, annotations, Binding, the informer's booking of the bound pod, later
// its deletion) and binds losing the node lock to another race /filter decisions on the same nodes
// and the expiry of pods filtered but never bound. No device is ever over its limits; in
// the end the cache books exactly the bound pods still alive, as a cache rebuilt from the API
// server's pods does.
TEST(SchedulerCacheConcurrencyTest, BindsRaceFiltersAndExpiryWithoutOverbooking) {
  BindRig<fakes::FakeKubeApi> rig;
  auto& api = rig.api;
  auto& cache = rig.cache;
  auto& env = rig.env;
  auto& binder = rig.binder;
  const vendor::Registry& registry = rig.registry;
  for (int n = 0; n < kNodes; ++n) {
    ASSERT_TRUE(cache.UpsertNode(Node(n)).ok());
    ASSERT_TRUE(
        api.Create(k8s::NodesPath(), {{"metadata", {{"name", "n" + std::to_string(n)}}}}).ok());
  }
  constexpr int kBinders = 4;
  constexpr int kPodsPerBinder = 40;
  std::vector<std::vector<nlohmann::json>> pods(kBinders);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> mem(500, 9000);
  std::uniform_int_distribution<int> cores(0, 60);
  std::map<std::string, int64_t> mem_of;  // by pod name
  for (int t = 0; t < kBinders; ++t) {
    for (int i = 0; i < kPodsPerBinder; ++i) {
      const std::string name = "b" + std::to_string(t) + "-" + std::to_string(i);
      const int m = mem(rng);
      nlohmann::json pod = PodJson(name, m, cores(rng));
      pod["metadata"].erase("uid");
      auto created = api.Create(k8s::PodsPath("default"), pod);
      ASSERT_TRUE(created.ok());
      pods[t].push_back(*created);
      mem_of[name] = m;
    }
  }
  const FilterConfig config;
  const auto now = Clock::now();
  // Pods that will not be bound are filtered "earlier": their deadline is already past `now`.
  const auto stale = now - 2 * config.assume_ttl;
  std::atomic<bool> done{false};
  std::atomic<int> bound{0};
  std::atomic<int> lost_lock{0};

  std::thread expiry([&] {
    while (!done.load()) {
      (void)cache.ExpireAssumed(now);
      CheckWithinLimits(cache);
    }
  });
  std::vector<std::thread> binders;
  binders.reserve(kBinders);
  for (int t = 0; t < kBinders; ++t) {
    binders.emplace_back([&, t] {
      for (int i = 0; i < kPodsPerBinder; ++i) {
        const nlohmann::json& pod = pods[t][i];
        const std::string name = pod["metadata"]["name"];
        const std::string uid = pod["metadata"]["uid"];
        const bool abandoned = i % 4 == 3;  // filtered, never bound: expires
        for (int attempt = 0; attempt < 3; ++attempt) {
          FilterArgs args;
          args.pod = pod;
          args.node_names = NodeNames();
          auto out = Filter(cache, registry, config, args, abandoned ? stale : now);
          if (abandoned || !out.result.node_names || out.result.node_names->size() != 1) break;
          const std::string node = out.result.node_names->front();
          const base::Status status = binder.Bind({name, "default", uid, node});
          if (!status.ok()) {
            // Node lock contention. Bind keeps the assumption then (it expires, or the retry's
            // filter replaces it); kube-scheduler retries the pod.
            EXPECT_NE(status.message().find("node lock contention"), std::string::npos)
                << status.message();
            lost_lock.fetch_add(1);
            continue;
          }
          bound.fetch_add(1);
          // The pod's watch event books it; the device plugin's Allocate releases the lock.
          auto written = api.Get(k8s::PodsPath("default", name));
          EXPECT_TRUE(written.ok());
          auto model_pod = codec::PodFromJson(*written);
          EXPECT_TRUE(model_pod.ok());
          EXPECT_TRUE(cache.UpsertPod(*model_pod, env.UnixSeconds()).ok());
          EXPECT_TRUE(binder.ReleaseNodeLock(node, "default", name).ok());
          if (i % 5 == 4) {  // the pod finishes: its devices are free again
            EXPECT_TRUE(api.Delete(k8s::PodsPath("default", name)).ok());
            cache.DeletePod(uid);
          }
          break;
        }
      }
    });
  }
  for (auto& b : binders) b.join();
  done = true;
  expiry.join();
  // What is left assumed: pods filtered last and abandoned, and pods whose every bind lost the
  // node lock. All of it expires.
  (void)cache.ExpireAssumed(now + config.assume_ttl);

  EXPECT_GT(bound.load(), kNodes * kDevicesPerNode);
  RecordProperty("bound", bound.load());
  RecordProperty("binds_lost_lock", lost_lock.load());
  const int64_t booked = CheckWithinLimits(cache);
  auto listed = api.List(k8s::PodsPath(""), {});
  ASSERT_TRUE(listed.ok());
  SchedulerCache rebuilt(registry);
  for (int n = 0; n < kNodes; ++n) ASSERT_TRUE(rebuilt.UpsertNode(Node(n)).ok());
  int64_t live_bound_mem = 0;
  size_t live_bound = 0;
  for (const nlohmann::json& pod : listed->items) {
    if (pod["spec"].value("nodeName", "").empty()) continue;
    ++live_bound;
    live_bound_mem += mem_of[pod["metadata"]["name"]];
    auto model_pod = codec::PodFromJson(pod);
    ASSERT_TRUE(model_pod.ok());
    ASSERT_TRUE(rebuilt.UpsertPod(*model_pod, env.UnixSeconds()).ok());
  }
  EXPECT_EQ(cache.PodCount(), live_bound);
  EXPECT_EQ(booked, live_bound_mem);
  EXPECT_EQ(DeviceUsage(cache), DeviceUsage(rebuilt));
  CheckWithinLimits(rebuilt);
  for (int n = 0; n < kNodes; ++n) {
    auto node = api.Get(k8s::NodesPath("n" + std::to_string(n)));
    ASSERT_TRUE(node.ok());
    EXPECT_FALSE(node->at("metadata")
                     .value("annotations", nlohmann::json::object())
                     .contains("hami.io/mutex.lock"));
  }
}

// A FakeKubeApi that runs `before_binding` once, just before the next Binding POST is applied.
class BindingHookApi : public fakes::FakeKubeApi {
 public:
  std::function<void()> before_binding;
  base::Result<nlohmann::json> Create(const k8s::ResourcePath& path,
                                      const nlohmann::json& object) override {
    if (path.subresource == "binding" && before_binding) {
      auto hook = std::move(before_binding);
      before_binding = nullptr;
      hook();
    }
    return fakes::FakeKubeApi::Create(path, object);
  }
};

// The assumption reaches its deadline while /bind is in flight (slow API server, node-lock
// retries): expiry must not free its devices, or another pod is filtered onto them and the bound
// pod's watch event then books the device past its memory (20000 of 16000 MiB here, before
// SchedulerCache::BeginBind). The interleaving is scripted, so the test is deterministic.
TEST(SchedulerCacheConcurrencyTest, ExpiryWhileBindInFlightMustNotOverbook) {
  BindRig<BindingHookApi> rig;
  auto& api = rig.api;
  auto& cache = rig.cache;
  auto& env = rig.env;
  auto& binder = rig.binder;
  const vendor::Registry& registry = rig.registry;
  codec::NodeObject node;  // one device, so the second pod can only go where the first is
  node.name = "n0";
  node.annotations["hami.io/node-nvidia-register"] = nlohmann::json::array({{{"id", "GPU-only"},
                                                                             {"count", kSlots},
                                                                             {"devmem", kDeviceMiB},
                                                                             {"devcore", 100},
                                                                             {"type", "NVIDIA-T4"},
                                                                             {"mode", "hami-core"},
                                                                             {"health", true}}})
                                                         .dump();
  ASSERT_TRUE(cache.UpsertNode(node).ok());
  ASSERT_TRUE(api.Create(k8s::NodesPath(), {{"metadata", {{"name", "n0"}}}}).ok());
  auto create = [&](const std::string& name) {
    nlohmann::json pod = PodJson(name, 10000, 10);
    pod["metadata"].erase("uid");
    return *api.Create(k8s::PodsPath("default"), pod);
  };
  const nlohmann::json a = create("a");
  const nlohmann::json b = create("b");
  const FilterConfig config;
  const auto now = Clock::now();
  auto filter = [&](const nlohmann::json& pod, Clock::time_point at) {
    FilterArgs args;
    args.pod = pod;
    args.node_names = std::vector<std::string>{"n0"};
    auto out = Filter(cache, registry, config, args, at);
    return out.result.node_names && !out.result.node_names->empty();
  };
  ASSERT_TRUE(filter(a, now));
  const std::string device =
      cache.Assumed(a["metadata"]["uid"])->devices.begin()->second[0][0].uuid;
  bool b_placed_on_same_device = false;
  api.before_binding = [&] {
    (void)cache.ExpireAssumed(now + config.assume_ttl);
    const auto later = now + config.assume_ttl;
    if (!filter(b, later)) return;
    const auto assumed = cache.Assumed(b["metadata"]["uid"]);
    b_placed_on_same_device = assumed && assumed->devices.begin()->second[0][0].uuid == device;
  };
  ASSERT_TRUE(binder.Bind({"a", "default", a["metadata"]["uid"], "n0"}).ok());
  auto bound = api.Get(k8s::PodsPath("default", "a"));
  ASSERT_TRUE(bound.ok());
  ASSERT_TRUE(cache.UpsertPod(*codec::PodFromJson(*bound), env.UnixSeconds()).ok());
  if (b_placed_on_same_device) {
    ADD_FAILURE() << "pod b was placed on " << device << " while pod a was being bound to it";
  }
  CheckWithinLimits(cache);
}

}  // namespace
}  // namespace hami::extender
