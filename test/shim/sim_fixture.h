// SimDriverTest: base fixture of the tests that run processes under libvgpu on the simulated
// driver. Skips when the simulated driver is not built; gives each test its own shared-region and
// simulator-state paths under /tmp (removed before and after the test).
#pragma once

#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace hami::test {

class SimDriverTest : public ::testing::Test {
 protected:
  explicit SimDriverTest(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    if (access(HAMI_SIM_LIBDIR "/libcuda.so.1", R_OK) != 0) {
      GTEST_SKIP() << "simulated driver not built at " HAMI_SIM_LIBDIR;
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tag_ = std::string(info->name()) + "_" + std::to_string(getpid());
    region_path_ = "/tmp/" + prefix_ + tag_ + ".cache";
    sim_state_ = "/tmp/" + prefix_ + tag_ + ".sim";
    unlink(region_path_.c_str());
    unlink(sim_state_.c_str());
  }
  void TearDown() override {
    unlink(region_path_.c_str());
    unlink(sim_state_.c_str());
  }

  std::string tag_, region_path_, sim_state_;

 private:
  std::string prefix_;
};

}  // namespace hami::test
