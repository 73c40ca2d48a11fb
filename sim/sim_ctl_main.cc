// hami-sim-ctl: operator faults for the simulated driver (docs/sim.md, "Fault injection").
//
//   hami-sim-ctl xid --gpu I --code N [--lost]   post XID N on GPU I (79, or --lost: GPU lost)
//   hami-sim-ctl clear --gpu I                   clear GPU I's lost mark (a simulated reset)
//   hami-sim-ctl status                          per GPU: lost mark and the last XIDs
//
// Reads HAMI_SIM_GPUS and HAMI_SIM_STATE as the driver does and acts on that machine's existing
// state file only: a missing file, or one describing other GPUs, is an error (exit 1), never
// created or re-initialized. Exit 2: usage.
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "sim/config.h"
#include "sim/shared_state.h"

namespace {

// WIRE (docs/sim.md): XID 79, "GPU has fallen off the bus", leaves the GPU lost as the driver does.
constexpr uint64_t kFallenOffTheBus = 79;

int Usage() {
  std::fprintf(stderr,
               "usage: hami-sim-ctl xid --gpu I --code N [--lost] | clear --gpu I | status\n"
               "  (HAMI_SIM_GPUS and HAMI_SIM_STATE as for the simulated driver)\n");
  return 2;
}

bool ParseUint(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return false;
  *out = v;
  return true;
}

int64_t RealtimeUs() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000 + t.tv_nsec / 1000;
}

void PrintStatus(const hami::sim::SharedState& state, const std::vector<hami::sim::GpuSpec>& gpus) {
  for (int d = 0; d < state.gpu_count(); ++d) {
    std::printf("gpu=%d uuid=%s lost=%s xids=", d, gpus[static_cast<size_t>(d)].uuid.c_str(),
                state.Lost(d) ? "true" : "false");
    const uint64_t last = state.LastXidSeq(d);
    const uint64_t first = last > 8 ? last - 7 : 1;
    const char* sep = "";
    for (uint64_t seq = first; seq <= last; ++seq) {
      if (auto event = state.XidAt(d, seq)) {
        std::printf("%s%llu", sep, static_cast<unsigned long long>(event->xid));
        sep = ",";
      }
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string command = argv[1];
  std::optional<uint64_t> gpu, code;
  bool lost = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    uint64_t value = 0;
    if ((arg == "--gpu" || arg == "--code") && i + 1 < argc && ParseUint(argv[i + 1], &value)) {
      (arg == "--gpu" ? gpu : code) = value;
      ++i;
    } else if (arg == "--lost") {
      lost = true;
    } else {
      return Usage();
    }
  }
  if (command != "xid" && command != "clear" && command != "status") return Usage();
  if ((command != "status" && !gpu) || (command == "xid") != code.has_value()) return Usage();

  auto gpus = hami::sim::ParseGpuList(hami::sim::ProcessEnv("HAMI_SIM_GPUS").value_or(""),
                                      hami::sim::ReadWholeFile);
  auto options = hami::sim::ParseOptions(hami::sim::ProcessEnv);
  if (!gpus.ok() || !options.ok()) {
    std::fprintf(stderr, "hami-sim-ctl: %s\n",
                 (!gpus.ok() ? gpus.error() : options.error()).message().c_str());
    return 1;
  }
  if (gpus->empty()) {
    std::fprintf(stderr, "hami-sim-ctl: HAMI_SIM_GPUS names no GPU\n");
    return 1;
  }
  std::string path = options->state_path;
  if (path.empty()) {
    path =
        hami::sim::DefaultStatePath(hami::sim::ConfigDigest(*gpus), access("/dev/shm", W_OK) == 0);
  }
  if (!hami::sim::StateFileDescribes(path, *gpus)) {
    std::fprintf(stderr,
                 "hami-sim-ctl: no state for these GPUs at '%s' (start a process on the simulated "
                 "driver first, with the same HAMI_SIM_GPUS and HAMI_SIM_STATE)\n",
                 path.c_str());
    return 1;
  }
  auto state = hami::sim::SharedState::Open(path, *gpus);
  if (!state.ok()) {
    std::fprintf(stderr, "hami-sim-ctl: %s\n", state.error().message().c_str());
    return 1;
  }
  if (gpu && *gpu >= gpus->size()) {
    std::fprintf(stderr, "hami-sim-ctl: no GPU %llu (the machine has %zu)\n",
                 static_cast<unsigned long long>(*gpu), gpus->size());
    return 1;
  }
  const int dev = gpu ? static_cast<int>(*gpu) : 0;
  if (command == "xid") {
    const bool mark_lost = lost || *code == kFallenOffTheBus;
    uint64_t seq = (*state)->PostXid(dev, *code, mark_lost, RealtimeUs());
    std::printf("gpu=%d xid=%llu lost=%s seq=%llu\n", dev, static_cast<unsigned long long>(*code),
                mark_lost ? "true" : "false", static_cast<unsigned long long>(seq));
  } else if (command == "clear") {
    (*state)->ClearFault(dev);
    std::printf("gpu=%d lost=false\n", dev);
  } else {
    PrintStatus(**state, *gpus);
  }
  return 0;
}
