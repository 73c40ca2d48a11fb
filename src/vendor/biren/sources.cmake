# The Biren backend's sources and tests (included by src/vendor/CMakeLists.txt); it runs the
# Vastai backend (vendor/vastai/) with Biren's keys.
list(APPEND hami_vendor_sources biren/module.cc)
list(APPEND hami_vendor_tests biren/biren_test.cc)
