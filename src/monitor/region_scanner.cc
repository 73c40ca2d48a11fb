#include "monitor/region_scanner.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/log.h"
#include "monitor/feedback.h"
#include "monitor/region_format.h"

namespace hami::monitor {
namespace {

// ---- SIGBUS guard: a read of a mapping whose file was truncated faults; we jump back. ----
thread_local sigjmp_buf* t_guard = nullptr;

void OnSigbus(int sig, siginfo_t* info, void* context) {
  if (t_guard != nullptr) siglongjmp(*t_guard, 1);
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallSigbusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

// Runs `fn` (plain memory accesses only: no allocation, no locks) and reports whether it finished.
template <typename Fn>
bool Guarded(Fn&& fn) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 1) != 0) {
    t_guard = nullptr;
    return false;
  }
  t_guard = &jb;
  fn();
  t_guard = nullptr;
  return true;
}

std::vector<std::string> DirEntries(const std::string& path, int* error) {
  std::vector<std::string> names;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) {
    *error = errno;
    return names;
  }
  *error = 0;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      names.emplace_back(e->d_name);
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::chrono::system_clock::time_point MTime(const struct stat& st) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

}  // namespace

struct RegionScanner::Mapped {
  ContainerDirName id;
  std::string path;
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  void* data = nullptr;
  size_t length = 0;
  Layout layout = Layout::kV1;
  bool writable = false;
  RegionReading last;

  ~Mapped() {
    if (data != nullptr) munmap(data, length);
    if (fd >= 0) close(fd);
  }
};

RegionScanner::RegionScanner(ScannerOptions options)
    : options_(std::move(options)), containers_dir_(options_.hook_path + "/containers") {
  InstallSigbusHandler();
}

RegionScanner::~RegionScanner() = default;

void RegionScanner::Skip(const std::string& name, const std::string& reason,
                         const std::string& key) {
  auto& last = logged_[name];
  if (last == key) return;
  last = key;
  ++errors_;
  base::LogWarn("skipping shared region",
                {{"dir", containers_dir_ + "/" + name}, {"reason", reason}});
}

void RegionScanner::Scan(const PodPresence& pods, std::chrono::system_clock::time_point now,
                         const ConfirmGone& confirm) {
  std::lock_guard<std::mutex> lock(mu_);
  int error = 0;
  const std::vector<std::string> names = DirEntries(containers_dir_, &error);
  if (error != 0 && error != ENOENT) {
    base::LogWarn("cannot list container directories",
                  {{"dir", containers_dir_}, {"error", std::strerror(error)}});
  }
  for (auto it = regions_.begin(); it != regions_.end();) {
    if (!std::binary_search(names.begin(), names.end(), it->first)) {
      it = regions_.erase(it);
    } else {
      ++it;
    }
  }
  for (const std::string& name : names) {
    const std::string dir = containers_dir_ + "/" + name;
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    auto id = ParseContainerDirName(name);
    if (!id) {
      Skip(name, "directory name is not <podUID>_<container>", "name");
      continue;
    }
    if (ShouldRemoveDir(id->pod_uid, pods, MTime(st), now, options_.resync) &&
        (!confirm || confirm(id->pod_uid))) {
      regions_.erase(name);
      logged_.erase(name);
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      if (ec) {
        base::LogWarn("cannot remove directory of a gone pod",
                      {{"dir", dir}, {"error", ec.message()}});
      } else {
        ++removed_;
        base::LogInfo("removed directory of a pod no longer on this node",
                      {{"dir", dir}, {"pod_uid", id->pod_uid}});
      }
      continue;
    }
    auto mapped = regions_.find(name);
    if (mapped != regions_.end() && StillValid(*mapped->second)) continue;
    if (mapped != regions_.end()) regions_.erase(mapped);
    MapNew(name, *id);
  }
}

bool RegionScanner::StillValid(const Mapped& m) {
  struct stat st;
  return stat(m.path.c_str(), &st) == 0 && st.st_dev == m.dev && st.st_ino == m.ino &&
         static_cast<size_t>(st.st_size) >= LayoutSize(m.layout);
}

void RegionScanner::MapNew(const std::string& name, const ContainerDirName& id) {
  const std::string dir = containers_dir_ + "/" + name;
  int error = 0;
  const std::vector<std::string> files = DirEntries(dir, &error);
  if (error != 0) return Skip(name, std::string("cannot list: ") + std::strerror(error), "list");
  if (files.size() > 2) return Skip(name, "more than 2 files (cache num not matched)", "count");
  std::string file;
  for (const std::string& f : files) {
    if (f.find("libvgpu.so") != std::string::npos || f.find(".cache") == std::string::npos)
      continue;
    file = f;
    break;
  }
  if (file.empty()) return;  // libvgpu has not created its region here yet
  auto m = std::make_unique<Mapped>();
  m->id = id;
  m->path = dir + "/" + file;
  m->fd = open(m->path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  m->writable = m->fd >= 0;
  if (m->fd < 0) m->fd = open(m->path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (m->fd < 0 || fstat(m->fd, &st) != 0) {
    return Skip(name, file + ": cannot open: " + std::strerror(errno), "open");
  }
  const std::string key = file + ":" + std::to_string(st.st_size) + ":" +
                          std::to_string(st.st_mtim.tv_sec) + "." +
                          std::to_string(st.st_mtim.tv_nsec);
  if (!S_ISREG(st.st_mode)) return Skip(name, file + ": not a regular file", key);
  if (static_cast<size_t>(st.st_size) < kHeaderSize) {
    return Skip(name, file + ": " + std::to_string(st.st_size) + " bytes, smaller than the header",
                key);
  }
  m->dev = st.st_dev;
  m->ino = st.st_ino;
  m->length = static_cast<size_t>(st.st_size);
  const int prot = PROT_READ | (m->writable ? PROT_WRITE : 0);
  void* data = mmap(nullptr, m->length, prot, MAP_SHARED, m->fd, 0);
  if (data == MAP_FAILED) return Skip(name, file + ": mmap: " + std::strerror(errno), key);
  m->data = data;
  base::Result<Layout> layout = base::InvalidArgument("truncated while reading");
  Guarded([&] { layout = DetectLayout(m->data, m->length); });
  if (!layout.ok()) return Skip(name, file + ": " + layout.error().message(), key);
  m->layout = *layout;
  logged_.erase(name);
  base::LogInfo("mapped shared region",
                {{"path", m->path},
                 {"layout", LayoutName(m->layout)},
                 {"feedback", m->writable ? "on" : "off (file not writable)"}});
  regions_[name] = std::move(m);
}

bool RegionScanner::Copy(const Mapped& m) {
  const size_t size = LayoutSize(m.layout);
  if (scratch_.size() < size) scratch_.resize(size);
  const size_t procs = ProcsOffset(m.layout);
  const size_t tail = ProcNumOffset(m.layout);
  const char* src = static_cast<const char*>(m.data);
  char* dst = scratch_.data();
  return Guarded([&] {
    std::memcpy(dst, src, procs);
    std::memcpy(dst + tail, src + tail, size - tail);
    int32_t proc_num;
    std::memcpy(&proc_num, dst + tail, sizeof(proc_num));
    proc_num = std::clamp(proc_num, 0, 1024);
    std::memcpy(dst + procs, src + procs, static_cast<size_t>(proc_num) * SlotSize(m.layout));
  });
}

std::vector<RegionSample> RegionScanner::Read() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RegionSample> out;
  out.reserve(regions_.size());
  for (auto it = regions_.begin(); it != regions_.end();) {
    Mapped& m = *it->second;
    if (!Copy(m)) {
      Skip(it->first, m.path + ": truncated while mapped", "sigbus");
      it = regions_.erase(it);
      continue;
    }
    m.last = ReadRegion(scratch_.data(), LayoutSize(m.layout), m.layout);
    out.push_back({it->first, m.id.pod_uid, m.id.container, m.last});
    ++it;
  }
  return out;
}

FeedbackStats RegionScanner::Feedback(const FeedbackFilter& filter) {
  std::vector<RegionSample> samples = Read();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Mapped*> members;
  std::vector<FeedbackInput> inputs;
  std::vector<int32_t> read_recent;  // what the region held: the compare-and-swap expectations
  std::vector<int32_t> read_switch;
  for (const RegionSample& s : samples) {
    std::optional<FeedbackInput> input = filter(s);
    auto it = regions_.find(s.dir);
    if (!input || it == regions_.end() || !it->second->writable) continue;
    members.push_back(it->second.get());
    inputs.push_back(std::move(*input));
    read_recent.push_back(s.reading.recent_kernel);
    read_switch.push_back(s.reading.utilization_switch);
  }
  const std::vector<FeedbackOutput> outputs = Observe(inputs);
  FeedbackStats stats;
  stats.regions = static_cast<int>(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    Mapped& m = *members[i];
    char* base = static_cast<char*>(m.data);
    auto* recent = reinterpret_cast<int32_t*>(base + RecentKernelOffset(m.layout));
    auto* sw = reinterpret_cast<int32_t*>(base + UtilizationSwitchOffset(m.layout));
    Guarded([&] {
      int32_t expected = read_recent[i];
      if (outputs[i].recent_kernel != expected &&
          std::atomic_ref<int32_t>(*recent).compare_exchange_strong(expected,
                                                                    outputs[i].recent_kernel)) {
        ++stats.writes;
      }
      expected = read_switch[i];
      if (outputs[i].utilization_switch != expected &&
          std::atomic_ref<int32_t>(*sw).compare_exchange_strong(expected,
                                                                outputs[i].utilization_switch)) {
        ++stats.writes;
      }
    });
    if ((inputs[i].recent_kernel < 0) != (outputs[i].recent_kernel < 0)) {
      base::LogInfo(outputs[i].recent_kernel < 0 ? "blocking launches (higher priority active)"
                                                 : "unblocking launches",
                    {{"pod_uid", m.id.pod_uid},
                     {"container", m.id.container},
                     {"priority", std::to_string(inputs[i].priority)}});
    }
  }
  return stats;
}

std::map<std::string, int> RegionScanner::RegionsByLayout() {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int> out;
  for (const auto& [name, m] : regions_) ++out[LayoutName(m->layout)];
  return out;
}

}  // namespace hami::monitor
