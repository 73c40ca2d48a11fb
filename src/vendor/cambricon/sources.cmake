# The Cambricon MLU backend's sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  cambricon/config.cc cambricon/cambricon_vendor.cc cambricon/module.cc)
list(APPEND hami_vendor_tests cambricon/cambricon_test.cc cambricon/cambricon_fit_test.cc)
