#include "vendor/amd/amd_fit.h"

#include <cctype>

namespace hami::vendor::amd {
namespace {

sched::FitRules Rules() {
  sched::FitRules rules;
  rules.cores_percent_of_device = true;
  rules.grant_device_type = true;
  rules.device_hook = true;
  return rules;
}

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

bool NamesAmd(std::string_view type) {
  for (size_t i = 0; i + 3 <= type.size(); ++i) {
    if (Lower(type[i]) == 'a' && Lower(type[i + 1]) == 'm' && Lower(type[i + 2]) == 'd') {
      return true;
    }
  }
  return false;
}

AmdFit::AmdFit() : sched::VendorFit(Rules()) {}

std::optional<model::Reason> AmdFit::CheckDevice(sched::DeviceCheck& check) const {
  if (!NamesAmd(check.node.devices[check.position].info.type)) {
    return model::Reason::kCardTypeMismatch;
  }
  return std::nullopt;
}

}  // namespace hami::vendor::amd
