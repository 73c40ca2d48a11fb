// Reads HAMi's device-config.yaml (`--config` / `--device-config-file`) into a DeviceConfig.
// An empty path gives the defaults; errors name the file.
#pragma once

#include <string>

#include "base/result.h"
#include "vendor/registry.h"

namespace hami::apps {

base::Result<vendor::DeviceConfig> LoadDeviceConfigFile(const std::string& path);

}  // namespace hami::apps
