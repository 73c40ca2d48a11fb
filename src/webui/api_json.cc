#include "webui/api_json.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "codec/json_util.h"
#include "codec/time_format.h"
#include "webui/query.h"

namespace hami::webui {
namespace {

using Json = nlohmann::json;

template <class T>
Json Opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json NonEmpty(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

// Orders optional numbers with unknown values last in either direction.
template <class T>
int CompareOpt(const std::optional<T>& a, const std::optional<T>& b, bool descending) {
  if (!a || !b) return a ? -1 : (b ? 1 : 0);
  if (*a == *b) return 0;
  return (*a < *b) != descending ? -1 : 1;
}
template <class T>
int CompareNum(const T& a, const T& b, bool descending) {
  return CompareOpt(std::optional<T>(a), std::optional<T>(b), descending);
}

// One page of `rows` (already filtered and sorted) rendered by `render`.
template <class Row, class Render>
Json Page(const std::vector<const Row*>& rows, const ListParams& p, Render render) {
  Json items = Json::array();
  const size_t start = static_cast<size_t>(p.page - 1) * static_cast<size_t>(p.page_size);
  for (size_t i = start; i < rows.size() && i < start + static_cast<size_t>(p.page_size); ++i) {
    items.push_back(render(*rows[i]));
  }
  return {{"items", std::move(items)},
          {"total", rows.size()},
          {"page", p.page},
          {"pageSize", p.page_size}};
}

// Sorts by `compare(a, b, descending)` (<0: a first), ties by `tie` ascending.
template <class Row, class Compare, class Tie>
void SortRows(std::vector<const Row*>* rows, bool descending, Compare compare, Tie tie) {
  std::sort(rows->begin(), rows->end(), [&](const Row* a, const Row* b) {
    const int c = compare(*a, *b, descending);
    return c != 0 ? c < 0 : tie(*a) < tie(*b);
  });
}

Json NodeSummary(const NodeRow& n) {
  return {{"name", n.name},
          {"gpus", n.gpus},
          {"healthyGpus", n.healthy_gpus},
          {"memoryTotal", n.memory_total},
          {"memoryAllocated", n.memory_allocated},
          {"memoryUsed", Opt(n.memory_used)},
          {"coresAllocated", n.cores_allocated},
          {"coresTotal", n.cores_total},
          {"utilization", Opt(n.utilization)},
          {"pods", n.pods},
          {"monitor", MonitorStateName(n.monitor)}};
}

Json GpuSummary(const GpuRow& g) {
  return {{"node", g.node},
          {"index", g.index},
          {"uuid", g.uuid},
          {"vendor", g.vendor},
          {"type", g.type},
          {"mode", NonEmpty(g.mode)},
          {"health", g.healthy},
          {"memoryTotal", g.memory_total},
          {"memoryAllocated", g.memory_allocated},
          {"memoryUsed", Opt(g.memory_used)},
          {"coresAllocated", g.cores_allocated},
          {"utilization", Opt(g.utilization)},
          {"slices", g.slices.size()}};
}

Json ReasonsJson(const std::vector<PendingReason>& reasons) {
  Json out = Json::array();
  for (const PendingReason& r : reasons) {
    out.push_back({{"code", r.code}, {"text", r.text}, {"nodes", r.nodes}});
  }
  return out;
}

Json PendingReasonText(const PodRow& p) {
  if (!p.pending) return nullptr;
  if (!p.pending_entry) return "waiting for the scheduler";
  return JoinReasons(p.pending_entry->reasons);
}

Json PodSummary(const PodRow& p) {
  return {{"namespace", p.namespace_name},
          {"name", p.name},
          {"node", NonEmpty(p.node)},
          {"phase", p.phase},
          {"gpus", p.gpus},
          {"memory", p.memory},
          {"cores", p.cores},
          {"priority", p.priority},
          {"pendingReason", PendingReasonText(p)}};
}

Json PendingBlock(const PodRow& p) {
  if (!p.pending) return nullptr;
  if (!p.pending_entry) return {{"since", nullptr}, {"reasons", Json::array()}};
  return {{"since", codec::FormatRfc3339(p.pending_entry->since)},
          {"reasons", ReasonsJson(p.pending_entry->reasons)}};
}

}  // namespace

std::string ErrorBody(std::string_view message) {
  return codec::DumpJson(Json{{"error", std::string(message)}});
}

nlohmann::json VersionJson(const base::BuildInfo& build) {
  return {{"versions", {"v1"}},
          {"build",
           {{"version", build.version},
            {"revision", build.revision},
            {"build_date", build.build_date},
            {"compiler", build.compiler},
            {"platform", build.platform}}}};
}

nlohmann::json OverviewJson(const ClusterModel& model, const Viewer& viewer) {
  uint64_t mem_total = 0, mem_alloc = 0, mem_used = 0;
  int gpus = 0, healthy = 0, cores_alloc = 0, with_used = 0, with_util = 0;
  double util = 0;
  std::map<std::pair<std::string, std::string>, Json> models;
  for (const GpuRow& g : model.gpus) {
    gpus++;
    healthy += g.healthy ? 1 : 0;
    mem_total += g.memory_total;
    mem_alloc += g.memory_allocated;
    cores_alloc += g.cores_allocated;
    if (g.memory_used) mem_used += *g.memory_used, with_used++;
    if (g.utilization) util += *g.utilization, with_util++;
    Json& m = models[{g.vendor, g.type}];
    if (m.is_null()) {
      m = {{"vendor", g.vendor}, {"type", g.type},       {"gpus", 0},
           {"memoryTotal", 0},   {"memoryAllocated", 0}, {"memoryUsed", nullptr},
           {"coresAllocated", 0}};
    }
    m["gpus"] = m["gpus"].get<int>() + 1;
    m["memoryTotal"] = m["memoryTotal"].get<uint64_t>() + g.memory_total;
    m["memoryAllocated"] = m["memoryAllocated"].get<uint64_t>() + g.memory_allocated;
    m["coresAllocated"] = m["coresAllocated"].get<int>() + g.cores_allocated;
    if (g.memory_used) {
      m["memoryUsed"] =
          (m["memoryUsed"].is_null() ? 0 : m["memoryUsed"].get<uint64_t>()) + *g.memory_used;
    }
  }
  int pods = 0, pending = 0;
  for (const PodRow& p : model.pods) {
    if (!viewer.Sees(p.namespace_name)) continue;
    pods++;
    pending += p.pending ? 1 : 0;
  }
  Json model_list = Json::array();
  for (auto& [key, m] : models) model_list.push_back(std::move(m));
  return {{"generatedAt", codec::FormatRfc3339(model.generated_at)},
          {"totals",
           {{"nodes", model.nodes.size()},
            {"gpus", gpus},
            {"healthyGpus", healthy},
            {"memoryTotal", mem_total},
            {"memoryAllocated", mem_alloc},
            {"memoryUsed", with_used > 0 ? Json(mem_used) : Json(nullptr)},
            {"coresTotal", 100 * gpus},
            {"coresAllocated", cores_alloc},
            {"utilization", with_util > 0 ? Json(util / with_util) : Json(nullptr)},
            {"pods", pods},
            {"pendingPods", pending}}},
          {"models", std::move(model_list)},
          {"monitors",
           {{"reachable", model.monitors_reachable}, {"unreachable", model.monitors_unreachable}}}};
}

base::Result<nlohmann::json> NodesJson(const ClusterModel& model, std::string_view query) {
  HAMI_ASSIGN_OR_RETURN(
      ListParams p,
      ParseListParams(
          query, {"name", "gpus", "memoryAllocated", "memoryUsed", "utilization", "pods"}, {}));
  std::vector<const NodeRow*> rows;
  for (const NodeRow& n : model.nodes) {
    if (ContainsFolded(n.name, p.search)) rows.push_back(&n);
  }
  SortRows(
      &rows, p.descending,
      [&](const NodeRow& a, const NodeRow& b, bool d) {
        if (p.sort == "gpus") return CompareNum(a.gpus, b.gpus, d);
        if (p.sort == "memoryAllocated")
          return CompareNum(a.memory_allocated, b.memory_allocated, d);
        if (p.sort == "memoryUsed") return CompareOpt(a.memory_used, b.memory_used, d);
        if (p.sort == "utilization") return CompareOpt(a.utilization, b.utilization, d);
        if (p.sort == "pods") return CompareNum(a.pods, b.pods, d);
        return CompareNum(a.name, b.name, d);
      },
      [](const NodeRow& r) { return r.name; });
  return Page(rows, p, NodeSummary);
}

nlohmann::json NodeJson(const ClusterModel& model, const NodeRow& node) {
  Json out = NodeSummary(node);
  Json gpus = Json::array();
  for (size_t i : node.gpu_rows) gpus.push_back(GpuSummary(model.gpus[i]));
  out["gpus"] = std::move(gpus);
  return out;
}

base::Result<nlohmann::json> GpusJson(const ClusterModel& model, std::string_view query) {
  HAMI_ASSIGN_OR_RETURN(ListParams p,
                        ParseListParams(query,
                                        {"node", "uuid", "type", "memoryTotal", "memoryAllocated",
                                         "memoryUsed", "coresAllocated", "utilization", "slices"},
                                        {"node"}));
  const auto node = p.filters.find("node");
  std::vector<const GpuRow*> rows;
  for (const GpuRow& g : model.gpus) {
    if (node != p.filters.end() && !node->second.empty() && g.node != node->second) continue;
    if (ContainsFolded(g.node, p.search) || ContainsFolded(g.uuid, p.search) ||
        ContainsFolded(g.type, p.search)) {
      rows.push_back(&g);
    }
  }
  SortRows(
      &rows, p.descending,
      [&](const GpuRow& a, const GpuRow& b, bool d) {
        if (p.sort == "uuid") return CompareNum(a.uuid, b.uuid, d);
        if (p.sort == "type") return CompareNum(a.type, b.type, d);
        if (p.sort == "memoryTotal") return CompareNum(a.memory_total, b.memory_total, d);
        if (p.sort == "memoryAllocated")
          return CompareNum(a.memory_allocated, b.memory_allocated, d);
        if (p.sort == "memoryUsed") return CompareOpt(a.memory_used, b.memory_used, d);
        if (p.sort == "coresAllocated") return CompareNum(a.cores_allocated, b.cores_allocated, d);
        if (p.sort == "utilization") return CompareOpt(a.utilization, b.utilization, d);
        if (p.sort == "slices") return CompareNum(a.slices.size(), b.slices.size(), d);
        return CompareNum(std::tie(a.node, a.index), std::tie(b.node, b.index), d);
      },
      [](const GpuRow& r) { return std::tie(r.node, r.index); });
  return Page(rows, p, GpuSummary);
}

nlohmann::json GpuJson(const GpuRow& gpu, const ClusterModel& model,
                       const std::vector<HistoryPoint>& history, const Viewer& viewer) {
  Json out = GpuSummary(gpu);
  Json slices = Json::array();
  for (const monitor::SmiSlice& s : gpu.slices) {
    if (!viewer.Sees(s.namespace_name)) continue;
    const PodRow* pod = model.Pod(s.namespace_name + "/" + s.pod);
    slices.push_back({{"namespace", s.namespace_name},
                      {"pod", s.pod},
                      {"container", s.container},
                      {"memoryLimit", s.memory_limit},
                      {"memoryUsed", Opt(s.memory_used)},
                      {"cores", s.cores < 0 ? Json(nullptr) : Json(s.cores)},
                      {"utilization", Opt(s.utilization)},
                      {"priority", pod ? pod->priority : 1},
                      {"blocked", s.blocked}});
  }
  Json instances = Json::array();
  for (const monitor::SmiInstance& m : gpu.instances) {
    if (!viewer.Sees(m.namespace_name)) continue;
    instances.push_back(
        {{"profile", m.profile},
         {"placementStart", m.placement_start},
         {"placementSize", m.placement_size},
         {"migUuid", NonEmpty(m.instance_uuid)},
         {"namespace", m.namespace_name},
         {"pod", m.pod},
         {"container", m.container_name.empty() ? std::to_string(m.container) : m.container_name}});
  }
  Json points = Json::array();
  for (const HistoryPoint& h : history) {
    points.push_back(
        {{"t", h.t}, {"utilization", Opt(h.utilization)}, {"memoryUsed", Opt(h.memory_used)}});
  }
  out["slices"] = std::move(slices);
  out["instances"] = std::move(instances);
  out["history"] = std::move(points);
  return out;
}

base::Result<nlohmann::json> PodsJson(const ClusterModel& model, std::string_view query,
                                      const Viewer& viewer) {
  HAMI_ASSIGN_OR_RETURN(
      ListParams p,
      ParseListParams(query, {"name", "namespace", "node", "phase", "memory", "cores", "priority"},
                      {"namespace", "phase", "pending"}));
  auto filter = [&](const char* key) {
    auto it = p.filters.find(key);
    return it == p.filters.end() ? std::string() : it->second;
  };
  const std::string ns = filter("namespace"), phase = filter("phase"), pending = filter("pending");
  if (!pending.empty() && pending != "true" && pending != "false") {
    return base::InvalidArgument("pending=" + pending + ": want true or false");
  }
  std::vector<const PodRow*> rows;
  for (const PodRow& r : model.pods) {
    if (!viewer.Sees(r.namespace_name) || (!ns.empty() && r.namespace_name != ns)) continue;
    if (!phase.empty() && !ContainsFolded(r.phase, phase)) continue;
    if (!pending.empty() && r.pending != (pending == "true")) continue;
    if (ContainsFolded(r.Key(), p.search) || ContainsFolded(r.node, p.search)) rows.push_back(&r);
  }
  SortRows(
      &rows, p.descending,
      [&](const PodRow& a, const PodRow& b, bool d) {
        if (p.sort == "namespace") return CompareNum(a.namespace_name, b.namespace_name, d);
        if (p.sort == "node") return CompareNum(a.node, b.node, d);
        if (p.sort == "phase") return CompareNum(a.phase, b.phase, d);
        if (p.sort == "memory") return CompareNum(a.memory, b.memory, d);
        if (p.sort == "cores") return CompareNum(a.cores, b.cores, d);
        if (p.sort == "priority") return CompareNum(a.priority, b.priority, d);
        return CompareNum(a.name, b.name, d);
      },
      [](const PodRow& r) { return std::tie(r.namespace_name, r.name); });
  return Page(rows, p, PodSummary);
}

nlohmann::json PodJson(const PodRow& pod, const std::vector<nlohmann::json>& events) {
  Json containers = Json::array();
  for (const ContainerRow& c : pod.containers) {
    Json devices = Json::array();
    for (const DeviceGrant& d : c.devices) {
      devices.push_back({{"uuid", d.uuid},
                         {"vendor", d.vendor},
                         {"type", d.type},
                         {"memory", d.memory},
                         {"cores", d.cores}});
    }
    containers.push_back({{"name", c.name}, {"devices", std::move(devices)}, {"limits", c.limits}});
  }
  Json event_list = Json::array();
  for (const Json& e : events) {
    const Json time = e.contains("lastTimestamp") && !e["lastTimestamp"].is_null()
                          ? e["lastTimestamp"]
                          : e.value("eventTime", Json(nullptr));
    event_list.push_back({{"type", e.value("type", "")},
                          {"reason", e.value("reason", "")},
                          {"message", e.value("message", "")},
                          {"count", e.value("count", 1)},
                          {"lastTimestamp", time}});
  }
  return {{"namespace", pod.namespace_name},
          {"name", pod.name},
          {"uid", pod.uid},
          {"node", NonEmpty(pod.node)},
          {"phase", pod.phase},
          {"containers", std::move(containers)},
          {"events", std::move(event_list)},
          {"pending", PendingBlock(pod)},
          {"kubectl", "kubectl -n " + pod.namespace_name + " describe pod " + pod.name}};
}

nlohmann::json PendingJson(const ClusterModel& model, const Viewer& viewer) {
  std::vector<const PodRow*> rows;
  for (const PodRow& p : model.pods) {
    if (p.pending && viewer.Sees(p.namespace_name)) rows.push_back(&p);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const PodRow* a, const PodRow* b) {
    const int64_t sa = a->pending_entry ? a->pending_entry->since : INT64_MAX;
    const int64_t sb = b->pending_entry ? b->pending_entry->since : INT64_MAX;
    return sa < sb;
  });
  Json items = Json::array();
  for (const PodRow* p : rows) {
    Json block = PendingBlock(*p);
    items.push_back({{"namespace", p->namespace_name},
                     {"name", p->name},
                     {"since", block["since"]},
                     {"reasons", block["reasons"]}});
  }
  return {{"items", std::move(items)}};
}

}  // namespace hami::webui
