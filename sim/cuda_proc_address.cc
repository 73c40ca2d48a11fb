// cuGetProcAddress / cuGetProcAddress_v2 of the simulated driver: the table of every entry point it
// exports, by base name and the CUDA version that introduced each ABI variant.
#include <cstring>

#include "gpuapi/cuda_functions.h"
#include "sim/proc_table.h"

namespace {

using hami::sim::ProcEntry;

template <typename F>
void* Fn(F* f) {
  return reinterpret_cast<void*>(f);
}

const ProcEntry kTable[] = {
    {"cuInit", 2000, Fn(&cuInit), nullptr},
    {"cuDriverGetVersion", 2020, Fn(&cuDriverGetVersion), nullptr},
    {"cuGetErrorString", 6000, Fn(&cuGetErrorString), nullptr},
    {"cuGetErrorName", 6000, Fn(&cuGetErrorName), nullptr},
    {"cuGetProcAddress", 11030, Fn(&cuGetProcAddress), nullptr},
    {"cuGetProcAddress", 12000, Fn(&cuGetProcAddress_v2), nullptr},
    {"cuDeviceGet", 2000, Fn(&cuDeviceGet), nullptr},
    {"cuDeviceGetCount", 2000, Fn(&cuDeviceGetCount), nullptr},
    {"cuDeviceGetName", 2000, Fn(&cuDeviceGetName), nullptr},
    {"cuDeviceGetUuid", 9020, Fn(&cuDeviceGetUuid), nullptr},
    {"cuDeviceGetUuid", 11040, Fn(&cuDeviceGetUuid_v2), nullptr},
    {"cuDeviceTotalMem", 3020, Fn(&cuDeviceTotalMem_v2), nullptr},
    {"cuDeviceGetAttribute", 2000, Fn(&cuDeviceGetAttribute), nullptr},
    {"cuDeviceGetPCIBusId", 4010, Fn(&cuDeviceGetPCIBusId), nullptr},
    {"cuDeviceGetByPCIBusId", 4010, Fn(&cuDeviceGetByPCIBusId), nullptr},
    {"cuDeviceComputeCapability", 2000, Fn(&cuDeviceComputeCapability), nullptr},
    {"cuDeviceCanAccessPeer", 4000, Fn(&cuDeviceCanAccessPeer), nullptr},
    {"cuDeviceGetDefaultMemPool", 11020, Fn(&cuDeviceGetDefaultMemPool), nullptr},
    {"cuDeviceGetMemPool", 11020, Fn(&cuDeviceGetMemPool), nullptr},
    {"cuDeviceSetMemPool", 11020, Fn(&cuDeviceSetMemPool), nullptr},
    {"cuDevicePrimaryCtxRetain", 7000, Fn(&cuDevicePrimaryCtxRetain), nullptr},
    {"cuDevicePrimaryCtxRelease", 7000, Fn(&cuDevicePrimaryCtxRelease_v2), nullptr},
    {"cuDevicePrimaryCtxRelease", 11000, Fn(&cuDevicePrimaryCtxRelease_v2), nullptr},
    {"cuDevicePrimaryCtxReset", 7000, Fn(&cuDevicePrimaryCtxReset_v2), nullptr},
    {"cuDevicePrimaryCtxReset", 11000, Fn(&cuDevicePrimaryCtxReset_v2), nullptr},
    {"cuDevicePrimaryCtxGetState", 7000, Fn(&cuDevicePrimaryCtxGetState), nullptr},
    {"cuDevicePrimaryCtxSetFlags", 7000, Fn(&cuDevicePrimaryCtxSetFlags_v2), nullptr},
    {"cuDevicePrimaryCtxSetFlags", 11000, Fn(&cuDevicePrimaryCtxSetFlags_v2), nullptr},
    {"cuCtxCreate", 3020, Fn(&cuCtxCreate_v2), nullptr},
    {"cuCtxCreate", 11040, Fn(&cuCtxCreate_v3), nullptr},
    {"cuCtxCreate", 12050, Fn(&cuCtxCreate_v4), nullptr},
    {"cuCtxDestroy", 4000, Fn(&cuCtxDestroy_v2), nullptr},
    {"cuCtxPushCurrent", 4000, Fn(&cuCtxPushCurrent_v2), nullptr},
    {"cuCtxPopCurrent", 4000, Fn(&cuCtxPopCurrent_v2), nullptr},
    {"cuCtxSetCurrent", 4000, Fn(&cuCtxSetCurrent), nullptr},
    {"cuCtxGetCurrent", 4000, Fn(&cuCtxGetCurrent), nullptr},
    {"cuCtxGetDevice", 2000, Fn(&cuCtxGetDevice), nullptr},
    {"cuCtxGetFlags", 7000, Fn(&cuCtxGetFlags), nullptr},
    {"cuCtxGetApiVersion", 3020, Fn(&cuCtxGetApiVersion), nullptr},
    {"cuCtxSynchronize", 2000, Fn(&cuCtxSynchronize), nullptr},
    {"cuCtxGetLimit", 3010, Fn(&cuCtxGetLimit), nullptr},
    {"cuCtxSetLimit", 3010, Fn(&cuCtxSetLimit), nullptr},
    {"cuMemGetInfo", 3020, Fn(&cuMemGetInfo_v2), nullptr},
    {"cuMemAlloc", 3020, Fn(&cuMemAlloc_v2), nullptr},
    {"cuMemAllocPitch", 3020, Fn(&cuMemAllocPitch_v2), nullptr},
    {"cuMemAllocManaged", 6000, Fn(&cuMemAllocManaged), nullptr},
    {"cuMemAdvise", 8000, Fn(&cuMemAdvise), nullptr},
    {"cuMemFree", 3020, Fn(&cuMemFree_v2), nullptr},
    {"cuMemGetAddressRange", 3020, Fn(&cuMemGetAddressRange_v2), nullptr},
    {"cuPointerGetAttribute", 4000, Fn(&cuPointerGetAttribute), nullptr},
    {"cuPointerGetAttributes", 7000, Fn(&cuPointerGetAttributes), nullptr},
    {"cuMemAllocHost", 3020, Fn(&cuMemAllocHost_v2), nullptr},
    {"cuMemHostAlloc", 2020, Fn(&cuMemHostAlloc), nullptr},
    {"cuMemFreeHost", 2000, Fn(&cuMemFreeHost), nullptr},
    {"cuMemHostRegister", 4000, Fn(&cuMemHostRegister_v2), nullptr},
    {"cuMemHostRegister", 6050, Fn(&cuMemHostRegister_v2), nullptr},
    {"cuMemHostUnregister", 4000, Fn(&cuMemHostUnregister), nullptr},
    {"cuMemHostGetDevicePointer", 3020, Fn(&cuMemHostGetDevicePointer_v2), nullptr},
    {"cuMemcpy", 4000, Fn(&cuMemcpy), Fn(&cuMemcpy_ptds)},
    {"cuMemcpyAsync", 4000, Fn(&cuMemcpyAsync), Fn(&cuMemcpyAsync_ptsz)},
    {"cuMemcpyHtoD", 3020, Fn(&cuMemcpyHtoD_v2), Fn(&cuMemcpyHtoD_v2_ptds)},
    {"cuMemcpyDtoH", 3020, Fn(&cuMemcpyDtoH_v2), Fn(&cuMemcpyDtoH_v2_ptds)},
    {"cuMemcpyDtoD", 3020, Fn(&cuMemcpyDtoD_v2), Fn(&cuMemcpyDtoD_v2_ptds)},
    {"cuMemcpyHtoDAsync", 3020, Fn(&cuMemcpyHtoDAsync_v2), Fn(&cuMemcpyHtoDAsync_v2_ptsz)},
    {"cuMemcpyDtoHAsync", 3020, Fn(&cuMemcpyDtoHAsync_v2), Fn(&cuMemcpyDtoHAsync_v2_ptsz)},
    {"cuMemcpyDtoDAsync", 3020, Fn(&cuMemcpyDtoDAsync_v2), Fn(&cuMemcpyDtoDAsync_v2_ptsz)},
    {"cuMemsetD8", 3020, Fn(&cuMemsetD8_v2), Fn(&cuMemsetD8_v2_ptds)},
    {"cuMemsetD32", 3020, Fn(&cuMemsetD32_v2), Fn(&cuMemsetD32_v2_ptds)},
    {"cuMemsetD8Async", 3020, Fn(&cuMemsetD8Async), Fn(&cuMemsetD8Async_ptsz)},
    {"cuMemsetD32Async", 3020, Fn(&cuMemsetD32Async), Fn(&cuMemsetD32Async_ptsz)},
    {"cuArrayCreate", 3020, Fn(&cuArrayCreate_v2), nullptr},
    {"cuArray3DCreate", 3020, Fn(&cuArray3DCreate_v2), nullptr},
    {"cuArrayDestroy", 2000, Fn(&cuArrayDestroy), nullptr},
    {"cuArrayGetDescriptor", 3020, Fn(&cuArrayGetDescriptor_v2), nullptr},
    {"cuArray3DGetDescriptor", 3020, Fn(&cuArray3DGetDescriptor_v2), nullptr},
    {"cuMemGetAllocationGranularity", 10020, Fn(&cuMemGetAllocationGranularity), nullptr},
    {"cuIpcGetMemHandle", 4010, Fn(&cuIpcGetMemHandle), nullptr},
    {"cuIpcOpenMemHandle", 11000, Fn(&cuIpcOpenMemHandle_v2), nullptr},
    {"cuIpcCloseMemHandle", 4010, Fn(&cuIpcCloseMemHandle), nullptr},
    {"cuMemCreate", 10020, Fn(&cuMemCreate), nullptr},
    {"cuMemRelease", 10020, Fn(&cuMemRelease), nullptr},
    {"cuMemRetainAllocationHandle", 11000, Fn(&cuMemRetainAllocationHandle), nullptr},
    {"cuMipmappedArrayCreate", 5000, Fn(&cuMipmappedArrayCreate), nullptr},
    {"cuMipmappedArrayGetLevel", 5000, Fn(&cuMipmappedArrayGetLevel), nullptr},
    {"cuMipmappedArrayDestroy", 5000, Fn(&cuMipmappedArrayDestroy), nullptr},
    {"cuMemAddressReserve", 10020, Fn(&cuMemAddressReserve), nullptr},
    {"cuMemAddressFree", 10020, Fn(&cuMemAddressFree), nullptr},
    {"cuMemMap", 10020, Fn(&cuMemMap), nullptr},
    {"cuMemUnmap", 10020, Fn(&cuMemUnmap), nullptr},
    {"cuMemSetAccess", 10020, Fn(&cuMemSetAccess), nullptr},
    {"cuMemGetAllocationPropertiesFromHandle", 10020, Fn(&cuMemGetAllocationPropertiesFromHandle),
     nullptr},
    {"cuMemExportToShareableHandle", 10020, Fn(&cuMemExportToShareableHandle), nullptr},
    {"cuMemImportFromShareableHandle", 10020, Fn(&cuMemImportFromShareableHandle), nullptr},
    {"cuMemAllocAsync", 11020, Fn(&cuMemAllocAsync), Fn(&cuMemAllocAsync_ptsz)},
    {"cuMemFreeAsync", 11020, Fn(&cuMemFreeAsync), Fn(&cuMemFreeAsync_ptsz)},
    {"cuMemPoolCreate", 11020, Fn(&cuMemPoolCreate), nullptr},
    {"cuMemPoolDestroy", 11020, Fn(&cuMemPoolDestroy), nullptr},
    {"cuMemAllocFromPoolAsync", 11020, Fn(&cuMemAllocFromPoolAsync),
     Fn(&cuMemAllocFromPoolAsync_ptsz)},
    {"cuMemPoolTrimTo", 11020, Fn(&cuMemPoolTrimTo), nullptr},
    {"cuMemPoolGetAttribute", 11020, Fn(&cuMemPoolGetAttribute), nullptr},
    {"cuMemPoolSetAttribute", 11020, Fn(&cuMemPoolSetAttribute), nullptr},
    {"cuMemPoolExportToShareableHandle", 11020, Fn(&cuMemPoolExportToShareableHandle), nullptr},
    {"cuMemPoolImportFromShareableHandle", 11020, Fn(&cuMemPoolImportFromShareableHandle), nullptr},
    {"cuMemPoolExportPointer", 11020, Fn(&cuMemPoolExportPointer), nullptr},
    {"cuMemPoolImportPointer", 11020, Fn(&cuMemPoolImportPointer), nullptr},
    {"cuStreamCreate", 2000, Fn(&cuStreamCreate), nullptr},
    {"cuStreamCreateWithPriority", 5050, Fn(&cuStreamCreateWithPriority), nullptr},
    {"cuStreamDestroy", 4000, Fn(&cuStreamDestroy_v2), nullptr},
    {"cuStreamSynchronize", 2000, Fn(&cuStreamSynchronize), Fn(&cuStreamSynchronize_ptsz)},
    {"cuStreamQuery", 2000, Fn(&cuStreamQuery), Fn(&cuStreamQuery_ptsz)},
    {"cuStreamWaitEvent", 3020, Fn(&cuStreamWaitEvent), Fn(&cuStreamWaitEvent_ptsz)},
    {"cuEventCreate", 2000, Fn(&cuEventCreate), nullptr},
    {"cuEventDestroy", 4000, Fn(&cuEventDestroy_v2), nullptr},
    {"cuEventRecord", 2000, Fn(&cuEventRecord), Fn(&cuEventRecord_ptsz)},
    {"cuEventSynchronize", 2000, Fn(&cuEventSynchronize), nullptr},
    {"cuEventQuery", 2000, Fn(&cuEventQuery), nullptr},
    {"cuEventElapsedTime", 2000, Fn(&cuEventElapsedTime), nullptr},
    {"cuModuleLoad", 2000, Fn(&cuModuleLoad), nullptr},
    {"cuModuleLoadData", 2000, Fn(&cuModuleLoadData), nullptr},
    {"cuModuleLoadDataEx", 2010, Fn(&cuModuleLoadDataEx), nullptr},
    {"cuModuleLoadFatBinary", 2000, Fn(&cuModuleLoadFatBinary), nullptr},
    {"cuModuleUnload", 2000, Fn(&cuModuleUnload), nullptr},
    {"cuModuleGetFunction", 2000, Fn(&cuModuleGetFunction), nullptr},
    {"cuLaunchKernel", 4000, Fn(&cuLaunchKernel), Fn(&cuLaunchKernel_ptsz)},
    {"cuLaunchKernelEx", 11060, Fn(&cuLaunchKernelEx), Fn(&cuLaunchKernelEx_ptsz)},
    {"cuLaunchCooperativeKernel", 9000, Fn(&cuLaunchCooperativeKernel),
     Fn(&cuLaunchCooperativeKernel_ptsz)},
    {"cuGraphCreate", 10000, Fn(&cuGraphCreate), nullptr},
    {"cuGraphDestroy", 10000, Fn(&cuGraphDestroy), nullptr},
    {"cuGraphAddKernelNode", 10000, Fn(&cuGraphAddKernelNode), nullptr},
    {"cuGraphAddKernelNode", 12000, Fn(&cuGraphAddKernelNode_v2), nullptr},
    {"cuGraphInstantiate", 12000, Fn(&cuGraphInstantiateWithFlags), nullptr},
    {"cuGraphInstantiateWithFlags", 11040, Fn(&cuGraphInstantiateWithFlags), nullptr},
    {"cuGraphAddMemAllocNode", 11040, Fn(&cuGraphAddMemAllocNode), nullptr},
    {"cuGraphAddMemFreeNode", 11040, Fn(&cuGraphAddMemFreeNode), nullptr},
    {"cuGraphMemAllocNodeGetParams", 11040, Fn(&cuGraphMemAllocNodeGetParams), nullptr},
    {"cuGraphGetNodes", 10000, Fn(&cuGraphGetNodes), nullptr},
    {"cuGraphNodeGetType", 10000, Fn(&cuGraphNodeGetType), nullptr},
    {"cuGraphInstantiateWithParams", 12000, Fn(&cuGraphInstantiateWithParams), nullptr},
    {"cuDeviceGetGraphMemAttribute", 11040, Fn(&cuDeviceGetGraphMemAttribute), nullptr},
    {"cuDeviceGraphMemTrim", 11040, Fn(&cuDeviceGraphMemTrim), nullptr},
    {"cuGraphExecDestroy", 10000, Fn(&cuGraphExecDestroy), nullptr},
    {"cuGraphLaunch", 10000, Fn(&cuGraphLaunch), Fn(&cuGraphLaunch_ptsz)},
};

CUresult Lookup(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags,
                CUdriverProcAddressQueryResult* status) {
  if (symbol == nullptr || pfn == nullptr ||
      (flags & ~static_cast<cuuint64_t>(CU_GET_PROC_ADDRESS_LEGACY_STREAM |
                                        CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM)) != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  hami::sim::ProcLookup found = hami::sim::ResolveProc(kTable, symbol, cuda_version, flags);
  *pfn = found.fn;
  if (status != nullptr) *status = found.status;
  return found.fn != nullptr ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
}

}  // namespace

extern "C" {

CUresult cuGetProcAddress(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags) {
  return Lookup(symbol, pfn, cuda_version, flags, nullptr);
}

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult* symbol_status) {
  return Lookup(symbol, pfn, cuda_version, flags, symbol_status);
}

}  // extern "C"
