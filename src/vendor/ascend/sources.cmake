# The Huawei Ascend backends' sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  ascend/config.cc ascend/module.cc ascend/ascend_vendor.cc ascend/request.cc ascend/ascend_fit.cc
  ascend/runtime_info.cc)
list(APPEND hami_vendor_tests
  ascend/ascend_config_test.cc ascend/ascend_request_test.cc ascend/ascend_fit_test.cc
  ascend/ascend_bind_test.cc)
