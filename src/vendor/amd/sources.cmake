# The AMD backend's sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources amd/amd_fit.cc amd/amd_vendor.cc amd/config.cc amd/module.cc)
list(APPEND hami_vendor_tests amd/amd_test.cc amd/amd_fit_test.cc)
