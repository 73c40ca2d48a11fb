// AMD's fit rules (vendors.md §12 "Fit") on the generic loop: cores are a percentage of the
// device's compute units (FitRules::cores_percent_of_device), a grant keeps the registered product
// type (FitRules::grant_device_type), and a device whose registered type does not name AMD is a
// CardTypeMismatch (upstream's type filter keeps only devices whose type contains the vendor key).
// Immutable; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "sched/vendor_fit.h"

namespace hami::vendor::amd {

// Whether `type` contains "amd" in any case.
bool NamesAmd(std::string_view type);

class AmdFit final : public sched::VendorFit {
 public:
  AmdFit();

  std::optional<model::Reason> CheckDevice(sched::DeviceCheck& check) const override;
};

}  // namespace hami::vendor::amd
