// NvmlHost: host GPU readings (memory, utilization, temperature, power) through NVML, loaded with
// dlopen so the monitor starts (and exports region metrics) on a node without a driver.
//
// Open() loads the library and calls nvmlInit once; Read() queries every device. A device whose
// identity calls fail is skipped; optional readings that fail are left unset. Thread-safe (one
// mutex; NVML itself is thread-safe).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "monitor/snapshot.h"

namespace hami::monitor {

class NvmlHost {
 public:
  NvmlHost();
  ~NvmlHost();
  NvmlHost(const NvmlHost&) = delete;
  NvmlHost& operator=(const NvmlHost&) = delete;

  // `library`: a path or soname (default libnvidia-ml.so.1). Errors name the library and the call.
  base::Status Open(const std::string& library);
  bool open() const { return api_ != nullptr; }
  // Every GPU; empty when not open.
  std::vector<HostGpu> Read();

 private:
  struct Api;
  std::mutex mu_;
  void* handle_ = nullptr;
  std::unique_ptr<Api> api_;
};

}  // namespace hami::monitor
