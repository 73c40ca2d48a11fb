#include "monitor/metrics.h"

#include <algorithm>
#include <functional>

#include "base/strings.h"
#include "monitor/region_trust.h"
#include "net/build_info_metric.h"
#include "net/prometheus_text.h"

namespace hami::monitor {
namespace {

using net::Labels;
using net::MetricType;

// WIRE: constant label of every device/container metric (upstream's wrapping registerer).
constexpr char kZone[] = "vGPU";

// WIRE: upstream prefixes NVML's name with "NVIDIA-" unconditionally.
std::string DeviceType(const HostGpu& g) { return "NVIDIA-" + g.name; }

Labels HostLabels(const std::string& node, const HostGpu& g, bool with_node) {
  Labels l;
  if (with_node) l.emplace_back("node", node);
  l.emplace_back("device_index", std::to_string(g.index));
  l.emplace_back("device_uuid", g.uuid);
  l.emplace_back("device_type", DeviceType(g));
  l.emplace_back("zone", kZone);
  return l;
}

Labels LegacyHostLabels(const std::string& node, const HostGpu& g) {
  return {{"nodeid", node},
          {"deviceidx", std::to_string(g.index)},
          {"deviceuuid", g.uuid},
          {"devicetype", DeviceType(g)},
          {"zone", kZone}};
}

Labels DeviceLabels(const ContainerSample& c, int index, const DeviceReading& d) {
  return {{"namespace", c.namespace_name}, {"pod", c.pod},
          {"container", c.container},      {"vdevice_index", std::to_string(index)},
          {"device_uuid", d.uuid_label},   {"zone", kZone}};
}

Labels LegacyDeviceLabels(const ContainerSample& c, int index, const DeviceReading& d) {
  return {{"podnamespace", c.namespace_name}, {"podname", c.pod},
          {"ctrname", c.container},           {"vdeviceid", std::to_string(index)},
          {"deviceuuid", d.uuid_label},       {"zone", kZone}};
}

Labels ContainerLabels(const ContainerSample& c) {
  return {
      {"namespace", c.namespace_name}, {"pod", c.pod}, {"container", c.container}, {"zone", kZone}};
}

using HostValue = std::function<std::optional<double>(const HostGpu&)>;
using DeviceValue =
    std::function<std::optional<double>(const ContainerSample&, const DeviceReading&)>;

class Writer {
 public:
  Writer(const Snapshot& s, net::PrometheusText* out) : s_(s), out_(*out) {}

  void Host(const char* name, const char* help, bool with_node, bool legacy_labels,
            const HostValue& value) {
    out_.Family(name, help, MetricType::kGauge);
    for (const HostGpu& g : s_.gpus) {
      auto v = value(g);
      if (!v) continue;
      out_.Sample(name,
                  legacy_labels ? LegacyHostLabels(s_.node, g) : HostLabels(s_.node, g, with_node),
                  *v);
    }
  }

  // Per container device with a valid uuid (upstream skips the others until initialised).
  void Device(const char* name, const char* help, bool legacy_labels, const DeviceValue& value) {
    out_.Family(name, help, MetricType::kGauge);
    for (const ContainerSample& c : s_.containers) {
      for (size_t i = 0; i < c.reading.devices.size(); ++i) {
        const DeviceReading& d = c.reading.devices[i];
        if (!d.uuid_valid) continue;
        auto v = value(c, d);
        if (!v) continue;
        out_.Sample(name, legacy_labels ? LegacyDeviceLabels(c, i, d) : DeviceLabels(c, i, d), *v);
      }
    }
  }

  void Container(const char* name, const char* help,
                 const std::function<double(const RegionReading&)>& value) {
    out_.Family(name, help, MetricType::kGauge);
    for (const ContainerSample& c : s_.containers)
      out_.Sample(name, ContainerLabels(c), value(c.reading));
  }

 private:
  const Snapshot& s_;
  net::PrometheusText& out_;
};

double D(uint64_t v) { return static_cast<double>(v); }

// A region's SM limit as a ratio of the GPU; libvgpu stores "no limit" as 0.
double CoreLimitRatio(const DeviceReading& d) {
  return d.sm_limit == 0 || d.sm_limit > 100 ? 100.0 : D(d.sm_limit);
}

std::optional<double> LastKernelAge(const Snapshot& s, const RegionReading& r) {
  if (r.last_kernel_time == 0) return std::nullopt;
  const int64_t age = s.now_unix - static_cast<int64_t>(r.last_kernel_time);
  return static_cast<double>(std::max<int64_t>(age, 0));
}

void WriteHost(const Snapshot& s, Writer& w) {
  w.Host("hami_host_gpu_memory_used_bytes", "GPU device memory usage in bytes", true, false,
         [](const HostGpu& g) { return D(g.memory_used); });
  w.Host("hami_host_gpu_memory_total_bytes", "GPU device memory size in bytes (HAMi-cpp)", true,
         false, [](const HostGpu& g) { return D(g.memory_total); });
  w.Host("hami_host_gpu_utilization_ratio", "GPU core utilization ratio (0-100)", true, false,
         [](const HostGpu& g) -> std::optional<double> {
           if (!g.utilization_gpu) return std::nullopt;
           return *g.utilization_gpu;
         });
  w.Host("hami_host_gpu_memory_controller_utilization_ratio",
         "GPU memory controller utilization ratio (0-100)", false, false,
         [](const HostGpu& g) -> std::optional<double> {
           if (!g.utilization_memory) return std::nullopt;
           return *g.utilization_memory;
         });
  w.Host("hami_host_gpu_temperature_celsius", "GPU temperature in degrees Celsius", true, false,
         [](const HostGpu& g) -> std::optional<double> {
           if (!g.temperature_c) return std::nullopt;
           return *g.temperature_c;
         });
  w.Host("hami_host_gpu_power_usage_watts", "GPU power draw in watts", true, false,
         [](const HostGpu& g) { return g.power_watts; });
}

void WriteContainers(const Snapshot& s, Writer& w) {
  w.Device("hami_vgpu_memory_used_bytes", "vGPU device memory usage in bytes", false,
           [](const auto&, const DeviceReading& d) { return D(d.total); });
  w.Device("hami_vgpu_memory_limit_bytes", "vGPU device memory limit in bytes", false,
           [](const auto&, const DeviceReading& d) { return D(d.limit); });
  w.Device("hami_container_device_memory_bytes", "Container device memory usage in bytes", false,
           [](const auto&, const DeviceReading& d) { return D(d.total); });
  w.Device("hami_container_device_utilization_ratio", "Container device SM utilization ratio",
           false, [](const auto&, const DeviceReading& d) { return D(d.sm_util); });
  w.Device("hami_vgpu_memory_context_bytes", "Container device memory context size in bytes", false,
           [](const auto&, const DeviceReading& d) { return D(d.context); });
  w.Device("hami_vgpu_memory_module_bytes", "Container device memory module size in bytes", false,
           [](const auto&, const DeviceReading& d) { return D(d.module); });
  w.Device("hami_vgpu_memory_buffer_bytes", "Container device memory buffer size in bytes", false,
           [](const auto&, const DeviceReading& d) { return D(d.buffer); });
  w.Device("hami_vgpu_core_limit_ratio",
           "vGPU compute limit in percent of the GPU, 100 = unlimited (HAMi-cpp)", false,
           [](const auto&, const DeviceReading& d) { return CoreLimitRatio(d); });
  w.Device(
      "hami_container_last_kernel_elapsed_seconds",
      "Seconds since last kernel execution in container", false,
      [&s](const ContainerSample& c, const DeviceReading&) { return LastKernelAge(s, c.reading); });
  w.Container("hami_container_priority", "CUDA_TASK_PRIORITY of the container (HAMi-cpp)",
              [](const RegionReading& r) { return static_cast<double>(r.priority); });
  w.Container("hami_container_blocked",
              "1 while the monitor holds the container's launches back for a higher priority "
              "(HAMi-cpp)",
              [](const RegionReading& r) { return r.recent_kernel < 0 ? 1.0 : 0.0; });
  w.Container("hami_container_utilization_switch",
              "1 while the container's SM limit is enforced (contended GPU) (HAMi-cpp)",
              [](const RegionReading& r) { return D(r.utilization_switch == 1 ? 1 : 0); });
  w.Container("hami_container_processes", "Live processes registered in the region (HAMi-cpp)",
              [](const RegionReading& r) { return D(r.live_processes); });
}

// Regions of pods another scheduler placed (Snapshot::unverified): the region's own figures,
// checked only against physical bounds and this node's GPUs, under names of their own so that no
// dashboard or alert built on the verified families mixes them in.
void WriteUnverified(const Snapshot& s, net::PrometheusText& out) {
  using Value = std::function<double(const DeviceReading&)>;
  auto family = [&](const char* name, const char* help, const Value& value) {
    out.Family(name, help, MetricType::kGauge);
    for (const ContainerSample& c : s.unverified) {
      for (size_t i = 0; i < c.reading.devices.size(); ++i) {
        const DeviceReading& d = c.reading.devices[i];
        if (!d.uuid_valid) continue;
        Labels l = DeviceLabels(c, static_cast<int>(i), d);
        l.insert(l.end() - 1, {"scheduler", c.scheduler});  // zone goes last
        out.Sample(name, l, value(d));
      }
    }
  };
  family("hami_unverified_vgpu_memory_used_bytes",
         "Device memory in bytes a region of a pod placed by another scheduler reports, not "
         "checked against a grant (HAMi-cpp)",
         [](const DeviceReading& d) { return D(d.total); });
  family("hami_unverified_vgpu_memory_limit_bytes",
         "Device memory limit in bytes such a region reports (HAMi-cpp)",
         [](const DeviceReading& d) { return D(d.limit); });
  family("hami_unverified_vgpu_core_limit_ratio",
         "SM limit in percent such a region reports, 100 = unlimited (HAMi-cpp)", CoreLimitRatio);
  family("hami_unverified_container_device_utilization_ratio",
         "SM utilization in percent such a region reports (HAMi-cpp)",
         [](const DeviceReading& d) { return D(d.sm_util); });
}

// Per-container and per-process GPU utilization as NVML measures it (not as regions report it):
// a container device's series exists when NVML reports per-process utilization for its GPU.
void WriteProcesses(const Snapshot& s, net::PrometheusText& out) {
  const char* container = "hami_container_gpu_utilization_ratio";
  out.Family(container,
             "GPU SM utilization of the container's processes on the device, from NVML (HAMi-cpp)",
             MetricType::kGauge);
  for (const ContainerSample& c : s.containers) {
    for (size_t i = 0; i < c.reading.devices.size(); ++i) {
      const std::optional<unsigned> util = MeasuredContainerUtil(s, c, i);
      if (!util) continue;
      out.Sample(container, DeviceLabels(c, static_cast<int>(i), c.reading.devices[i]), *util);
    }
  }
  const char* process = "hami_process_gpu_utilization_ratio";
  out.Family(process,
             "GPU SM utilization of one container process on the device, from NVML (HAMi-cpp)",
             MetricType::kGauge);
  for (const ProcessSample& p : s.processes) {
    out.Sample(process,
               {{"namespace", p.namespace_name},
                {"pod", p.pod},
                {"container", p.container},
                {"vdevice_index", std::to_string(p.vdevice_index)},
                {"device_uuid", p.device_uuid},
                {"pid", std::to_string(p.pid)},
                {"zone", kZone}},
               p.sm_util);
  }
}

void WriteMig(const Snapshot& s, net::PrometheusText& out, bool legacy) {
  const char* name = legacy ? "MigInfo" : "hami_mig_device_info";
  out.Family(name,
             legacy ? "Mig device information for container"
                    : "MIG runtime identity for a container allocation",
             MetricType::kGauge);
  for (const MigSample& m : s.migs) {
    Labels l;
    if (legacy) {
      l = {{"podnamespace", m.namespace_name}, {"podname", m.pod},
           {"ctrname", m.container},           {"vdeviceid", std::to_string(m.device_index)},
           {"deviceuuid", m.gpu_uuid},         {"instanceid", std::to_string(m.gpu_instance_id)}};
    } else {
      l = {{"namespace", m.namespace_name},
           {"pod", m.pod},
           {"container", m.container},
           {"vdevice_index", std::to_string(m.device_index)},
           {"device_uuid", m.gpu_uuid},
           {"mig_uuid", m.mig_uuid},
           {"profile", m.profile},
           {"gpu_instance_id", std::to_string(m.gpu_instance_id)},
           {"compute_instance_id", std::to_string(m.compute_instance_id)}};
    }
    l.emplace_back("zone", kZone);
    out.Sample(name, l, 1);
  }
}

void WriteLegacy(const Snapshot& s, Writer& w, net::PrometheusText& out) {
  w.Host("HostGPUMemoryUsage", "GPU device memory usage", true, true,
         [](const HostGpu& g) { return D(g.memory_used); });
  w.Host("HostCoreUtilization", "GPU core utilization", true, true,
         [](const HostGpu& g) -> std::optional<double> {
           if (!g.utilization_gpu) return std::nullopt;
           return *g.utilization_gpu;
         });
  w.Device("vGPU_device_memory_usage_in_bytes", "vGPU device usage", true,
           [](const auto&, const DeviceReading& d) { return D(d.total); });
  w.Device("vGPU_device_memory_limit_in_bytes", "vGPU device limit", true,
           [](const auto&, const DeviceReading& d) { return D(d.limit); });
  out.Family("Device_memory_desc_of_container", "Container device memory description",
             MetricType::kGauge);
  for (const ContainerSample& c : s.containers) {
    for (size_t i = 0; i < c.reading.devices.size(); ++i) {
      const DeviceReading& d = c.reading.devices[i];
      if (!d.uuid_valid) continue;
      const uint64_t parts = d.context + d.module + d.buffer;
      Labels l = LegacyDeviceLabels(c, i, d);
      l.pop_back();  // zone goes last
      l.insert(l.end(), {{"context", std::to_string(d.context)},
                         {"module", std::to_string(d.module)},
                         {"data", std::to_string(d.buffer)},
                         {"offset", std::to_string(d.total >= parts ? d.total - parts : 0)},
                         {"zone", kZone}});
      out.Sample("Device_memory_desc_of_container", l, D(d.total));
    }
  }
  w.Device("Device_utilization_desc_of_container", "Container device utilization description", true,
           [](const auto&, const DeviceReading& d) { return D(d.sm_util); });
  w.Device(
      "Device_last_kernel_of_container", "Container device last kernel description", true,
      [&s](const ContainerSample& c, const DeviceReading&) { return LastKernelAge(s, c.reading); });
  WriteMig(s, out, true);
}

void WriteMonitor(const Snapshot& s, const RenderOptions& o, net::PrometheusText& out) {
  out.Family("hami_monitor_regions", "Shared regions mapped, by layout (HAMi-cpp)",
             MetricType::kGauge);
  for (const char* layout : {"v0", "v1", "hami-cpp"}) {
    auto it = s.stats.regions_by_layout.find(layout);
    out.Sample("hami_monitor_regions", {{"node", s.node}, {"layout", layout}},
               it == s.stats.regions_by_layout.end() ? 0 : it->second);
  }
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out.Family(name, help, MetricType::kCounter);
    out.Sample(name, {{"node", s.node}}, D(v));
  };
  counter("hami_monitor_region_errors_total",
          "Region files skipped as truncated, foreign or corrupt (HAMi-cpp)",
          s.stats.region_errors);
  out.Family("hami_monitor_region_faults_total",
             "Regions found contradicting their grant or physical bounds, by reason; such values "
             "are neither acted on nor exported (HAMi-cpp)",
             MetricType::kCounter);
  for (const char* reason : {kFaultNoGrant, kFaultForeignDevice, kFaultPriorityRaised,
                             kFaultLimitMismatch, kFaultOutOfBounds}) {
    auto it = s.stats.region_faults.find(reason);
    out.Sample("hami_monitor_region_faults_total", {{"node", s.node}, {"reason", reason}},
               it == s.stats.region_faults.end() ? 0 : D(it->second));
  }
  counter("hami_monitor_dirs_removed_total",
          "Container directories of gone pods removed (HAMi-cpp)", s.stats.dirs_removed);
  counter("hami_monitor_feedback_rounds_total", "Priority feedback rounds run (HAMi-cpp)",
          s.stats.feedback_rounds);
  out.Family("hami_monitor_scan_duration_seconds",
             "Duration of the last discovery and feedback round (HAMi-cpp)", MetricType::kGauge);
  out.Sample("hami_monitor_scan_duration_seconds", {{"node", s.node}}, s.stats.last_scan_seconds);
  out.Family("hami_monitor_pods_synced",
             "1 when the pod list of this node is known from the API server (HAMi-cpp)",
             MetricType::kGauge);
  out.Sample("hami_monitor_pods_synced", {{"node", s.node}}, s.stats.pods_synced ? 1 : 0);
  net::WriteBuildInfo(out, o.build);
}

}  // namespace

std::optional<unsigned> MeasuredContainerUtil(const Snapshot& s, const ContainerSample& c,
                                              size_t vdevice) {
  if (vdevice >= c.reading.devices.size()) return std::nullopt;
  const DeviceReading& d = c.reading.devices[vdevice];
  if (!d.uuid_valid) return std::nullopt;
  auto gpu = std::find_if(s.gpus.begin(), s.gpus.end(),
                          [&](const HostGpu& g) { return g.uuid == d.uuid; });
  if (gpu == s.gpus.end() || !gpu->process_sm_util) return std::nullopt;
  unsigned sum = 0;
  for (const ProcessSample& p : s.processes) {
    if (p.namespace_name == c.namespace_name && p.pod == c.pod && p.container == c.container &&
        p.vdevice_index == static_cast<int>(vdevice)) {
      sum += p.sm_util;
    }
  }
  return std::min(sum, 100u);
}

std::string RenderMetrics(const Snapshot& snapshot, const RenderOptions& options) {
  net::PrometheusText out;
  Writer w(snapshot, &out);
  WriteHost(snapshot, w);
  WriteContainers(snapshot, w);
  WriteMig(snapshot, out, false);
  WriteProcesses(snapshot, out);
  WriteUnverified(snapshot, out);
  if (options.legacy) WriteLegacy(snapshot, w, out);
  WriteMonitor(snapshot, options, out);
  return out.text();
}

std::vector<std::string> MetricNames(bool legacy) {
  RenderOptions options;
  options.legacy = legacy;
  const std::string text = RenderMetrics(Snapshot{}, options);
  std::vector<std::string> names;
  for (std::string_view line : base::Split(text, '\n')) {
    if (!base::StartsWith(line, "# TYPE ")) continue;
    line.remove_prefix(7);
    names.emplace_back(line.substr(0, line.find(' ')));
  }
  return names;
}

}  // namespace hami::monitor
