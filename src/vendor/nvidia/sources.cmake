# The NVIDIA backend's sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  nvidia/config.cc nvidia/module.cc nvidia/nvidia_vendor.cc nvidia/request.cc nvidia/node.cc)
list(APPEND hami_vendor_tests nvidia/request_test.cc nvidia/node_test.cc)
