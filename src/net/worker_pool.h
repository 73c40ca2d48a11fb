// WorkerPool: a fixed number of threads running submitted tasks in submission order.
//
// The queue is unbounded: callers bound what they submit (net::HttpServer submits at most one
// request per open connection). Shutdown() runs every task already submitted, then joins; tasks
// submitted after it are dropped. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hami::net {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);
  void Shutdown();

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hami::net
