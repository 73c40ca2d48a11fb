#include "apps/device_config_file.h"

#include <fstream>
#include <sstream>

#include "codec/yaml.h"

namespace hami::apps {

base::Result<vendor::DeviceConfig> LoadDeviceConfigFile(const std::string& path) {
  if (path.empty()) return vendor::DeviceConfig{};
  std::ifstream in(path);
  if (!in) return base::NotFound("cannot read device config " + path);
  std::stringstream text;
  text << in.rdbuf();
  HAMI_ASSIGN_OR_RETURN(auto json, codec::ParseYamlDocument(text.str(), path));
  return vendor::DeviceConfig{std::move(json)};
}

}  // namespace hami::apps
