#include "monitor/nvml_host.h"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "gpuapi/nvml_functions.h"

namespace hami::monitor {

struct NvmlHost::Api {
  decltype(&nvmlInit_v2) init;
  decltype(&nvmlShutdown) shutdown;
  decltype(&nvmlDeviceGetCount_v2) count;
  decltype(&nvmlDeviceGetHandleByIndex_v2) handle;
  decltype(&nvmlDeviceGetUUID) uuid;
  decltype(&nvmlDeviceGetName) name;
  decltype(&nvmlDeviceGetMemoryInfo) memory;
  decltype(&nvmlDeviceGetUtilizationRates) utilization;
  decltype(&nvmlDeviceGetTemperature) temperature;
  decltype(&nvmlDeviceGetPowerUsage) power;
  decltype(&nvmlDeviceGetProcessUtilization) process_utilization;
};

namespace {

// SM percent by pid over NVML's last window; nullopt when NVML cannot tell.
std::optional<std::map<int32_t, unsigned>> ProcessUtilization(
    decltype(&nvmlDeviceGetProcessUtilization) get, nvmlDevice_t dev) {
  std::map<int32_t, unsigned> out;
  unsigned count = 0;
  nvmlReturn_t rc = get(dev, nullptr, &count, 0);
  if (rc == NVML_ERROR_NOT_FOUND) return out;  // no process ran in the window
  if (rc != NVML_ERROR_INSUFFICIENT_SIZE && rc != NVML_SUCCESS) return std::nullopt;
  std::vector<nvmlProcessUtilizationSample_t> samples(count + 8);  // room for late arrivals
  count = static_cast<unsigned>(samples.size());
  rc = get(dev, samples.data(), &count, 0);
  if (rc == NVML_ERROR_NOT_FOUND) return out;
  if (rc != NVML_SUCCESS) return std::nullopt;
  for (unsigned i = 0; i < count && i < samples.size(); ++i) {
    unsigned& util = out[static_cast<int32_t>(samples[i].pid)];
    util = std::max(util, std::min(samples[i].smUtil, 100u));
  }
  return out;
}

}  // namespace

NvmlHost::NvmlHost() = default;

NvmlHost::~NvmlHost() {
  if (api_ && api_->shutdown) api_->shutdown();
  if (handle_ != nullptr) dlclose(handle_);
}

base::Status NvmlHost::Open(const std::string& library) {
  std::lock_guard<std::mutex> lock(mu_);
  if (api_) return base::Status::Ok();
  handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* e = dlerror();
    return base::Unavailable("cannot load " + library + ": " + (e ? e : "dlopen failed"));
  }
  auto api = std::make_unique<Api>();
  bool missing = false;
  std::string missing_name;
  auto sym = [&](auto* out, const char* name, bool required) {
    *out = reinterpret_cast<std::remove_pointer_t<decltype(out)>>(dlsym(handle_, name));
    if (*out == nullptr && required && !missing) {
      missing = true;
      missing_name = name;
    }
  };
  sym(&api->init, "nvmlInit_v2", true);
  sym(&api->shutdown, "nvmlShutdown", false);
  sym(&api->count, "nvmlDeviceGetCount_v2", true);
  sym(&api->handle, "nvmlDeviceGetHandleByIndex_v2", true);
  sym(&api->uuid, "nvmlDeviceGetUUID", true);
  sym(&api->name, "nvmlDeviceGetName", true);
  sym(&api->memory, "nvmlDeviceGetMemoryInfo", true);
  sym(&api->utilization, "nvmlDeviceGetUtilizationRates", false);
  sym(&api->temperature, "nvmlDeviceGetTemperature", false);
  sym(&api->power, "nvmlDeviceGetPowerUsage", false);
  sym(&api->process_utilization, "nvmlDeviceGetProcessUtilization", false);
  if (missing) return base::Unavailable(library + ": missing symbol " + missing_name);
  if (nvmlReturn_t rc = api->init(); rc != NVML_SUCCESS) {
    return base::Unavailable(library + ": nvmlInit_v2 returned " + std::to_string(rc));
  }
  api_ = std::move(api);
  return base::Status::Ok();
}

std::vector<HostGpu> NvmlHost::Read() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HostGpu> out;
  if (!api_) return out;
  unsigned count = 0;
  if (api_->count(&count) != NVML_SUCCESS) return out;
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev;
    char uuid[96] = {0};
    char name[96] = {0};
    nvmlMemory_t mem{};
    if (api_->handle(i, &dev) != NVML_SUCCESS ||
        api_->uuid(dev, uuid, sizeof(uuid)) != NVML_SUCCESS ||
        api_->name(dev, name, sizeof(name)) != NVML_SUCCESS) {
      continue;
    }
    HostGpu g;
    g.index = static_cast<int>(i);
    g.uuid = uuid;
    g.name = name;
    if (api_->memory(dev, &mem) == NVML_SUCCESS) {
      g.memory_total = mem.total;
      g.memory_used = mem.used;
    }
    nvmlUtilization_t util{};
    if (api_->utilization && api_->utilization(dev, &util) == NVML_SUCCESS) {
      g.utilization_gpu = util.gpu;
      g.utilization_memory = util.memory;
    }
    unsigned temp = 0;
    if (api_->temperature && api_->temperature(dev, NVML_TEMPERATURE_GPU, &temp) == NVML_SUCCESS) {
      g.temperature_c = temp;
    }
    unsigned mw = 0;
    if (api_->power && api_->power(dev, &mw) == NVML_SUCCESS) g.power_watts = mw / 1000.0;
    if (api_->process_utilization)
      g.process_sm_util = ProcessUtilization(api_->process_utilization, dev);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace hami::monitor
