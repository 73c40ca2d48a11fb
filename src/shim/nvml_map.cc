#include "shim/nvml_map.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shim/limit/env_parse.h"
#include "shim/loader.h"

namespace hami::shim {
namespace {

pthread_once_t g_nvml_init_once = PTHREAD_ONCE_INIT;
bool g_nvml_ready = false;

void InitNvmlOnce() {
  auto init = reinterpret_cast<decltype(&::nvmlInit_v2)>(NvmlReal(NvmlFn::k_nvmlInit_v2));
  g_nvml_ready = init != nullptr && init() == NVML_SUCCESS;
}

bool EnsureNvml() {
  pthread_once(&g_nvml_init_once, InitNvmlOnce);
  return g_nvml_ready;
}

}  // namespace

void FormatUuid(const char bytes[16], char* out, size_t len) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  std::snprintf(out, len,
                "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
}

int NvmlToCudaIndex(const region::SharedRegion& r, nvmlDevice_t device) {
  char uuid[region::kUuidLen] = {};
  auto get_uuid = NVML_REAL_FN(nvmlDeviceGetUUID);
  const bool have_uuid =
      get_uuid != nullptr && get_uuid(device, uuid, sizeof(uuid)) == NVML_SUCCESS;
  if (have_uuid) {
    for (int i = 0; i < region::kMaxDevices; ++i) {
      if (r.uuids[i][0] != '\0' && std::strncmp(r.uuids[i], uuid, sizeof(uuid)) == 0) return i;
    }
  }
  unsigned int index = 0;
  auto get_index = NVML_REAL_FN(nvmlDeviceGetIndex);
  if (get_index == nullptr || get_index(device, &index) != NVML_SUCCESS) return -1;
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible == nullptr) return index < region::kMaxDevices ? static_cast<int>(index) : -1;
  return limit::VisibleDevicePosition(visible, index, have_uuid ? uuid : nullptr,
                                      region::kMaxDevices);
}

nvmlDevice_t NvmlHandleForCuda(const region::SharedRegion& r, int dev) {
  if (dev < 0 || dev >= region::kMaxDevices || r.uuids[dev][0] == '\0') return nullptr;
  if (!EnsureNvml()) return nullptr;
  auto by_uuid = NVML_REAL_FN(nvmlDeviceGetHandleByUUID);
  nvmlDevice_t h = nullptr;
  if (by_uuid == nullptr || by_uuid(r.uuids[dev], &h) != NVML_SUCCESS) return nullptr;
  return h;
}

uint64_t NvmlUsedBytes(nvmlDevice_t device) {
  if (device == nullptr) return 0;
  auto info = reinterpret_cast<decltype(&::nvmlDeviceGetMemoryInfo)>(
      NvmlReal(NvmlFn::k_nvmlDeviceGetMemoryInfo));
  nvmlMemory_t m{};
  if (info == nullptr || info(device, &m) != NVML_SUCCESS) return 0;
  return m.used;
}

}  // namespace hami::shim
