#include "monitor/smi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>
#include <unordered_map>

#include "codec/k8s_object.h"
#include "model/device.h"
#include "model/grant.h"
#include "model/protocol.h"
#include "vendor/cluster_state.h"

namespace hami::monitor {
namespace {

constexpr uint64_t kMiB = 1048576;
constexpr uint64_t kGiB = 1024 * kMiB;

std::string Bytes(std::optional<uint64_t> b) {
  if (!b) return "?";
  char buf[32];
  if (*b >= kGiB) {
    std::snprintf(buf, sizeof(buf), "%.1fGi", static_cast<double>(*b) / kGiB);
  } else {
    std::snprintf(buf, sizeof(buf), "%lluMi", static_cast<unsigned long long>(*b / kMiB));
  }
  return buf;
}

std::string Percent(std::optional<double> v) {
  if (!v) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.0f%%", *v);
  return buf;
}

std::string Fit(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

std::string SliceName(const SmiSlice& s) {
  std::string name = s.namespace_name.empty() ? s.pod : s.namespace_name + "/" + s.pod;
  return s.container.empty() ? name : name + "/" + s.container;
}

// "  mig 1g.10gb    6+1    MIG-<uuid>|pending   ns/pod container 0 (main)"
std::string InstanceLine(const SmiInstance& m) {
  const std::string placement =
      std::to_string(m.placement_start) + "+" + std::to_string(m.placement_size);
  std::string holder = m.namespace_name.empty() ? m.pod : m.namespace_name + "/" + m.pod;
  holder += " container " + std::to_string(m.container);
  if (!m.container_name.empty()) holder += " (" + m.container_name + ")";
  char line[512];
  std::snprintf(line, sizeof(line), "  mig %-10s %-6s %-40s %s\n", Fit(m.profile, 10).c_str(),
                placement.c_str(), m.instance_uuid.empty() ? "pending" : m.instance_uuid.c_str(),
                holder.c_str());
  return line;
}

int Cells(uint64_t part, uint64_t total, int width) {
  if (total == 0) return 0;
  const double cells =
      static_cast<double>(std::min(part, total)) * width / static_cast<double>(total);
  return static_cast<int>(std::lround(cells));
}

SmiGpu* FindGpu(SmiView& view, const std::string& node, const std::string& uuid) {
  for (SmiGpu& g : view.gpus) {
    if (g.node == node && !uuid.empty() && (g.uuid == uuid || g.uuid.rfind(uuid, 0) == 0))
      return &g;
  }
  return nullptr;
}

}  // namespace

uint64_t SmiGpu::MemoryAllocated() const {
  uint64_t sum = 0;
  for (const SmiSlice& s : slices) sum += s.memory_limit == 0 ? memory_total : s.memory_limit;
  return sum;
}

int SmiGpu::CoresAllocated() const {
  int sum = 0;
  for (const SmiSlice& s : slices) sum += std::max(s.cores, 0);
  return sum;
}

std::string UsageBar(std::optional<uint64_t> used, uint64_t allocated, uint64_t total, int width) {
  if (total == 0) total = std::max<uint64_t>(allocated, used.value_or(0));
  const int alloc_cells = Cells(allocated, total, width);
  const int used_cells = used ? Cells(*used, total, width) : 0;
  std::string bar = "[";
  for (int i = 0; i < width; ++i) {
    if (used && i < used_cells) {
      bar += '#';
    } else if (i < alloc_cells) {
      bar += used ? '=' : '?';
    } else {
      bar += '.';
    }
  }
  return bar + "]";
}

std::string RenderSmi(const SmiView& view) {
  std::string out = view.title + "\n";
  char line[512];
  std::snprintf(line, sizeof(line), "%-4s %-12s %-26s %-24s %-22s %6s %5s %s\n", "GPU", "NODE",
                "TYPE / CONTAINER", "MEM used/alloc/total", "MEMORY", "CORES", "UTIL", "PODS");
  out += line;
  if (view.gpus.empty()) out += "(no GPUs)\n";
  for (const SmiGpu& g : view.gpus) {
    const uint64_t alloc = g.MemoryAllocated();
    const std::string mem = Bytes(g.memory_used) + "/" + Bytes(alloc) + "/" + Bytes(g.memory_total);
    std::snprintf(line, sizeof(line), "%-4s %-12s %-26s %-24s %-22s %5d%% %5s %zu\n",
                  g.index >= 0 ? std::to_string(g.index).c_str() : "?", Fit(g.node, 12).c_str(),
                  Fit(g.type, 26).c_str(), mem.c_str(),
                  UsageBar(g.memory_used, alloc, g.memory_total, kSmiBarWidth).c_str(),
                  g.CoresAllocated(), Percent(g.utilization).c_str(), g.slices.size());
    out += line;
    for (const SmiSlice& s : g.slices) {
      const uint64_t limit = s.memory_limit == 0 ? g.memory_total : s.memory_limit;
      const std::string smem =
          Bytes(s.memory_used) + "/" + (s.memory_limit == 0 ? "unlim" : Bytes(s.memory_limit));
      std::snprintf(line, sizeof(line), "  %-42s %-24s %-22s %6s %5s%s\n",
                    Fit(SliceName(s), 42).c_str(), smem.c_str(),
                    UsageBar(s.memory_used, s.memory_used ? 0 : limit, limit, kSmiBarWidth).c_str(),
                    s.cores < 0 ? "-" : (std::to_string(s.cores) + "%").c_str(),
                    Percent(s.utilization).c_str(), s.blocked ? " blocked" : "");
      out += line;
    }
    for (const SmiInstance& m : g.instances) out += InstanceLine(m);
  }
  if (!view.notes.empty()) {
    out += "notes:\n";
    for (const std::string& n : view.notes) out += "  - " + n + "\n";
  }
  return out;
}

SmiView ViewFromSnapshot(const Snapshot& snapshot, const std::string& title) {
  SmiView view;
  view.title = title;
  for (const HostGpu& h : snapshot.gpus) {
    SmiGpu g;
    g.node = snapshot.node;
    g.index = h.index;
    g.uuid = h.uuid;
    g.type = h.name;
    g.memory_total = h.memory_total;
    g.memory_used = h.memory_used;
    if (h.utilization_gpu) g.utilization = *h.utilization_gpu;
    view.gpus.push_back(std::move(g));
  }
  for (const ContainerSample& c : snapshot.containers) {
    for (const DeviceReading& d : c.reading.devices) {
      // A device the container can see but has neither a limit nor usage on is not its slice.
      if (!d.uuid_valid || (d.limit == 0 && d.total == 0)) continue;
      SmiGpu* g = FindGpu(view, snapshot.node, d.uuid);
      if (g == nullptr) {
        view.gpus.push_back(SmiGpu{
            snapshot.node, -1, d.uuid, "?", 0, std::nullopt, std::nullopt, {}, "", {}, "", true});
        g = &view.gpus.back();
      }
      SmiSlice s;
      s.namespace_name = c.namespace_name;
      s.pod = c.pod;
      s.container = c.container;
      s.memory_limit = d.limit;
      s.memory_used = d.total;
      s.cores = d.sm_limit == 0 || d.sm_limit >= 100 ? -1 : static_cast<int>(d.sm_limit);
      const size_t vdevice = static_cast<size_t>(&d - c.reading.devices.data());
      s.utilization = static_cast<double>(
          MeasuredContainerUtil(snapshot, c, vdevice).value_or(static_cast<unsigned>(d.sm_util)));
      s.blocked = c.reading.recent_kernel < 0;
      g->slices.push_back(std::move(s));
    }
  }
  return view;
}

SmiView ViewFromRegion(const RegionReading& region, const std::vector<HostGpu>& gpus,
                       const std::string& title) {
  SmiView view;
  view.title = title;
  for (size_t i = 0; i < region.devices.size(); ++i) {
    const DeviceReading& d = region.devices[i];
    if (!d.uuid_valid) continue;
    SmiGpu g;
    g.index = static_cast<int>(i);
    g.uuid = d.uuid;
    g.type = "?";
    for (const HostGpu& h : gpus) {
      if (h.uuid == d.uuid) {
        g.type = h.name;
        g.memory_total = h.memory_total;
      }
    }
    if (d.limit != 0) g.memory_total = d.limit;
    g.memory_used = d.total;
    g.utilization = static_cast<double>(d.sm_util);
    SmiSlice s;
    s.pod = "(this container)";
    s.memory_limit = d.limit;
    s.memory_used = d.total;
    s.cores = d.sm_limit == 0 || d.sm_limit >= 100 ? -1 : static_cast<int>(d.sm_limit);
    s.utilization = g.utilization;
    s.blocked = region.recent_kernel < 0;
    g.slices.push_back(std::move(s));
    view.gpus.push_back(std::move(g));
  }
  return view;
}

SmiView ViewFromCluster(const std::vector<nlohmann::json>& nodes,
                        const std::vector<nlohmann::json>& pods, const vendor::Registry& registry,
                        std::vector<std::string>* errors) {
  SmiView view;
  view.title = "HAMi smi: cluster (allocations from the API server)";
  for (const nlohmann::json& j : nodes) {
    auto node = codec::NodeFromJson(j);
    if (!node.ok()) continue;
    auto state = vendor::NodeStateFromNode(*node, registry);
    if (!state.ok()) {
      if (state.error().code() != base::StatusCode::kNotFound) {
        errors->push_back(state.error().message());
      }
      continue;
    }
    for (const sched::DeviceState& d : state->devices) {
      view.gpus.push_back(SmiGpu{node->name,
                                 d.info.index,
                                 d.info.id,
                                 d.info.type,
                                 static_cast<uint64_t>(d.info.devmem) * kMiB,
                                 std::nullopt,
                                 std::nullopt,
                                 {},
                                 d.info.mode,
                                 {},
                                 d.info.vendor,
                                 d.info.health});
    }
  }
  std::stable_sort(view.gpus.begin(), view.gpus.end(), [](const SmiGpu& a, const SmiGpu& b) {
    return std::tie(a.node, a.index) < std::tie(b.node, b.index);
  });
  // Each node's GPUs are one run of the sorted list: pods look only there (1000s of nodes).
  std::unordered_map<std::string, std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < view.gpus.size(); ++i) {
    auto [it, added] = runs.try_emplace(view.gpus[i].node, i, i + 1);
    if (!added) it->second.second = i + 1;
  }
  auto find_gpu = [&](const std::string& node, const std::string& uuid) -> SmiGpu* {
    auto it = runs.find(node);
    if (it == runs.end() || uuid.empty()) return nullptr;
    for (size_t i = it->second.first; i < it->second.second; ++i) {
      SmiGpu& g = view.gpus[i];
      if (g.uuid == uuid || g.uuid.rfind(uuid, 0) == 0) return &g;
    }
    return nullptr;
  };
  for (const nlohmann::json& j : pods) {
    auto pod = codec::PodFromJson(j);
    if (!pod.ok() || pod->phase == "Succeeded" || pod->phase == "Failed") continue;
    std::string node = pod->node_name;
    if (const std::string* n = pod->Annotation(model::kVgpuNodeAnnotation); node.empty() && n) {
      node = *n;
    }
    auto grants = vendor::GrantedDevices(*pod, registry);
    if (!grants.ok()) {
      errors->push_back(grants.error().message());
      continue;
    }
    std::vector<std::string> names;
    for (const auto& c : pod->init_containers) names.push_back(c.name);
    for (const auto& c : pod->containers) names.push_back(c.name);
    for (const auto& [vendor_name, containers] : grants->devices) {
      for (size_t i = 0; i < containers.size(); ++i) {
        for (const model::ContainerDevice& d : containers[i]) {
          SmiGpu* g = find_gpu(node, d.uuid);
          if (g == nullptr) continue;
          SmiSlice s;
          s.namespace_name = pod->namespace_name;
          s.pod = pod->name;
          s.container = i < names.size() ? names[i] : std::to_string(i);
          s.memory_limit = static_cast<uint64_t>(d.usedmem) * kMiB;
          s.cores = static_cast<int>(d.usedcores);
          g->slices.push_back(std::move(s));
        }
      }
    }
    for (const model::PartitionGrant& p : grants->partitions) {
      SmiGpu* g = find_gpu(node, p.uuid);
      if (g == nullptr || g->mode != model::kModeMig) continue;
      SmiInstance m;
      m.profile = p.shape;
      m.placement_start = p.placement.start;
      m.placement_size = p.placement.size;
      m.instance_uuid = p.instance_uuid;
      m.namespace_name = pod->namespace_name;
      m.pod = pod->name;
      m.container = p.container;
      if (p.container >= 0 && static_cast<size_t>(p.container) < names.size()) {
        m.container_name = names[p.container];
      }
      g->instances.push_back(std::move(m));
    }
  }
  for (SmiGpu& g : view.gpus) {
    std::stable_sort(g.instances.begin(), g.instances.end(),
                     [](const SmiInstance& a, const SmiInstance& b) {
                       return std::tie(a.placement_start, a.placement_size) <
                              std::tie(b.placement_start, b.placement_size);
                     });
  }
  return view;
}

void MergeMonitorSnapshot(const Snapshot& snapshot, const std::string& node, SmiView* view) {
  for (SmiGpu& g : view->gpus) {
    if (g.node != node) continue;
    for (const HostGpu& h : snapshot.gpus) {
      if (h.uuid != g.uuid) continue;
      g.memory_used = h.memory_used;
      if (h.utilization_gpu) g.utilization = *h.utilization_gpu;
    }
    for (SmiSlice& s : g.slices) {
      for (const ContainerSample& c : snapshot.containers) {
        if (c.namespace_name != s.namespace_name || c.pod != s.pod || c.container != s.container) {
          continue;
        }
        for (const DeviceReading& d : c.reading.devices) {
          if (g.uuid.rfind(d.uuid_label, 0) != 0 || d.uuid_label.empty()) continue;
          s.memory_used = d.total;
          s.utilization = static_cast<double>(d.sm_util);
          s.blocked = c.reading.recent_kernel < 0;
        }
      }
    }
  }
}

}  // namespace hami::monitor
