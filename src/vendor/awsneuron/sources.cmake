# The AWS Neuron backend's sources and tests (included by src/vendor/CMakeLists.txt).
list(APPEND hami_vendor_sources
  awsneuron/config.cc awsneuron/module.cc awsneuron/neuron_fit.cc awsneuron/neuron_vendor.cc
  awsneuron/request.cc)
list(APPEND hami_vendor_tests
  awsneuron/awsneuron_test.cc awsneuron/awsneuron_fit_test.cc awsneuron/awsneuron_bind_test.cc)
