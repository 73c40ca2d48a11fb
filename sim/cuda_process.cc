#include "sim/cuda_process.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "base/strings.h"
#include "sim/share_record.h"

namespace hami::sim {
namespace {

std::atomic<Process*> g_process{nullptr};

struct ThreadState {
  uint64_t generation = ~0ull;
  std::vector<std::pair<Context*, uint64_t>> stack;      // (context, its id)
  std::unordered_map<uint64_t, int64_t> per_thread_end;  // context id -> per-thread stream end
};
thread_local ThreadState tls;

ThreadState& Tls(uint64_t generation) {
  if (tls.generation != generation) {
    tls.generation = generation;
    tls.stack.clear();
    tls.per_thread_end.clear();
  }
  return tls;
}

void Complain(const std::string& message) {
  std::fprintf(stderr, "hami-sim: %s\n", message.c_str());
}

__attribute__((destructor)) void ReleaseSlotAtExit() {
  if (Process* p = g_process.load()) p->ReleaseSlot();
}

}  // namespace

Process::Process() = default;

Process& Process::Get() {
  if (Process* p = g_process.load(std::memory_order_acquire)) return *p;
  static std::once_flag once;
  std::call_once(once, [] {
    g_process.store(new Process(), std::memory_order_release);
    pthread_atfork(nullptr, nullptr, &Process::ResetAfterFork);
  });
  return *g_process.load(std::memory_order_acquire);
}

void Process::ResetAfterFork() {
  Process* old = g_process.load();
  auto* fresh = new Process();  // the parent's object (and its possibly held mutex) is abandoned
  fresh->generation_ = old != nullptr ? old->generation_ + 1 : 1;
  g_process.store(fresh);
}

void Process::ReleaseSlot() {
  if (shared_ != nullptr && slot_ >= 0 && pid_ == getpid()) {
    shared_->ReleaseSlot(slot_);
    slot_ = -1;
  }
}

CUresult Process::Init() {
  if (init_attempted_) return init_result_;
  init_attempted_ = true;
  auto gpus = ParseGpuList(ProcessEnv("HAMI_SIM_GPUS").value_or(""), ReadWholeFile);
  if (!gpus.ok()) {
    Complain(gpus.error().message());
    return init_result_ = CUDA_ERROR_SYSTEM_NOT_READY;
  }
  auto options = ParseOptions(ProcessEnv);
  if (!options.ok()) {
    Complain(options.error().message());
    return init_result_ = CUDA_ERROR_SYSTEM_NOT_READY;
  }
  gpus_ = std::move(gpus).value();
  options_ = std::move(options).value();
  auto mig = ParseMigGpus(options_.mig, gpus_);
  if (!mig.ok()) {
    Complain(mig.error().message());
    return init_result_ = CUDA_ERROR_SYSTEM_NOT_READY;
  }
  auto visible = ProcessEnv("CUDA_VISIBLE_DEVICES");
  if (gpus_.empty() || (visible && base::Trim(*visible).empty())) {
    return init_result_ = CUDA_ERROR_NO_DEVICE;
  }
  std::string path = options_.state_path;
  if (path.empty()) path = DefaultStatePath(ConfigDigest(gpus_), access("/dev/shm", W_OK) == 0);
  auto shared = SharedState::Open(path, gpus_, *mig);
  if (!shared.ok()) {
    Complain(shared.error().message());
    return init_result_ = CUDA_ERROR_OPERATING_SYSTEM;
  }
  shared_ = std::move(shared).value();
  return init_result_ = AttachDevices(path);
}

CUresult Process::AttachDevices(const std::string& path) {
  auto visible = ProcessEnv("CUDA_VISIBLE_DEVICES");
  visible_ = ParseVisibleDevicesWithMig(
      visible ? std::optional<std::string_view>(*visible) : std::nullopt, gpus_,
      [&](int i) { return shared_->MigMode(i).current == NVML_DEVICE_MIG_ENABLE; },
      [&](std::string_view uuid) { return FindMigDevice(*shared_, gpus_, uuid); });
  if (visible_.empty()) return CUDA_ERROR_NO_DEVICE;
  pid_ = getpid();
  slot_ = shared_->ClaimSlot(pid_);
  if (slot_ < 0) {
    Complain("HAMI_SIM_STATE '" + path + "': all process slots are in use");
    return CUDA_ERROR_OPERATING_SYSTEM;
  }
  for (size_t i = 0; i < visible_.size(); ++i) {
    const VisibleDevice& v = visible_[i];
    std::optional<GpuSpec> spec = gpus_[v.phys];
    if (v.gi >= 0) {
      spec = MigDeviceSpec(*shared_, gpus_[v.phys], v);
      if (!spec || !shared_->BindMig(slot_, v.phys, v.gi, v.ci, v.stamp)) {  // gone meanwhile
        visible_.resize(i);
        break;
      }
    }
    specs_.push_back(*spec);
    device_va_.emplace_back(kDeviceVaBase + i * kDeviceVaSpan, kDeviceVaSpan);
  }
  if (visible_.empty()) {
    shared_->ReleaseSlot(slot_);
    slot_ = -1;
    return CUDA_ERROR_NO_DEVICE;
  }
  initialized_ = true;
  return CUDA_SUCCESS;
}

bool Process::Charge(int ordinal, uint64_t bytes) {
  if (bytes == 0) return true;
  if (slot_ < 0) return false;  // no slot: exiting
  return IsMig(ordinal) ? shared_->ReserveMig(slot_, Phys(ordinal), bytes)
                        : shared_->Reserve(slot_, Phys(ordinal), bytes);
}

void Process::Uncharge(int ordinal, uint64_t bytes) {
  if (bytes != 0 && slot_ >= 0) shared_->Unreserve(slot_, Phys(ordinal), bytes);
}

uint64_t Process::TotalBytes(int ordinal) {
  return IsMig(ordinal) ? Spec(ordinal).memory_bytes : shared_->TotalBytes(Phys(ordinal));
}

uint64_t Process::UsedBytes(int ordinal) {
  return IsMig(ordinal)
             ? shared_->MigUsedBytes(Phys(ordinal), static_cast<unsigned>(visible_[ordinal].gi))
             : shared_->UsedBytes(Phys(ordinal));
}

void Process::ReclaimDeadPeriodically() {
  constexpr int64_t kInterval = 50 * 1000 * 1000;
  int64_t now = MonotonicNowNs();
  if (now - last_reclaim_ns_ < kInterval) return;
  last_reclaim_ns_ = now;
  shared_->ReclaimDead();
}

Context* Process::NewContext(int ordinal, bool primary, unsigned flags) {
  auto ctx = std::make_unique<Context>();
  ctx->id = next_context_id_++;
  ctx->device = ordinal;
  ctx->phys = Phys(ordinal);
  ctx->primary = primary;
  ctx->flags = flags;
  return Add(std::move(ctx));
}

Context* Process::Primary(int ordinal) {
  if (primary_[ordinal] == nullptr) primary_[ordinal] = NewContext(ordinal, true, 0);
  return primary_[ordinal];
}

bool Process::Activate(Context* ctx) {
  if (ctx->active) return true;
  if (!Charge(ctx->device, options_.context_bytes)) return false;
  if (IsMig(ctx->device)) {
    if (!shared_->AddMigContext(slot_, ctx->phys)) {  // its instance is gone
      Uncharge(ctx->device, options_.context_bytes);
      return false;
    }
  } else {
    shared_->AddContext(slot_, ctx->phys, 1);
  }
  ctx->charged = options_.context_bytes;
  ctx->active = true;
  return true;
}

void Process::Deactivate(Context* ctx) {
  if (!ctx->active) return;
  std::vector<uint64_t> bases;
  allocations.ForEach([&](const Allocation& a) {
    if (a.owner == ctx) bases.push_back(a.base);
  });
  for (uint64_t base : bases) FreeDevice(base);
  std::vector<const void*> owned;
  ForEachObject([&](Object* o) {
    Context* owner = nullptr;
    switch (o->kind) {
      case ObjKind::kStream:
        owner = static_cast<Stream*>(o)->ctx;
        break;
      case ObjKind::kEvent:
        owner = static_cast<Event*>(o)->ctx;
        break;
      case ObjKind::kModule:
        owner = static_cast<Module*>(o)->ctx;
        break;
      case ObjKind::kFunction:
        owner = static_cast<Function*>(o)->module->ctx;
        break;
      case ObjKind::kGraphExec:
        owner = static_cast<GraphExec*>(o)->ctx;
        break;
      case ObjKind::kArray:
        owner = static_cast<Array*>(o)->ctx;
        break;
      case ObjKind::kMipmappedArray:
        owner = static_cast<MipmappedArray*>(o)->ctx;
        break;
      default:
        break;
    }
    if (owner == ctx) owned.push_back(o);
  });
  for (const void* o : owned) {
    if (auto* array = Find<Array>(o, ObjKind::kArray)) Uncharge(ctx->device, array->charged);
    if (auto* mip = Find<MipmappedArray>(o, ObjKind::kMipmappedArray)) {
      Uncharge(ctx->device, mip->charged);
    }
    Remove(o);
  }
  Uncharge(ctx->device, ctx->charged + ctx->limit_charged);
  ctx->charged = 0;
  ctx->limit_charged = 0;
  static const Context kDefaults;
  std::copy(std::begin(kDefaults.limits), std::end(kDefaults.limits), ctx->limits);
  shared_->AddContext(slot_, ctx->phys, -1);
  ctx->active = false;
  ctx->retains = 0;
}

std::vector<std::pair<Context*, uint64_t>>& Process::ThreadStack() {
  return Tls(generation_).stack;
}

Context* Process::ValidContext(CUcontext handle) {
  return Find<Context>(handle, ObjKind::kContext);
}

Context* Process::Current() {
  auto& stack = ThreadStack();
  if (stack.empty()) return nullptr;
  auto [ctx, id] = stack.back();
  Context* live = ValidContext(reinterpret_cast<CUcontext>(ctx));
  return live != nullptr && live->id == id && live->active ? live : nullptr;
}

CUresult Process::ResolveStream(CUstream handle, bool per_thread, StreamRef* out) {
  if (handle == nullptr || handle == CU_STREAM_LEGACY || handle == CU_STREAM_PER_THREAD) {
    Context* ctx = Current();
    if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
    bool use_per_thread = handle == CU_STREAM_PER_THREAD || (handle == nullptr && per_thread);
    out->ctx = ctx;
    out->legacy = !use_per_thread;
    out->end_ns = use_per_thread ? &Tls(generation_).per_thread_end[ctx->id] : &ctx->legacy_end_ns;
    return CUDA_SUCCESS;
  }
  Stream* stream = Find<Stream>(handle, ObjKind::kStream);
  if (stream == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (!stream->ctx->active) return CUDA_ERROR_INVALID_CONTEXT;
  *out = StreamRef{stream->ctx, &stream->last_end_ns, false};
  return CUDA_SUCCESS;
}

int64_t Process::EnqueueBlocks(const StreamRef& stream, uint64_t blocks) {
  int64_t duration = KernelDurationNs(blocks, options_.ns_per_block);
  int64_t ready = std::max(MonotonicNowNs(), *stream.end_ns);  // after the stream's earlier work
  Span span = shared_->Enqueue(stream.ctx->phys, ready, duration, pid_);
  *stream.end_ns = std::max(*stream.end_ns, span.end_ns);
  stream.ctx->last_end_ns = std::max(stream.ctx->last_end_ns, span.end_ns);
  return span.end_ns;
}

CUresult Process::AllocateDevice(int ordinal, uint64_t size, AllocKind kind, const void* owner,
                                 CUdeviceptr* out) {
  uint64_t alignment = AllocationAlignment(size);
  uint64_t reserved = RoundUp(size, alignment);
  Pool* pool = kind == AllocKind::kAsync || kind == AllocKind::kPool
                   ? Find<Pool>(owner, ObjKind::kPool)
                   : nullptr;
  const bool from_cache = pool != nullptr && pool->cached >= reserved;
  // Managed memory lives in host memory until migrated (never, here): it takes no device memory.
  const uint64_t charge = kind == AllocKind::kManaged ? 0 : reserved;
  if (from_cache) {
    pool->cached -= reserved;
  } else if (!Charge(ordinal, charge)) {
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  auto address = DeviceVa(ordinal).Allocate(reserved, alignment);
  if (!address) {
    if (from_cache) {
      pool->cached += reserved;
    } else {
      Uncharge(ordinal, charge);
    }
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (pool != nullptr) {
    pool->used += reserved;
    pool->used_high = std::max(pool->used_high, pool->used);
    pool->reserved_high = std::max(pool->reserved_high, pool->used + pool->cached);
  }
  Allocation a;
  a.base = *address;
  a.size = size;
  a.reserved = reserved;
  a.charged = charge;
  a.device = ordinal;
  a.kind = kind;
  a.owner = owner;
  allocations.Insert(a);
  *out = a.base;
  return CUDA_SUCCESS;
}

void Process::FreeDevice(uint64_t base) {
  const Allocation* found = allocations.FindBase(base);
  if (found == nullptr) return;
  Allocation a = *found;
  allocations.Erase(base);
  DeviceVa(a.device).Free(a.base, a.reserved);
  Pool* pool = a.kind == AllocKind::kAsync || a.kind == AllocKind::kPool
                   ? Find<Pool>(a.owner, ObjKind::kPool)
                   : nullptr;
  if (pool == nullptr) {
    Uncharge(a.device, a.charged);
    return;
  }
  pool->used -= a.reserved;
  pool->cached += a.charged;  // kept by the pool up to its release threshold
  TrimPool(pool, pool->destroyed ? 0 : pool->release_threshold);
}

void Process::TrimPool(Pool* pool, uint64_t keep) {
  const uint64_t floor = std::max(keep, pool->used);
  const uint64_t reserved = pool->used + pool->cached;
  if (reserved > floor) {
    const uint64_t n = std::min(pool->cached, reserved - floor);
    Uncharge(pool->device, n);
    pool->cached -= n;
  }
  if (pool->destroyed && pool->used == 0) {
    Uncharge(pool->device, pool->cached);
    Remove(pool);
  }
}

bool Process::ValidDeviceRange(uint64_t ptr, uint64_t bytes) const {
  if (const Allocation* a = allocations.FindContaining(ptr)) {
    return bytes <= a->base + a->size - ptr;
  }
  auto it = vmm_mappings.upper_bound(ptr);
  if (it == vmm_mappings.begin()) return false;
  --it;
  uint64_t end = it->first + it->second.size;
  return ptr < end && bytes <= end - ptr;
}

Pool* Process::DefaultPool(int ordinal) {
  if (default_pool_[ordinal] == nullptr) {
    auto pool = std::make_unique<Pool>();
    pool->device = ordinal;
    pool->is_default = true;
    default_pool_[ordinal] = Add(std::move(pool));
  }
  return default_pool_[ordinal];
}

void Process::MaybeFreeVmmHandle(CUmemGenericAllocationHandle handle) {
  auto it = vmm_handles.find(handle);
  if (it == vmm_handles.end() || it->second.refs > 0 || it->second.mappings > 0 ||
      it->second.importers > 0) {
    return;
  }
  const VmmHandle gone = it->second;
  vmm_handles.erase(it);
  if (gone.export_fd >= 0) RevokeShareFd(gone.export_fd);
  if (gone.source != 0) {  // an import of this process's own export: its reference goes
    auto source = vmm_handles.find(gone.source);
    if (source != vmm_handles.end()) --source->second.importers;
    MaybeFreeVmmHandle(gone.source);
    return;
  }
  if (!gone.foreign && gone.device >= 0) Uncharge(gone.device, gone.size);
}

void WaitUntil(int64_t end_ns) {
  if (end_ns > MonotonicNowNs()) SleepUntilNs(end_ns);
}

}  // namespace hami::sim
