# The Iluvatar backends' sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  iluvatar/config.cc iluvatar/module.cc iluvatar/iluvatar_vendor.cc)
list(APPEND hami_vendor_tests iluvatar/iluvatar_test.cc)
