#include "base/build_info.h"

namespace hami::base {

BuildInfo CurrentBuild() {
  BuildInfo info;
#ifdef HAMI_VERSION
  info.version = HAMI_VERSION;
#endif
#ifdef HAMI_REVISION
  info.revision = HAMI_REVISION;
#endif
#ifdef HAMI_BUILD_DATE
  info.build_date = HAMI_BUILD_DATE;
#endif
  info.compiler = "gcc-" __VERSION__;
#if defined(__x86_64__)
  info.platform = "linux/amd64";
#elif defined(__aarch64__)
  info.platform = "linux/arm64";
#else
  info.platform = "linux/unknown";
#endif
  return info;
}

}  // namespace hami::base
