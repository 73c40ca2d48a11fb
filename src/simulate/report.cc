#include "simulate/report.h"

#include <algorithm>
#include <cstdio>

namespace hami::simulate {
namespace {

struct Totals {
  int64_t gpus = 0, mem_used = 0, mem_total = 0, cores_used = 0, cores_total = 0, slots_used = 0,
          slots_total = 0, stranded = 0, largest_free = 0;
};

bool Stranded(const sched::DeviceState& d) {
  return d.usage.used >= d.info.count ||
         (d.info.devcore > 0 && d.usage.usedcores >= d.info.devcore);
}

Totals Sum(const Result& result) {
  Totals t;
  for (const auto& node : result.nodes) {
    for (const auto& d : node.devices) {
      ++t.gpus;
      t.mem_used += d.usage.usedmem;
      t.mem_total += d.info.devmem;
      t.cores_used += d.usage.usedcores;
      t.cores_total += d.info.devcore;
      t.slots_used += d.usage.used;
      t.slots_total += d.info.count;
      const int64_t free = std::max<int64_t>(0, d.info.devmem - d.usage.usedmem);
      if (Stranded(d) || !d.info.health) {
        t.stranded += free;
      } else {
        t.largest_free = std::max(t.largest_free, free);
      }
    }
  }
  return t;
}

nlohmann::ordered_json Pair(int64_t used, int64_t total) {
  return {{"used", used}, {"total", total}};
}

std::string Bar(int64_t used, int64_t total, int width) {
  const int filled =
      total > 0 ? static_cast<int>(std::min<int64_t>(width, used * width / total)) : 0;
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

std::string Format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), fmt, args...);
  return buf;
}

}  // namespace

nlohmann::ordered_json ReportJson(const Result& result) {
  using Json = nlohmann::ordered_json;
  Json placements = Json::array();
  size_t placed = 0, unschedulable = 0, no_request = 0;
  for (const auto& p : result.placements) {
    Json failed = Json::object();
    for (const auto& [node, reason] : p.failed_nodes) failed[node] = reason;
    Json devices = Json::object();
    for (const auto& [vendor, encoded] : p.devices) devices[vendor] = encoded;
    Json annotations = Json::object();
    for (const auto& [key, value] : p.annotations) annotations[key] = value;
    placements.push_back({{"pod", p.pod},
                          {"node", p.node ? Json(*p.node) : Json()},
                          {"devices", devices},
                          {"annotations", annotations},
                          {"failedNodes", failed}});
    if (!p.requests_devices) {
      ++no_request;
    } else if (p.node) {
      ++placed;
    } else {
      ++unschedulable;
    }
  }
  const Totals t = Sum(result);
  Json summary = {{"nodes", result.nodes.size() + result.unregistered.size()},
                  {"gpus", t.gpus},
                  {"runningPods", result.running},
                  {"pods", result.placements.size()},
                  {"placed", placed},
                  {"unschedulable", unschedulable},
                  {"noDeviceRequest", no_request},
                  {"memoryMiB", Pair(t.mem_used, t.mem_total)},
                  {"cores", Pair(t.cores_used, t.cores_total)},
                  {"slots", Pair(t.slots_used, t.slots_total)},
                  {"strandedMemoryMiB", t.stranded},
                  {"largestFreeMemoryMiB", t.largest_free}};
  return {{"placements", placements}, {"summary", summary}};
}

std::string ReportTable(const Result& result) {
  std::string out =
      Format("%-32s %-20s %s\n", "POD", "NODE", "DEVICES (uuid,type,MiB,cores) / WHY NOT");
  for (const auto& p : result.placements) {
    std::string where = p.node ? *p.node : (p.requests_devices ? "<pending>" : "<no device>");
    std::string what;
    if (p.node) {
      for (const auto& [vendor, encoded] : p.devices) {
        if (!what.empty()) what += " ";
        what += p.devices.size() > 1 ? vendor + ": " + encoded : encoded;
      }
    } else if (p.requests_devices) {
      for (const auto& [node, reason] : p.failed_nodes) {
        if (!what.empty()) what += "; ";
        what += node + ": " + reason;
      }
    }
    out += Format("%-32s %-20s %s\n", p.pod.c_str(), where.c_str(), what.c_str());
  }
  out += "\n";
  out += Format("%-20s %-5s %-28s %-24s %-22s %-8s\n", "NODE", "GPU", "TYPE",
                "MEMORY MiB (used/total)", "CORES % (used/total)", "SLOTS");
  for (const auto& node : result.nodes) {
    for (const auto& d : node.devices) {
      std::string type = d.info.type.size() > 28 ? d.info.type.substr(0, 28) : d.info.type;
      std::string health = d.info.health ? "" : " unhealthy";
      out += Format(
          "%-20s %-5d %-28s %6lld/%-6lld %s %4lld/%-4lld %s %3d/%-3d%s\n", node.name.c_str(),
          d.info.index, type.c_str(), static_cast<long long>(d.usage.usedmem),
          static_cast<long long>(d.info.devmem), Bar(d.usage.usedmem, d.info.devmem, 8).c_str(),
          static_cast<long long>(d.usage.usedcores), static_cast<long long>(d.info.devcore),
          Bar(d.usage.usedcores, d.info.devcore, 8).c_str(), d.usage.used, d.info.count,
          health.c_str());
    }
  }
  for (const auto& name : result.unregistered) {
    out += Format("%-20s (no devices registered)\n", name.c_str());
  }
  const Totals t = Sum(result);
  const auto j = ReportJson(result)["summary"];
  out += "\n";
  out += Format(
      "pods: %zu to place, %lld placed, %lld unschedulable, %lld without device request; "
      "%zu already running\n",
      result.placements.size(), j["placed"].get<long long>(), j["unschedulable"].get<long long>(),
      j["noDeviceRequest"].get<long long>(), result.running);
  out += Format("memory: %lld/%lld MiB used, cores: %lld/%lld, slots: %lld/%lld\n",
                static_cast<long long>(t.mem_used), static_cast<long long>(t.mem_total),
                static_cast<long long>(t.cores_used), static_cast<long long>(t.cores_total),
                static_cast<long long>(t.slots_used), static_cast<long long>(t.slots_total));
  out += Format(
      "fragmentation: %lld MiB free but stranded (GPU out of slots or cores), "
      "largest free block on one GPU %lld MiB\n",
      static_cast<long long>(t.stranded), static_cast<long long>(t.largest_free));
  return out;
}

}  // namespace hami::simulate
