# The Kunlunxin backends' sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  kunlun/config.cc kunlun/kunlun_fit.cc kunlun/module.cc kunlun/quantities.cc
  kunlun/topology.cc kunlun/vxpu_vendor.cc kunlun/whole_vendor.cc)
list(APPEND hami_vendor_tests
  kunlun/topology_test.cc kunlun/whole_test.cc kunlun/vxpu_test.cc)
