#include "webhook/isolation.h"

#include <algorithm>
#include <array>

#include "base/strings.h"
#include "vendor/nvidia/wire.h"

namespace hami::webhook {
namespace {

namespace nvidia = vendor::nvidia;

constexpr char kDisables[] = " disables GPU isolation";

// WIRE: env names libvgpu, the device plugin or the loader obey, denied whatever their value.
constexpr std::array<const char*, 8> kDeniedEnv = {
    nvidia::kMemoryLimitEnv,   nvidia::kSmLimitEnv,        nvidia::kSharedCacheEnv,
    nvidia::kOversubscribeEnv, nvidia::kDisableControlEnv, nvidia::kContextOverheadEnv,
    nvidia::kLdPreloadEnv,     nvidia::kLdAuditEnv};
constexpr std::array<const char*, 2> kDeniedEnvPrefixes = {nvidia::kMemoryLimitEnvPrefix,
                                                           nvidia::kSmLimitEnvPrefix};
// WIRE: env names the webhook itself sets; a user's value passes only when it is the webhook's.
constexpr std::array<const char*, 3> kValueCheckedEnv = {
    nvidia::kTaskPriorityEnv, nvidia::kCorePolicyEnv, nvidia::kVisibleDevicesEnv};
// Capabilities that reach other processes' memory or the host (names without CAP_, upper case).
constexpr std::array<const char*, 3> kDeniedCapabilities = {"SYS_ADMIN", "SYS_PTRACE", "ALL"};

bool IsDeniedEnv(const std::string& name) {
  for (const char* n : kDeniedEnv) {
    if (name == n) return true;
  }
  for (const char* p : kDeniedEnvPrefixes) {
    if (base::StartsWith(name, p)) return true;
  }
  return false;
}

bool IsValueCheckedEnv(const std::string& name) {
  return std::find(kValueCheckedEnv.begin(), kValueCheckedEnv.end(), name) !=
         kValueCheckedEnv.end();
}

// The value the webhook's admission defaults give `name` in `admitted`, or nullptr.
const std::string* AdmittedValue(const model::Container* admitted, const std::string& name) {
  if (admitted == nullptr) return nullptr;
  auto it = admitted->env.find(name);
  return it == admitted->env.end() ? nullptr : &it->second;
}

bool ValuePasses(const std::string& name, const std::string& value,
                 const model::Container* admitted) {
  if (name == nvidia::kVisibleDevicesEnv && (value == "none" || value == "void")) return true;
  const std::string* expected = AdmittedValue(admitted, name);
  return expected != nullptr && *expected == value;
}

void EnvViolations(const model::Container& c, const model::Container* admitted,
                   std::vector<std::string>* out) {
  const std::string prefix = "container " + c.name + ": env ";
  for (const auto& [name, value] : c.env) {
    if (IsDeniedEnv(name) || (IsValueCheckedEnv(name) && !ValuePasses(name, value, admitted))) {
      out->push_back(prefix + name + kDisables);
    }
  }
  for (const std::string& name : c.env_value_from) {
    if (IsDeniedEnv(name) || IsValueCheckedEnv(name)) {
      out->push_back(prefix + name + " (valueFrom)" + kDisables);
    }
  }
}

std::string CapabilityName(std::string_view cap) {
  std::string upper = base::ToUpper(base::Trim(cap));
  if (base::StartsWith(upper, "CAP_")) upper.erase(0, 4);
  return upper;
}

void ContainerViolations(const model::Container& c, const model::Container* admitted,
                         const IsolationConfig& config, std::vector<std::string>* out) {
  if (c.privileged && !config.allow_privileged) {
    out->push_back("container " + c.name + " is privileged");  // WIRE: upstream's message
  }
  if (!config.allow_capabilities) {
    for (const std::string& cap : c.capabilities_add) {
      const std::string name = CapabilityName(cap);
      if (std::find(kDeniedCapabilities.begin(), kDeniedCapabilities.end(), name) !=
          kDeniedCapabilities.end()) {
        out->push_back("container " + c.name + ": securityContext.capabilities.add " + cap +
                       kDisables);
      }
    }
  }
  if (!config.allow_env) EnvViolations(c, admitted, out);
  if (!config.allow_env_from) {
    for (const std::string& source : c.env_from) {
      out->push_back("container " + c.name + ": envFrom " + source + " may set env that" +
                     kDisables);
    }
  }
}

void PodViolations(const model::Pod& pod, const IsolationConfig& config,
                   std::vector<std::string>* out) {
  if (pod.host_pid && !config.allow_host_pid) {
    out->push_back(std::string("spec.hostPID") + kDisables);
  }
  if (pod.host_ipc && !config.allow_host_ipc) {
    out->push_back(std::string("spec.hostIPC") + kDisables);
  }
  if (config.allow_host_path) return;
  for (const model::HostPathVolume& v : pod.host_path_volumes) {
    for (const std::string& p : config.protected_host_paths) {
      if (!HostPathTouches(v.path, p)) continue;
      out->push_back("volume " + v.name + ": hostPath " + v.path + " exposes " + p + " and" +
                     kDisables);
      break;
    }
  }
}

const model::Container* ContainerAt(const model::Pod* pod, bool init, size_t i) {
  if (pod == nullptr) return nullptr;
  const auto& list = init ? pod->init_containers : pod->containers;
  return i < list.size() ? &list[i] : nullptr;
}

}  // namespace

bool AsksForGpu(const model::Pod& pod, const vendor::Registry& registry) {
  const std::vector<std::string> names = registry.ResourceNames();
  auto gpu = [&](const model::ResourceList& list) {
    for (const auto& [name, quantity] : list) {
      if (base::StartsWith(name, nvidia::kMigResourcePrefix)) return true;
      if (std::find(names.begin(), names.end(), name) != names.end()) return true;
    }
    return false;
  };
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const model::Container& c : *list) {
      if (gpu(c.limits) || gpu(c.requests)) return true;
    }
  }
  return false;
}

std::string NormalizeHostPath(std::string_view path) {
  std::vector<std::string> parts;
  for (std::string_view part : base::Split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return "/" + base::Join(parts, "/");
}

bool HostPathTouches(std::string_view path, std::string_view protected_path) {
  const std::string p = NormalizeHostPath(path);
  std::string target = NormalizeHostPath(protected_path);
  const bool glob = !target.empty() && target.back() == '*';
  if (glob) target.pop_back();
  // p above the target: every protected name lies under p.
  const std::string dir = glob ? target.substr(0, target.rfind('/') + 1) : target + "/";
  if (p == "/" || base::StartsWith(dir, p + "/")) return true;
  if (glob) return base::StartsWith(p, target);
  return p == target || base::StartsWith(p, target + "/");
}

std::vector<std::string> IsolationViolations(const model::Pod& pod, const model::Pod* admitted,
                                             const IsolationConfig& config,
                                             const vendor::Registry& registry) {
  std::vector<std::string> out;
  if (config.exempt_namespaces.count(pod.namespace_name) != 0) return out;
  if (!AsksForGpu(pod, registry)) return out;
  PodViolations(pod, config, &out);
  for (const bool init : {true, false}) {
    const auto& list = init ? pod.init_containers : pod.containers;
    for (size_t i = 0; i < list.size(); ++i) {
      ContainerViolations(list[i], ContainerAt(admitted, init, i), config, &out);
    }
  }
  return out;
}

model::Pod WithoutValueCheckedEnv(model::Pod pod) {
  for (auto* list : {&pod.init_containers, &pod.containers}) {
    for (model::Container& c : *list) {
      for (const char* name : kValueCheckedEnv) c.env.erase(name);
    }
  }
  return pod;
}

}  // namespace hami::webhook
