# The Vastai backend's sources and tests (included by src/vendor/CMakeLists.txt). Biren runs this
# backend too (vendor/biren/).
list(APPEND hami_vendor_sources
  vastai/config.cc vastai/module.cc vastai/vastai_fit.cc vastai/vastai_vendor.cc)
list(APPEND hami_vendor_tests vastai/vastai_test.cc vastai/vastai_fit_test.cc)
