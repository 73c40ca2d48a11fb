// A GoogleTest fixture for SharedState tests: every test gets a fresh state file under /tmp
// (removed after it) and the GPU list the state is opened for. Single-threaded, like the tests.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/config.h"
#include "sim/shared_state.h"

namespace hami::sim {

class SharedStateFileTest : public ::testing::Test {
 protected:
  // `gpus` in the compact HAMI_SIM_GPUS form; `mig_enabled` the bit mask Open() starts a fresh
  // state with.
  SharedStateFileTest(const char* gpus, uint32_t mig_enabled)
      : gpus_(*ParseCompactGpuList(gpus)), mig_enabled_(mig_enabled) {}

  void SetUp() override {
    char tmpl[] = "/tmp/hami-sim-state-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // The state at path_ for gpus_ (nullptr, with a test failure, when it cannot be opened).
  std::unique_ptr<SharedState> Open() { return Open(mig_enabled_); }
  std::unique_ptr<SharedState> Open(uint32_t mig_enabled) {
    auto state = SharedState::Open(path_, gpus_, mig_enabled);
    EXPECT_TRUE(state.ok()) << state.error().ToString();
    return state.ok() ? std::move(state).value() : nullptr;
  }

  std::string path_;
  std::vector<GpuSpec> gpus_;

 private:
  uint32_t mig_enabled_;
};

}  // namespace hami::sim
