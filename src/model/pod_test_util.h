// Test helper: a container with a name, limits and requests, every other field defaulted (tests
// written as aggregates would break, or warn, each time model::Container gains a field). Test-only.
#pragma once

#include <string>
#include <utility>

#include "model/pod.h"

namespace hami::model::testing {

inline Container MakeContainer(std::string name, ResourceList limits, ResourceList requests = {}) {
  Container c;
  c.name = std::move(name);
  c.limits = std::move(limits);
  c.requests = std::move(requests);
  return c;
}

}  // namespace hami::model::testing
