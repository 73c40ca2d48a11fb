// Node and pod objects for the web UI's tests: NVIDIA GPU nodes as the device plugin registers
// them, pods holding slices as hami-scheduler's bind annotates them, pending GPU pods.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hami::webui::testing {

inline std::string Uuid(const std::string& node, int index) {
  return "GPU-" + node + "-" + std::to_string(index);
}

// A node with `gpus` A100-40GB GPUs (GPU `unhealthy` reports health false) at InternalIP `ip`.
inline nlohmann::json GpuNode(const std::string& name, int gpus, const std::string& ip = "",
                              int unhealthy = -1) {
  nlohmann::json reg = nlohmann::json::array();
  for (int i = 0; i < gpus; ++i) {
    reg.push_back({{"id", Uuid(name, i)},
                   {"index", i},
                   {"count", 10},
                   {"devmem", 40960},
                   {"devcore", 100},
                   {"type", "NVIDIA-A100-SXM4-40GB"},
                   {"numa", 0},
                   {"mode", "hami-core"},
                   {"health", i != unhealthy}});
  }
  nlohmann::json node = {
      {"kind", "Node"},
      {"metadata",
       {{"name", name}, {"annotations", {{"hami.io/node-nvidia-register", reg.dump()}}}}}};
  if (!ip.empty()) node["status"]["addresses"] = {{{"type", "InternalIP"}, {"address", ip}}};
  return node;
}

// A running pod on `node` holding `mem_mib`/`cores` of GPU `uuid` in its container "main".
inline nlohmann::json SlicePod(const std::string& ns, const std::string& name,
                               const std::string& node, const std::string& uuid, int mem_mib,
                               int cores, const std::string& phase = "Running") {
  const std::string allocated =
      uuid + ",NVIDIA," + std::to_string(mem_mib) + "," + std::to_string(cores) + ":;";
  return {{"kind", "Pod"},
          {"metadata",
           {{"namespace", ns},
            {"name", name},
            {"uid", name + "-uid"},
            {"annotations",
             {{"hami.io/vgpu-devices-allocated", allocated}, {"hami.io/vgpu-node", node}}}}},
          {"spec",
           {{"nodeName", node},
            {"containers",
             {{{"name", "main"},
               {"resources",
                {{"limits",
                  {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", std::to_string(mem_mib)}}}}}}}}}},
          {"status", {{"phase", phase}}}};
}

// A pod not bound yet asking for one GPU with `mem_mib`.
inline nlohmann::json PendingPod(const std::string& ns, const std::string& name, int mem_mib) {
  return {{"kind", "Pod"},
          {"metadata", {{"namespace", ns}, {"name", name}, {"uid", name + "-uid"}}},
          {"spec",
           {{"schedulerName", "hami-scheduler"},
            {"containers",
             {{{"name", "main"},
               {"resources",
                {{"limits",
                  {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", std::to_string(mem_mib)}}}}}}}}}},
          {"status", {{"phase", "Pending"}}}};
}

}  // namespace hami::webui::testing
