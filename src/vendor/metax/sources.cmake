# The MetaX backends' sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  metax/config.cc metax/gpu_vendor.cc metax/sgpu_register.cc metax/sgpu_fit.cc
  metax/sgpu_vendor.cc metax/module.cc)
list(APPEND hami_vendor_tests
  metax/gpu_test.cc metax/sgpu_test.cc metax/sgpu_fit_test.cc)
