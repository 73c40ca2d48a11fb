// The scheduler cache under concurrent /filter decisions, bookings from the informer, expiry and
// metrics reads: whatever the interleaving, no device is booked past its memory, cores or slots,
// and the cache's usage equals the sum of what it holds. Built with -DHAMI_SANITIZE=thread (the
// `tsan` preset) it is also the data-race check of DecideAndAssume.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "extender/filter.h"
#include "extender/scheduler_cache.h"
#include "extender/wire.h"

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

}  // namespace
}  // namespace hami::extender
