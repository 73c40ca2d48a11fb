// What hami_build_info{version,revision,build_date,go_version,compiler,platform} reports.
// Value type. CurrentBuild() fills it from the compile-time definitions HAMI_VERSION,
// HAMI_REVISION and HAMI_BUILD_DATE (set by CMake; "dev"/empty when absent).
#pragma once

#include <string>

namespace hami::base {

struct BuildInfo {
  std::string version = "dev";
  std::string revision;
  std::string build_date;
  std::string compiler;
  std::string platform;
};

BuildInfo CurrentBuild();

}  // namespace hami::base
