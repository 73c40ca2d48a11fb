// Harness for monitor integration tests: child processes (the real hami-monitor binary, CUDA
// probes under LD_PRELOAD=libvgpu.so on the simulated driver), /metrics scraping and sample lookup.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace hami::monitor::it {

using Env = std::map<std::string, std::string>;

struct Child {
  pid_t pid = -1;
  int in = -1;   // child's stdin (write end), -1 when not piped
  int out = -1;  // child's stdout (read end)

  // Closes stdin (a "hold" probe exits on EOF) and waits; returns the exit status (or -signal).
  int Wait() {
    if (in >= 0) close(in);
    in = -1;
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  void Kill(int sig = SIGTERM) {
    if (pid > 0) kill(pid, sig);
  }
  // Reads stdout until `token` appears (or EOF); returns everything read.
  std::string ReadUntil(const std::string& token) {
    std::string text;
    char buf[512];
    while (text.find(token) == std::string::npos) {
      ssize_t n = read(out, buf, sizeof(buf));
      if (n <= 0) break;
      text.append(buf, n);
    }
    return text;
  }
  std::string ReadAll() { return ReadUntil("\x01never"); }
};

// fork + execv with `env` added to a minimal environment; stderr goes to `stderr_file` if set.
inline Child Spawn(const std::vector<std::string>& argv, const Env& env,
                   const std::string& stderr_file = "") {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return {};
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (!stderr_file.empty()) {
      int fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      dup2(fd, 2);
    }
    close(in[1]);
    close(out[0]);
    clearenv();
    setenv("PATH", "/usr/bin:/bin", 1);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    args.reserve(copy.size());
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  c.in = in[1];
  c.out = out[0];
  return c;
}

// Polls `cond` every 20 ms until true or `timeout`; returns whether it became true.
inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline int CountLines(const std::string& text, const std::vector<std::string>& all_of) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool match = true;
    for (const auto& s : all_of) match = match && line.find(s) != std::string::npos;
    n += match ? 1 : 0;
  }
  return n;
}

// GET http://127.0.0.1:<port>/metrics; "" on failure.
inline std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : std::string();
}

// Value of the first sample of `name` whose label text contains every `labels` entry
// (e.g. {"pod=\"p\"", "container=\"c\""}).
inline std::optional<double> Sample(const std::string& text, const std::string& name,
                                    const std::vector<std::string>& labels) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0) continue;
    bool match = true;
    for (const auto& l : labels) match = match && line.find(l) != std::string::npos;
    if (!match) continue;
    return std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
  }
  return std::nullopt;
}

}  // namespace hami::monitor::it
