# The Enflame backends' sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  enflame/config.cc enflame/drs_bind.cc enflame/drs_capacity.cc enflame/drs_vendor.cc
  enflame/gcu_vendor.cc enflame/module.cc)
list(APPEND hami_vendor_tests
  enflame/config_test.cc enflame/gcu_test.cc enflame/drs_capacity_test.cc enflame/drs_test.cc
  enflame/drs_bind_test.cc)
