#include "sim/proc_table.h"

#include <gtest/gtest.h>

namespace hami::sim {
namespace {

int v1, v2, v3, pt;
void* P(int& x) { return &x; }

const ProcEntry kTable[] = {
    {"cuCtxCreate", 3020, P(v1), nullptr},
    {"cuCtxCreate", 11040, P(v2), nullptr},
    {"cuLaunchKernel", 4000, P(v3), P(pt)},
    {"cuMemCreate", 10020, P(v1), nullptr},
};

TEST(ResolveProc, NewestVariantAtOrBeforeTheVersion) {
  EXPECT_EQ(ResolveProc(kTable, "cuCtxCreate", 3020, 0).fn, P(v1));
  EXPECT_EQ(ResolveProc(kTable, "cuCtxCreate", 11030, 0).fn, P(v1));
  EXPECT_EQ(ResolveProc(kTable, "cuCtxCreate", 11040, 0).fn, P(v2));
  EXPECT_EQ(ResolveProc(kTable, "cuCtxCreate", 12080, 0).fn, P(v2));
}

TEST(ResolveProc, PerThreadVariantOnlyWhenAsked) {
  EXPECT_EQ(ResolveProc(kTable, "cuLaunchKernel", 12000, CU_GET_PROC_ADDRESS_DEFAULT).fn, P(v3));
  EXPECT_EQ(ResolveProc(kTable, "cuLaunchKernel", 12000, CU_GET_PROC_ADDRESS_LEGACY_STREAM).fn,
            P(v3));
  EXPECT_EQ(
      ResolveProc(kTable, "cuLaunchKernel", 12000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM)
          .fn,
      P(pt));
  EXPECT_EQ(
      ResolveProc(kTable, "cuCtxCreate", 12000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM).fn,
      P(v2));
}

TEST(ResolveProc, UnknownAndTooOld) {
  ProcLookup unknown = ResolveProc(kTable, "cuNoSuchThing", 12000, 0);
  EXPECT_EQ(unknown.fn, nullptr);
  EXPECT_EQ(unknown.status, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
  ProcLookup suffixed = ResolveProc(kTable, "cuCtxCreate_v2", 12000, 0);
  EXPECT_EQ(suffixed.status, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
  ProcLookup old = ResolveProc(kTable, "cuMemCreate", 10000, 0);
  EXPECT_EQ(old.fn, nullptr);
  EXPECT_EQ(old.status, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
  EXPECT_EQ(ResolveProc(kTable, "cuMemCreate", 10020, 0).status, CU_GET_PROC_ADDRESS_SUCCESS);
}

}  // namespace
}  // namespace hami::sim
