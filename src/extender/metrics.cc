// SchedulerService::RenderMetrics: upstream's scheduler metric names and labels (hami-wire §6.1),
// computed from the live cache on every scrape (upstream lags up to 15 s).
#include "extender/service.h"
#include "net/prometheus_text.h"

namespace hami::extender {

std::string SchedulerService::RenderMetrics() const {
  using net::MetricType;
  constexpr double kMiB = 1048576.0;
  net::PrometheusText out;
  const auto nodes = cache_.NodesCopy();
  auto each_device = [&](const char* name, const char* help, auto value) {
    out.Family(name, help, MetricType::kGauge);
    for (const auto& node : nodes) {
      for (const auto& d : node.devices) {
        out.Sample(name,
                   {{"node", node.name},
                    {"device_uuid", d.info.id},
                    {"device_index", std::to_string(d.info.index)},
                    {"device_type", d.info.type},
                    {"zone", "vGPU"}},
                   value(d));
      }
    }
  };
  each_device("hami_gpu_memory_limit_bytes", "Device memory registered, bytes",
              [&](const sched::DeviceState& d) { return d.info.devmem * kMiB; });
  each_device("hami_gpu_core_limit_ratio", "Device cores registered, percent",
              [&](const sched::DeviceState& d) { return static_cast<double>(d.info.devcore); });
  each_device("hami_gpu_memory_allocated_bytes", "Device memory allocated to pods, bytes",
              [&](const sched::DeviceState& d) { return d.usage.usedmem * kMiB; });
  each_device("hami_gpu_shared_count", "Containers sharing the device",
              [&](const sched::DeviceState& d) { return static_cast<double>(d.usage.used); });
  each_device("hami_gpu_core_allocated_ratio", "Device cores allocated to pods, percent",
              [&](const sched::DeviceState& d) { return static_cast<double>(d.usage.usedcores); });
  each_device("hami_node_gpu_memory_allocated_ratio", "Allocated / registered device memory",
              [&](const sched::DeviceState& d) {
                return d.info.devmem > 0 ? static_cast<double>(d.usage.usedmem) / d.info.devmem : 0.0;
              });
  out.Family("hami_scheduler_filter_requests_total", "Filter calls served", MetricType::kCounter);
  out.Sample("hami_scheduler_filter_requests_total", {}, static_cast<double>(filters_.load()));
  out.Family("hami_scheduler_filter_unschedulable_total", "Filter calls that placed nothing",
             MetricType::kCounter);
  out.Sample("hami_scheduler_filter_unschedulable_total", {},
             static_cast<double>(filter_failures_.load()));
  out.Family("hami_scheduler_bind_requests_total", "Bind calls served", MetricType::kCounter);
  out.Sample("hami_scheduler_bind_requests_total", {}, static_cast<double>(binds_.load()));
  out.Family("hami_scheduler_bind_failures_total", "Bind calls that failed", MetricType::kCounter);
  out.Sample("hami_scheduler_bind_failures_total", {}, static_cast<double>(bind_failures_.load()));
  filter_latency_.Render(out, "hami_scheduler_filter_duration_seconds",
                         "Time to answer /filter (parse, decide, assume), seconds");
  bind_latency_.Render(out, "hami_scheduler_bind_duration_seconds",
                       "Time to answer /bind (node lock, pod annotations, Binding), seconds");
  out.Family("hami_scheduler_events_dropped_total",
             "Events not recorded (queue full; Normal events go first)", MetricType::kCounter);
  out.Sample("hami_scheduler_events_dropped_total", {}, static_cast<double>(events_.dropped()));
  return out.text();
}

}  // namespace hami::extender
