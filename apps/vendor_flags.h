// The scheduler flags every vendor folder declares (vendor::VendorFlags: --enable-ascend,
// --cambricon-mlu-name, ...), added to a CLI11 app without naming any vendor here.
// Not thread-safe; use in main only.
#pragma once

#include <CLI/CLI.hpp>

#include "vendor/registry.h"

namespace hami::apps {

// Adds one option per vendor flag; `values` receives what the command line gives (a flag not given
// is absent or empty, so the registry applies its default). A boolean flag may be given bare
// (`--enable-ascend`) or with a value (`--enable-ascend=false`); the vendor validates the value.
void AddVendorFlags(CLI::App& app, vendor::FlagValues* values);

}  // namespace hami::apps
