// DriverCall: a non-owning reference to "the real driver call" a hook is about to make, so the
// runtime can run it between charging and settling without templates in its interface.
// Valid only while the referenced callable lives (the hook's stack frame). Thread-compatible.
#pragma once

#include "gpuapi/cuda_types.h"

namespace hami::shim {

class DriverCall {
 public:
  template <typename F>
  DriverCall(F& f)  // NOLINT(runtime/explicit): a lambda converts implicitly at call sites
      : object_(&f), invoke_([](void* o) { return (*static_cast<F*>(o))(); }) {}
  CUresult operator()() const { return invoke_(object_); }

 private:
  void* object_;
  CUresult (*invoke_)(void*);
};

}  // namespace hami::shim
