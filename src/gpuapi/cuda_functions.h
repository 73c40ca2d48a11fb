// CUDA driver API entry points: prototypes with the exact exported (versioned) C symbol names.
//
// The unsuffixed names that cuda.h #defines to a versioned symbol (cuMemAlloc -> cuMemAlloc_v2,
// cuGetProcAddress -> cuGetProcAddress_v2 for CUDA >= 12, ...) are NOT macros here: callers and
// implementers name the real ABI symbol. Both the simulated driver (sim/) and libvgpu (src/shim/)
// define these functions; callers that dlopen a driver use decltype(&cuX) for the pointer type.
// Prototypes carry default visibility so a definition in a -fvisibility=hidden library is
// exportable; which ones are exported is decided by each library's version script.
#pragma once

// The C ABI as the vendor headers declare it: their names, and typedefs (this header is C too).
// NOLINTBEGIN(readability-identifier-naming, modernize-use-using)

#include "gpuapi/cuda_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HAMI_CUAPI __attribute__((visibility("default")))

// Initialization, version, errors.
HAMI_CUAPI CUresult cuInit(unsigned int flags);
HAMI_CUAPI CUresult cuDriverGetVersion(int* driver_version);
HAMI_CUAPI CUresult cuGetErrorString(CUresult error, const char** str);
HAMI_CUAPI CUresult cuGetErrorName(CUresult error, const char** str);
HAMI_CUAPI CUresult cuGetProcAddress(const char* symbol, void** pfn, int cuda_version,
                                     cuuint64_t flags);
HAMI_CUAPI CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cuda_version,
                                        cuuint64_t flags,
                                        CUdriverProcAddressQueryResult* symbol_status);
HAMI_CUAPI CUresult cuGetExportTable(const void** export_table, const CUuuid* export_table_id);

// Devices.
HAMI_CUAPI CUresult cuDeviceGet(CUdevice* device, int ordinal);
HAMI_CUAPI CUresult cuDeviceGetCount(int* count);
HAMI_CUAPI CUresult cuDeviceGetName(char* name, int len, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceGetUuid(CUuuid* uuid, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceGetUuid_v2(CUuuid* uuid, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceGetPCIBusId(char* pci_bus_id, int len, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceGetByPCIBusId(CUdevice* dev, const char* pci_bus_id);
HAMI_CUAPI CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceCanAccessPeer(int* can_access_peer, CUdevice dev, CUdevice peer_dev);
HAMI_CUAPI CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceGetMemPool(CUmemoryPool* pool, CUdevice dev);
HAMI_CUAPI CUresult cuDeviceSetMemPool(CUdevice dev, CUmemoryPool pool);

// Primary and explicit contexts.
HAMI_CUAPI CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev);
HAMI_CUAPI CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
HAMI_CUAPI CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev);
HAMI_CUAPI CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int* flags, int* active);
HAMI_CUAPI CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags);
HAMI_CUAPI CUresult cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev);
HAMI_CUAPI CUresult cuCtxCreate_v3(CUcontext* pctx, CUexecAffinityParam* params, int num_params,
                                   unsigned int flags, CUdevice dev);
HAMI_CUAPI CUresult cuCtxCreate_v4(CUcontext* pctx, CUctxCreateParams* params, unsigned int flags,
                                   CUdevice dev);
HAMI_CUAPI CUresult cuCtxDestroy_v2(CUcontext ctx);
HAMI_CUAPI CUresult cuCtxPushCurrent_v2(CUcontext ctx);
HAMI_CUAPI CUresult cuCtxPopCurrent_v2(CUcontext* pctx);
HAMI_CUAPI CUresult cuCtxSetCurrent(CUcontext ctx);
HAMI_CUAPI CUresult cuCtxGetCurrent(CUcontext* pctx);
HAMI_CUAPI CUresult cuCtxGetDevice(CUdevice* device);
HAMI_CUAPI CUresult cuCtxGetFlags(unsigned int* flags);
HAMI_CUAPI CUresult cuCtxGetApiVersion(CUcontext ctx, unsigned int* version);
HAMI_CUAPI CUresult cuCtxSynchronize(void);
HAMI_CUAPI CUresult cuCtxGetLimit(size_t* value, CUlimit limit);
HAMI_CUAPI CUresult cuCtxSetLimit(CUlimit limit, size_t value);

// Device memory.
HAMI_CUAPI CUresult cuMemGetInfo_v2(size_t* free, size_t* total);
HAMI_CUAPI CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize);
HAMI_CUAPI CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pitch, size_t width_in_bytes,
                                       size_t height, unsigned int element_size_bytes);
HAMI_CUAPI CUresult cuMemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int flags);
HAMI_CUAPI CUresult cuMemAdvise(CUdeviceptr dptr, size_t count, CUmem_advise advice,
                                CUdevice device);
HAMI_CUAPI CUresult cuMemFree_v2(CUdeviceptr dptr);
HAMI_CUAPI CUresult cuMemGetAddressRange_v2(CUdeviceptr* pbase, size_t* psize, CUdeviceptr dptr);
HAMI_CUAPI CUresult cuPointerGetAttribute(void* data, CUpointer_attribute attribute,
                                          CUdeviceptr ptr);
HAMI_CUAPI CUresult cuPointerGetAttributes(unsigned int num_attributes,
                                           CUpointer_attribute* attributes, void** data,
                                           CUdeviceptr ptr);

// Host memory.
HAMI_CUAPI CUresult cuMemAllocHost_v2(void** pp, size_t bytesize);
HAMI_CUAPI CUresult cuMemHostAlloc(void** pp, size_t bytesize, unsigned int flags);
HAMI_CUAPI CUresult cuMemFreeHost(void* p);
HAMI_CUAPI CUresult cuMemHostRegister_v2(void* p, size_t bytesize, unsigned int flags);
HAMI_CUAPI CUresult cuMemHostUnregister(void* p);
HAMI_CUAPI CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr* pdptr, void* p, unsigned int flags);

// Copies and memsets (synchronous and stream-ordered).
HAMI_CUAPI CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t byte_count,
                                  CUstream stream);
HAMI_CUAPI CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t byte_count,
                                         CUstream stream);
HAMI_CUAPI CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t byte_count,
                                         CUstream stream);
HAMI_CUAPI CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t byte_count,
                                         CUstream stream);
HAMI_CUAPI CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t n);
HAMI_CUAPI CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned int value, size_t n);
HAMI_CUAPI CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n,
                                    CUstream stream);
HAMI_CUAPI CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n,
                                     CUstream stream);

// Per-thread-default-stream variants (what cuGetProcAddress returns for
// CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM; same signatures as the legacy ones).
HAMI_CUAPI CUresult cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t byte_count,
                                       CUstream stream);
HAMI_CUAPI CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr dst, const void* src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyDtoH_v2_ptds(void* dst, CUdeviceptr src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr dst, CUdeviceptr src, size_t byte_count);
HAMI_CUAPI CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dst, const void* src, size_t byte_count,
                                              CUstream stream);
HAMI_CUAPI CUresult cuMemcpyDtoHAsync_v2_ptsz(void* dst, CUdeviceptr src, size_t byte_count,
                                              CUstream stream);
HAMI_CUAPI CUresult cuMemcpyDtoDAsync_v2_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t byte_count,
                                              CUstream stream);
HAMI_CUAPI CUresult cuMemsetD8_v2_ptds(CUdeviceptr dst, unsigned char value, size_t n);
HAMI_CUAPI CUresult cuMemsetD32_v2_ptds(CUdeviceptr dst, unsigned int value, size_t n);
HAMI_CUAPI CUresult cuMemsetD8Async_ptsz(CUdeviceptr dst, unsigned char value, size_t n,
                                         CUstream stream);
HAMI_CUAPI CUresult cuMemsetD32Async_ptsz(CUdeviceptr dst, unsigned int value, size_t n,
                                          CUstream stream);

// Arrays.
HAMI_CUAPI CUresult cuArrayCreate_v2(CUarray* handle, const CUDA_ARRAY_DESCRIPTOR* desc);
HAMI_CUAPI CUresult cuArray3DCreate_v2(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR* desc);
HAMI_CUAPI CUresult cuArrayDestroy(CUarray handle);
HAMI_CUAPI CUresult cuArrayGetDescriptor_v2(CUDA_ARRAY_DESCRIPTOR* desc, CUarray handle);
HAMI_CUAPI CUresult cuArray3DGetDescriptor_v2(CUDA_ARRAY3D_DESCRIPTOR* desc, CUarray handle);

// Virtual memory management.
HAMI_CUAPI CUresult cuMemGetAllocationGranularity(size_t* granularity,
                                                  const CUmemAllocationProp* prop,
                                                  CUmemAllocationGranularity_flags option);
HAMI_CUAPI CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, size_t size,
                                const CUmemAllocationProp* prop, unsigned long long flags);
HAMI_CUAPI CUresult cuMemRelease(CUmemGenericAllocationHandle handle);
HAMI_CUAPI CUresult cuMemAddressReserve(CUdeviceptr* ptr, size_t size, size_t alignment,
                                        CUdeviceptr addr, unsigned long long flags);
HAMI_CUAPI CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size);
HAMI_CUAPI CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
                             CUmemGenericAllocationHandle handle, unsigned long long flags);
HAMI_CUAPI CUresult cuMemUnmap(CUdeviceptr ptr, size_t size);
HAMI_CUAPI CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc* desc,
                                   size_t count);
HAMI_CUAPI CUresult cuMemGetAllocationPropertiesFromHandle(CUmemAllocationProp* prop,
                                                           CUmemGenericAllocationHandle handle);

// Stream-ordered allocator and pools.
HAMI_CUAPI CUresult cuMemAllocAsync(CUdeviceptr* dptr, size_t bytesize, CUstream stream);
HAMI_CUAPI CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream stream);
HAMI_CUAPI CUresult cuMemPoolCreate(CUmemoryPool* pool, const CUmemPoolProps* props);
HAMI_CUAPI CUresult cuMemPoolDestroy(CUmemoryPool pool);
HAMI_CUAPI CUresult cuMemAllocFromPoolAsync(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool,
                                            CUstream stream);
HAMI_CUAPI CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t min_bytes_to_keep);
HAMI_CUAPI CUresult cuMemPoolGetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void* value);
HAMI_CUAPI CUresult cuMemPoolSetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void* value);

// Streams and events.
HAMI_CUAPI CUresult cuStreamCreate(CUstream* stream, unsigned int flags);
HAMI_CUAPI CUresult cuStreamCreateWithPriority(CUstream* stream, unsigned int flags, int priority);
HAMI_CUAPI CUresult cuStreamDestroy_v2(CUstream stream);
HAMI_CUAPI CUresult cuStreamSynchronize(CUstream stream);
HAMI_CUAPI CUresult cuStreamQuery(CUstream stream);
HAMI_CUAPI CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned int flags);
HAMI_CUAPI CUresult cuEventCreate(CUevent* event, unsigned int flags);
HAMI_CUAPI CUresult cuEventDestroy_v2(CUevent event);
HAMI_CUAPI CUresult cuEventRecord(CUevent event, CUstream stream);
HAMI_CUAPI CUresult cuEventSynchronize(CUevent event);
HAMI_CUAPI CUresult cuEventQuery(CUevent event);
HAMI_CUAPI CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end);

HAMI_CUAPI CUresult cuStreamSynchronize_ptsz(CUstream stream);
HAMI_CUAPI CUresult cuStreamQuery_ptsz(CUstream stream);
HAMI_CUAPI CUresult cuStreamWaitEvent_ptsz(CUstream stream, CUevent event, unsigned int flags);
HAMI_CUAPI CUresult cuEventRecord_ptsz(CUevent event, CUstream stream);

// Modules and launches.
HAMI_CUAPI CUresult cuModuleLoad(CUmodule* module, const char* fname);
HAMI_CUAPI CUresult cuModuleLoadData(CUmodule* module, const void* image);
HAMI_CUAPI CUresult cuModuleLoadDataEx(CUmodule* module, const void* image,
                                       unsigned int num_options, CUjit_option* options,
                                       void** option_values);
HAMI_CUAPI CUresult cuModuleLoadFatBinary(CUmodule* module, const void* fat_cubin);
HAMI_CUAPI CUresult cuModuleUnload(CUmodule module);
HAMI_CUAPI CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule module, const char* name);
HAMI_CUAPI CUresult cuLaunchKernel(CUfunction f, unsigned int grid_dim_x, unsigned int grid_dim_y,
                                   unsigned int grid_dim_z, unsigned int block_dim_x,
                                   unsigned int block_dim_y, unsigned int block_dim_z,
                                   unsigned int shared_mem_bytes, CUstream stream,
                                   void** kernel_params, void** extra);
HAMI_CUAPI CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned int grid_dim_x,
                                        unsigned int grid_dim_y, unsigned int grid_dim_z,
                                        unsigned int block_dim_x, unsigned int block_dim_y,
                                        unsigned int block_dim_z, unsigned int shared_mem_bytes,
                                        CUstream stream, void** kernel_params, void** extra);
HAMI_CUAPI CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f,
                                     void** kernel_params, void** extra);
HAMI_CUAPI CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* config, CUfunction f,
                                          void** kernel_params, void** extra);
HAMI_CUAPI CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int grid_dim_x,
                                              unsigned int grid_dim_y, unsigned int grid_dim_z,
                                              unsigned int block_dim_x, unsigned int block_dim_y,
                                              unsigned int block_dim_z,
                                              unsigned int shared_mem_bytes, CUstream stream,
                                              void** kernel_params);
HAMI_CUAPI CUresult cuLaunchCooperativeKernel_ptsz(
    CUfunction f, unsigned int grid_dim_x, unsigned int grid_dim_y, unsigned int grid_dim_z,
    unsigned int block_dim_x, unsigned int block_dim_y, unsigned int block_dim_z,
    unsigned int shared_mem_bytes, CUstream stream, void** kernel_params);

// Graphs.
HAMI_CUAPI CUresult cuGraphCreate(CUgraph* graph, unsigned int flags);
HAMI_CUAPI CUresult cuGraphDestroy(CUgraph graph);
HAMI_CUAPI CUresult cuGraphAddKernelNode(CUgraphNode* node, CUgraph graph,
                                         const CUgraphNode* dependencies, size_t num_dependencies,
                                         const CUDA_KERNEL_NODE_PARAMS* params);
HAMI_CUAPI CUresult cuGraphAddKernelNode_v2(CUgraphNode* node, CUgraph graph,
                                            const CUgraphNode* dependencies,
                                            size_t num_dependencies,
                                            const CUDA_KERNEL_NODE_PARAMS_v2* params);
HAMI_CUAPI CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph graph,
                                                unsigned long long flags);
HAMI_CUAPI CUresult cuGraphExecDestroy(CUgraphExec exec);
HAMI_CUAPI CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream);
HAMI_CUAPI CUresult cuGraphLaunch_ptsz(CUgraphExec exec, CUstream stream);

// Per-thread-default-stream variants of the stream-ordered allocator (added by libvgpu's author).
HAMI_CUAPI CUresult cuMemAllocAsync_ptsz(CUdeviceptr* dptr, size_t bytesize, CUstream stream);
HAMI_CUAPI CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream stream);
HAMI_CUAPI CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* dptr, size_t bytesize,
                                                 CUmemoryPool pool, CUstream stream);

// Appended for libvgpu's accounting of every device-memory path: handle references, mipmapped
// arrays, stream devices, memory shared between processes, graph memory nodes.
HAMI_CUAPI CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle* handle, void* addr);
HAMI_CUAPI CUresult cuMemExportToShareableHandle(void* shareable_handle,
                                                 CUmemGenericAllocationHandle handle,
                                                 CUmemAllocationHandleType handle_type,
                                                 unsigned long long flags);
HAMI_CUAPI CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle* handle,
                                                   void* os_handle,
                                                   CUmemAllocationHandleType sh_handle_type);
HAMI_CUAPI CUresult cuMipmappedArrayCreate(CUmipmappedArray* handle,
                                           const CUDA_ARRAY3D_DESCRIPTOR* desc,
                                           unsigned int num_mipmap_levels);
HAMI_CUAPI CUresult cuMipmappedArrayDestroy(CUmipmappedArray handle);
HAMI_CUAPI CUresult cuMipmappedArrayGetLevel(CUarray* level_array, CUmipmappedArray handle,
                                             unsigned int level);
HAMI_CUAPI CUresult cuStreamGetCtx(CUstream stream, CUcontext* pctx);
HAMI_CUAPI CUresult cuStreamGetCtx_ptsz(CUstream stream, CUcontext* pctx);
HAMI_CUAPI CUresult cuIpcGetMemHandle(CUipcMemHandle* handle, CUdeviceptr dptr);
HAMI_CUAPI CUresult cuIpcOpenMemHandle_v2(CUdeviceptr* pdptr, CUipcMemHandle handle,
                                          unsigned int flags);
HAMI_CUAPI CUresult cuIpcCloseMemHandle(CUdeviceptr dptr);
// The pre-CUDA-11 ABI of cuIpcOpenMemHandle (same parameters as _v2).
HAMI_CUAPI CUresult cuIpcOpenMemHandle(CUdeviceptr* pdptr, CUipcMemHandle handle,
                                       unsigned int flags);
HAMI_CUAPI CUresult cuGraphAddMemAllocNode(CUgraphNode* node, CUgraph graph,
                                           const CUgraphNode* dependencies, size_t num_dependencies,
                                           CUDA_MEM_ALLOC_NODE_PARAMS* params);
HAMI_CUAPI CUresult cuGraphAddMemFreeNode(CUgraphNode* node, CUgraph graph,
                                          const CUgraphNode* dependencies, size_t num_dependencies,
                                          CUdeviceptr dptr);
HAMI_CUAPI CUresult cuGraphMemAllocNodeGetParams(CUgraphNode node,
                                                 CUDA_MEM_ALLOC_NODE_PARAMS* params_out);
HAMI_CUAPI CUresult cuGraphGetNodes(CUgraph graph, CUgraphNode* nodes, size_t* num_nodes);
HAMI_CUAPI CUresult cuGraphNodeGetType(CUgraphNode node, CUgraphNodeType* type);
HAMI_CUAPI CUresult cuGraphInstantiateWithParams(CUgraphExec* exec, CUgraph graph,
                                                 CUDA_GRAPH_INSTANTIATE_PARAMS* params);
HAMI_CUAPI CUresult cuGraphInstantiateWithParams_ptsz(CUgraphExec* exec, CUgraph graph,
                                                      CUDA_GRAPH_INSTANTIATE_PARAMS* params);
HAMI_CUAPI CUresult cuDeviceGetGraphMemAttribute(CUdevice device, CUgraphMem_attribute attr,
                                                 void* value);
HAMI_CUAPI CUresult cuDeviceGraphMemTrim(CUdevice device);
// CUDA 11 ABI of cuGraphInstantiate (CUDA 12 headers map cuGraphInstantiate to ...WithFlags).
HAMI_CUAPI CUresult cuGraphInstantiate_v2(CUgraphExec* exec, CUgraph graph, CUgraphNode* error_node,
                                          char* log_buffer, size_t buffer_size);
HAMI_CUAPI CUresult cuGraphChildGraphNodeGetGraph(CUgraphNode node, CUgraph* graph);
HAMI_CUAPI CUresult cuMemPoolImportPointer(CUdeviceptr* ptr_out, CUmemoryPool pool,
                                           CUmemPoolPtrExportData* share_data);
// Pool sharing between processes (CUDA 11.2): the pool's OS handle (for
// CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR an int written to / passed by value in the void*),
// and one allocation's export data.
HAMI_CUAPI CUresult cuMemPoolExportToShareableHandle(void* handle_out, CUmemoryPool pool,
                                                     CUmemAllocationHandleType handle_type,
                                                     unsigned long long flags);
HAMI_CUAPI CUresult cuMemPoolImportFromShareableHandle(CUmemoryPool* pool_out, void* handle,
                                                       CUmemAllocationHandleType handle_type,
                                                       unsigned long long flags);
HAMI_CUAPI CUresult cuMemPoolExportPointer(CUmemPoolPtrExportData* share_data_out, CUdeviceptr ptr);

#ifdef __cplusplus
}  // extern "C"
#endif
// NOLINTEND(readability-identifier-naming, modernize-use-using)
