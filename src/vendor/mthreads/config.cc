#include "vendor/mthreads/config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/strings.h"
#include "codec/json_util.h"
#include "vendor/config_block.h"

namespace hami::vendor::mthreads {
namespace {

constexpr int64_t kMaxMemoryPerCard = std::numeric_limits<int32_t>::max() / kMemoryUnitMiB;

// One memoryPerCard entry: an integer, a whole float, or a string holding one (Helm quoting).
std::optional<int64_t> WholeNumber(const nlohmann::json& item) {
  if (item.is_number_integer()) return item.get<int64_t>();
  if (item.is_number_float()) {
    const double d = item.get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9.0e18) return static_cast<int64_t>(d);
  }
  if (item.is_string()) return base::ParseInt64(base::Trim(item.get<std::string>()));
  return std::nullopt;
}

base::Status MemoryPerCard(ConfigBlock& block, std::vector<int64_t>* out) {
  const nlohmann::json* raw = block.Raw(kConfigMemoryPerCard);
  if (raw == nullptr) return {};
  const std::string where = "device config: " + block.path() + "." + kConfigMemoryPerCard;
  const std::vector<nlohmann::json> items =
      raw->is_array() ? std::vector<nlohmann::json>(raw->begin(), raw->end())
                      : std::vector<nlohmann::json>{*raw};
  if (items.empty()) return base::InvalidArgument(where + ": expected at least one card size");
  std::vector<int64_t> sizes;
  for (const auto& item : items) {
    std::optional<int64_t> size = WholeNumber(item);
    if (!size || *size < 2 || *size > kMaxMemoryPerCard) {
      return base::InvalidArgument(where + ": " + codec::DumpJson(item) +
                                   " is not a card size within 2.." +
                                   std::to_string(kMaxMemoryPerCard) + " (units of 512 MiB)");
    }
    sizes.push_back(*size);
  }
  *out = std::move(sizes);
  return {};
}

}  // namespace

std::vector<int64_t> MthreadsConfig::LegalMemoryValues() const {
  std::vector<int64_t> legal;
  for (int64_t size : memory_per_card) {
    for (int64_t p = 2; p < size; p *= 2) legal.push_back(p);
    legal.push_back(size);
  }
  std::sort(legal.begin(), legal.end());
  legal.erase(std::unique(legal.begin(), legal.end()), legal.end());
  return legal;
}

std::vector<FlagSpec> MthreadsFlags() {
  return {{kFlagCountName, kDefaultCountResource, "Moore Threads count resource name", false},
          {kFlagMemoryName, kDefaultMemoryResource, "Moore Threads memory resource name", false},
          {kFlagCoreName, kDefaultCoreResource, "Moore Threads core resource name", false}};
}

base::Result<MthreadsConfig> MthreadsConfigFrom(const nlohmann::json& block,
                                                const FlagValues& flags,
                                                std::vector<std::string>* warnings) {
  MthreadsConfig c;
  c.resource_count_name = FlagOr(flags, kFlagCountName, kDefaultCountResource);
  c.resource_memory_name = FlagOr(flags, kFlagMemoryName, kDefaultMemoryResource);
  c.resource_core_name = FlagOr(flags, kFlagCoreName, kDefaultCoreResource);
  ConfigBlock b(block, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.Override(kConfigCountName, &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigMemoryName, &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigCoreName, &c.resource_core_name));
  HAMI_RETURN_IF_ERROR(MemoryPerCard(b, &c.memory_per_card));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

}  // namespace hami::vendor::mthreads
