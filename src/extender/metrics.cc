// SchedulerService::RenderMetrics: upstream's scheduler metric names and labels (hami-wire §6.1),
// computed from the live cache on every scrape (upstream lags up to 15 s). With --legacy-metrics
// the pre-2.5 names (GPUDeviceMemoryLimit, ...) are written as well, with their label names.
#include "extender/service.h"
#include "net/build_info_metric.h"
#include "net/prometheus_text.h"

namespace hami::extender {
namespace {

using net::Labels;
using net::MetricType;
constexpr double kMiB = 1048576.0;

// Writes one family under its current name and, when `legacy` is set, under its legacy name too,
// renaming the labels (current -> legacy) for the latter.
class DualWriter {
 public:
  DualWriter(net::PrometheusText& out, bool legacy) : out_(out), legacy_(legacy) {}

  struct Family {
    const char* name;
    const char* legacy_name;  // nullptr: no legacy counterpart
    const char* help;
    std::map<std::string, std::string> legacy_labels = {};  // overrides of the common renames
  };
  using Sample = std::pair<Labels, double>;

  void Write(const Family& family, const std::vector<Sample>& samples) {
    out_.Family(family.name, family.help, MetricType::kGauge);
    for (const auto& [labels, value] : samples) out_.Sample(family.name, labels, value);
    if (!legacy_ || family.legacy_name == nullptr) return;
    out_.Family(family.legacy_name, family.help, MetricType::kGauge);
    for (const auto& [labels, value] : samples) {
      out_.Sample(family.legacy_name, Legacy(labels, family.legacy_labels), value);
    }
  }

 private:
  static Labels Legacy(const Labels& labels, const std::map<std::string, std::string>& overrides) {
    static const std::map<std::string, std::string> kRename = {
        {"node", "nodeid"},
        {"device_uuid", "deviceuuid"},
        {"device_index", "deviceidx"},
        {"device_type", "devicetype"},
        {"device_cores", "devicecores"},
        {"device_memory_limit", "devicememorylimit"},
        {"namespace", "podnamespace"},
        {"pod", "podname"},
        {"container_index", "containeridx"},
        {"quota_name", "quotaName"}};
    Labels out;
    for (const auto& [k, v] : labels) {
      if (k == "device_vendor") continue;  // ours; the legacy families keep their label set
      if (auto o = overrides.find(k); o != overrides.end()) {
        out.emplace_back(o->second, v);
      } else if (auto r = kRename.find(k); r != kRename.end()) {
        out.emplace_back(r->second, v);
      } else {
        out.emplace_back(k, v);
      }
    }
    return out;
  }

  net::PrometheusText& out_;
  bool legacy_;
};

void WriteDevices(DualWriter& w, const std::vector<sched::NodeState>& nodes) {
  std::vector<DualWriter::Sample> limit, cores, allocated, shared, core_allocated, overview, ratio;
  for (const auto& node : nodes) {
    for (const auto& d : node.devices) {
      const Labels base = {{"node", node.name},
                           {"device_uuid", d.info.id},
                           {"device_index", std::to_string(d.info.index)},
                           {"device_type", d.info.type},
                           {"device_vendor", d.info.vendor},
                           {"zone", "vGPU"}};
      Labels with_cores = base;
      with_cores.emplace_back("device_cores", std::to_string(d.usage.usedcores));
      Labels with_limit = with_cores;
      with_limit.emplace_back("device_memory_limit", std::to_string(d.info.devmem));
      limit.emplace_back(base, d.info.devmem * kMiB);
      cores.emplace_back(base, static_cast<double>(d.info.devcore));
      allocated.emplace_back(with_cores, d.usage.usedmem * kMiB);
      shared.emplace_back(base, static_cast<double>(d.usage.used));
      core_allocated.emplace_back(base, static_cast<double>(d.usage.usedcores));
      overview.emplace_back(with_limit, d.usage.usedmem * kMiB);
      if (d.info.devmem > 0) {
        ratio.emplace_back(base, static_cast<double>(d.usage.usedmem) / d.info.devmem);
      }
    }
  }
  w.Write(
      {"hami_gpu_memory_limit_bytes", "GPUDeviceMemoryLimit", "Device memory registered, bytes"},
      limit);
  w.Write({"hami_gpu_core_limit_ratio", "GPUDeviceCoreLimit", "Device cores registered, percent"},
          cores);
  w.Write({"hami_gpu_memory_allocated_bytes", "GPUDeviceMemoryAllocated",
           "Device memory allocated to pods, bytes"},
          allocated);
  w.Write({"hami_gpu_shared_count", "GPUDeviceSharedNum", "Containers sharing the device"}, shared);
  w.Write({"hami_gpu_core_allocated_ratio", "GPUDeviceCoreAllocated",
           "Device cores allocated to pods, percent"},
          core_allocated);
  w.Write({"hami_node_gpu_overview", "nodeGPUOverview",
           "Device memory allocated to pods, bytes, with the device's limits as labels"},
          overview);
  w.Write({"hami_node_gpu_memory_allocated_ratio", "nodeGPUMemoryPercentage",
           "Allocated / registered device memory"},
          ratio);
}

void WritePods(DualWriter& w, const std::vector<SchedulerCache::PodAllocation>& pods) {
  std::vector<DualWriter::Sample> memory, cores;
  for (const auto& pod : pods) {
    for (const auto& [uuid, booking] : pod.devices) {
      const Labels labels = {{"namespace", pod.ns},    {"node", pod.node},    {"pod", pod.pod},
                             {"container_index", "0"}, {"device_uuid", uuid}, {"zone", "vGPU"}};
      memory.emplace_back(labels, booking.mem * kMiB);
      cores.emplace_back(labels, static_cast<double>(booking.cores));
    }
  }
  const std::map<std::string, std::string> legacy = {{"node", "nodename"}};
  w.Write({"hami_vgpu_memory_allocated_bytes", "vGPUMemoryAllocated",
           "Device memory allocated to a pod (containers collapsed), bytes", legacy},
          memory);
  w.Write({"hami_vgpu_core_allocated_ratio", "vGPUCoreAllocated",
           "Device cores allocated to a pod (containers collapsed), percent", legacy},
          cores);
}

// hami_node_gpu_mig_instance_info: 1 per realized MIG instance of a live pod (its allocation
// entry carries the device plugin's migUUID); instances still being created are not listed.
// No legacy counterpart is written (upstream's nodeGPUMigInstance has another label set).
void WriteMigInstances(DualWriter& w, const std::vector<SchedulerCache::PodAllocation>& pods) {
  std::vector<DualWriter::Sample> instances;
  for (const auto& pod : pods) {
    for (const model::PartitionGrant& p : pod.partitions) {
      if (!p.Realized()) continue;
      instances.emplace_back(Labels{{"node", pod.node},
                                    {"device_uuid", p.uuid},
                                    {"device_index", std::to_string(p.device_index)},
                                    {"mig_uuid", p.instance_uuid},
                                    {"profile", p.shape},
                                    {"gpu_instance_id", std::to_string(p.gpu_instance_id)},
                                    {"compute_instance_id", std::to_string(p.compute_instance_id)},
                                    {"placement_start", std::to_string(p.placement.start)},
                                    {"placement_size", std::to_string(p.placement.size)},
                                    {"zone", "vGPU"}},
                             1.0);
    }
  }
  w.Write({"hami_node_gpu_mig_instance_info", nullptr,
           "MIG instances realized for pods, 1 per instance"},
          instances);
}

void WriteQuotas(DualWriter& w, const sched::QuotaTable& quotas, const vendor::Registry& registry) {
  std::vector<DualWriter::Sample> used, limits;
  for (const auto& [quota_ns, by_vendor] : quotas) {
    const std::string& ns = quota_ns;  // a structured binding cannot be captured before clang 16
    for (const auto& [vendor_name, q] : by_vendor) {
      const vendor::Vendor* vendor = registry.Find(vendor_name);
      if (vendor == nullptr) continue;
      auto add = [&](const std::string& resource, std::optional<int64_t> limit, int64_t value) {
        if (!limit) return;  // only limits a ResourceQuota sets explicitly
        const Labels base = {
            {"namespace", ns}, {"quota_name", "limits." + resource}, {"zone", "vGPU"}};
        Labels with_limit = base;
        with_limit.emplace_back("limit", std::to_string(*limit));
        used.emplace_back(with_limit, static_cast<double>(value));
        limits.emplace_back(base, static_cast<double>(*limit));
      };
      const vendor::QuotaResources names = vendor->Quota();
      if (!names.memory.empty()) add(names.memory, q.mem_limit, q.used_mem);
      if (!names.core.empty()) add(names.core, q.core_limit, q.used_cores);
    }
  }
  w.Write({"hami_resource_quota_used",
           "QuotaUsed",
           "Device quota used in a namespace",
           {{"namespace", "quotanamespace"}}},
          used);
  w.Write({"hami_resource_quota_limit", nullptr, "Device quota limit of a namespace"}, limits);
}

}  // namespace

std::string SchedulerService::RenderMetrics() const {
  net::PrometheusText out;
  DualWriter w(out, config_.legacy_metrics);
  WriteDevices(w, cache_.NodesCopy());
  const std::vector<SchedulerCache::PodAllocation> allocations = cache_.Allocations();
  WritePods(w, allocations);
  WriteMigInstances(w, allocations);
  WriteQuotas(w, cache_.QuotasCopy(), registry_);

  auto counter = [&](const char* name, const char* help, uint64_t value) {
    out.Family(name, help, MetricType::kCounter);
    out.Sample(name, {}, static_cast<double>(value));
  };
  counter("hami_scheduler_filter_requests_total", "Filter calls served", filters_.load());
  counter("hami_scheduler_filter_unschedulable_total", "Filter calls that placed nothing",
          filter_failures_.load());
  counter("hami_scheduler_bind_requests_total", "Bind calls served", binds_.load());
  counter("hami_scheduler_bind_failures_total", "Bind calls that failed", bind_failures_.load());
  filter_latency_.Render(out, "hami_scheduler_filter_duration_seconds",
                         "Time to answer /filter (parse, decide, assume), seconds");
  bind_latency_.Render(out, "hami_scheduler_bind_duration_seconds",
                       "Time to answer /bind (node lock, pod annotations, Binding), seconds");
  counter("hami_scheduler_events_dropped_total",
          "Events not recorded (queue full; Normal events go first)", events_.dropped());
  net::WriteBuildInfo(out, config_.build);
  return out.text();
}

}  // namespace hami::extender
