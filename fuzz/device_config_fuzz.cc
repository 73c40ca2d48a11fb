// HAMi's device-config.yaml (the chart's ConfigMap, edited by operators): the YAML reader and every
// vendor folder's block parser through Registry::Create, as hami-scheduler loads it.
#include "codec/yaml.h"
#include "fuzz/fuzz_input.h"
#include "vendor/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = codec::ParseYamlDocument(text, "fuzz");
  if (!json.ok()) return 0;
  (void)vendor::Registry::Create(vendor::DeviceConfig{*json});
  return 0;
}
