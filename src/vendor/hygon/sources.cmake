# The Hygon DCU backend's sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  hygon/config.cc hygon/module.cc hygon/hygon_vendor.cc)
list(APPEND hami_vendor_tests hygon/hygon_test.cc hygon/hygon_fit_test.cc)
