# The Moore Threads backend's sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  mthreads/config.cc mthreads/mthreads_vendor.cc mthreads/module.cc)
list(APPEND hami_vendor_tests mthreads/mthreads_test.cc mthreads/mthreads_fit_test.cc)
