#include "sim/device_attributes.h"

#include <gtest/gtest.h>

namespace hami::sim {
namespace {

TEST(DeviceAttribute, ModelFactsAndRange) {
  auto gpus = *ParseCompactGpuList("A100-40GB,T4-16GB");
  EXPECT_EQ(DeviceAttribute(gpus[0], CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), 108);
  EXPECT_EQ(DeviceAttribute(gpus[1], CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), 40);
  EXPECT_EQ(DeviceAttribute(gpus[0], CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR), 2048);
  EXPECT_EQ(DeviceAttribute(gpus[1], CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR), 1024);
  EXPECT_EQ(DeviceAttribute(gpus[1], CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), 7);
  EXPECT_EQ(DeviceAttribute(gpus[0], CU_DEVICE_ATTRIBUTE_PCI_BUS_ID), 0x10);
  EXPECT_EQ(DeviceAttribute(gpus[1], CU_DEVICE_ATTRIBUTE_PCI_BUS_ID), 0x18);
  EXPECT_EQ(DeviceAttribute(gpus[0], CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED), 1);
  EXPECT_EQ(DeviceAttribute(gpus[0], 21), 0);  // in range, not modelled
  EXPECT_FALSE(DeviceAttribute(gpus[0], 0));
  EXPECT_FALSE(DeviceAttribute(gpus[0], 100000));
}

TEST(DeviceAttribute, CooperativeLimit) {
  auto gpus = *ParseCompactGpuList("A100-40GB");
  EXPECT_EQ(MaxResidentBlocks(gpus[0], 1024), 108u * 2);
  EXPECT_EQ(MaxResidentBlocks(gpus[0], 32), 108u * 32);
}

TEST(ParsePciBusId, Fields) {
  PciAddress a = ParsePciBusId("00000001:3B:02.0");
  EXPECT_EQ(a.domain, 1u);
  EXPECT_EQ(a.bus, 0x3Bu);
  EXPECT_EQ(a.device, 2u);
  EXPECT_EQ(ParsePciBusId("junk").bus, 0u);
}

}  // namespace
}  // namespace hami::sim
