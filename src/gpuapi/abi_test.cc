// Compiles every gpuapi header together (C++ static_asserts pin the layouts) and checks the
// documented field offsets and constant values that the static_asserts do not already cover.
#include <cstddef>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/cuda_types.h"
#include "gpuapi/nvml_functions.h"
#include "gpuapi/nvml_types.h"

namespace {

TEST(CudaAbi, ResultCodes) {
  EXPECT_EQ(CUDA_ERROR_INVALID_VALUE, 1);
  EXPECT_EQ(CUDA_ERROR_OUT_OF_MEMORY, 2);
  EXPECT_EQ(CUDA_ERROR_NOT_INITIALIZED, 3);
  EXPECT_EQ(CUDA_ERROR_NO_DEVICE, 100);
  EXPECT_EQ(CUDA_ERROR_INVALID_CONTEXT, 201);
  EXPECT_EQ(CUDA_ERROR_INVALID_HANDLE, 400);
  EXPECT_EQ(CUDA_ERROR_NOT_FOUND, 500);
  EXPECT_EQ(CUDA_ERROR_NOT_READY, 600);
  EXPECT_EQ(CUDA_ERROR_NOT_SUPPORTED, 801);
  EXPECT_EQ(sizeof(CUresult), 4u);
}

TEST(CudaAbi, StructOffsets) {
  EXPECT_EQ(offsetof(CUmemAllocationProp, location), 8u);
  EXPECT_EQ(offsetof(CUmemAllocationProp, win32HandleMetaData), 16u);
  EXPECT_EQ(offsetof(CUmemAllocationProp, allocFlags), 24u);
  EXPECT_EQ(offsetof(CUmemPoolProps, maxSize), 24u);
  EXPECT_EQ(offsetof(CUDA_ARRAY3D_DESCRIPTOR, Format), 24u);
  EXPECT_EQ(offsetof(CUlaunchConfig, attrs), 40u);
  EXPECT_EQ(offsetof(CUlaunchConfig, numAttrs), 48u);
  EXPECT_EQ(offsetof(CUlaunchAttribute, value), 8u);
  EXPECT_EQ(offsetof(CUDA_KERNEL_NODE_PARAMS, kernelParams), 40u);
  EXPECT_EQ(offsetof(CUDA_KERNEL_NODE_PARAMS_v2, ctx), 64u);
}

TEST(CudaAbi, AttributeValues) {
  EXPECT_EQ(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 16);
  EXPECT_EQ(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, 39);
  EXPECT_EQ(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 75);
  EXPECT_EQ(CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, 102);
  EXPECT_EQ(CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, 115);
  EXPECT_EQ(CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, 2);
}

TEST(NvmlAbi, ValuesAndOffsets) {
  EXPECT_EQ(NVML_ERROR_INSUFFICIENT_SIZE, 7);
  EXPECT_EQ(NVML_ERROR_UNKNOWN, 999);
  EXPECT_EQ(offsetof(nvmlMemory_v2_t, total), 8u);
  EXPECT_EQ(offsetof(nvmlMemory_v2_t, used), 32u);
  EXPECT_EQ(offsetof(nvmlProcessInfo_v2_t, gpuInstanceId), 16u);
  EXPECT_EQ(offsetof(nvmlProcessUtilizationSample_t, smUtil), 16u);
  EXPECT_EQ(offsetof(nvmlPciInfo_t, domain), 16u);
}

}  // namespace
