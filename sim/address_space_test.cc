#include "sim/address_space.h"

#include <gtest/gtest.h>

namespace hami::sim {
namespace {

TEST(AddressSpace, AlignmentAndChargeFollowTheDriver) {
  EXPECT_EQ(AllocationAlignment(1), 512u);
  EXPECT_EQ(AllocationAlignment((2 << 20) - 1), 512u);
  EXPECT_EQ(AllocationAlignment(2 << 20), 2u << 20);
  EXPECT_EQ(PhysicalCharge(1), 512u);
  EXPECT_EQ(PhysicalCharge(1000), 1024u);
  EXPECT_EQ(PhysicalCharge((2 << 20) + 1), 4u << 20);
}

TEST(AddressSpace, AllocatesAlignedAndReusesFreedRanges) {
  AddressSpace va(1 << 20, 64 << 20);
  auto a = va.Allocate(1000, 512);
  auto b = va.Allocate(2 << 20, 2 << 20);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a % 512, 0u);
  EXPECT_EQ(*b % (2 << 20), 0u);
  EXPECT_TRUE(*b >= *a + 1000 || *b + (2 << 20) <= *a);
  uint64_t before = va.FreeBytes();
  va.Free(*a, 1000);
  EXPECT_EQ(va.FreeBytes(), before + 1000);
  auto c = va.Allocate(1000, 512);
  EXPECT_EQ(*c, *a);  // first fit takes the freed range back
}

TEST(AddressSpace, CoalescesAndRunsOut) {
  AddressSpace va(0x1000, 0x3000);
  auto a = va.Allocate(0x1000, 0x1000);
  auto b = va.Allocate(0x1000, 0x1000);
  auto c = va.Allocate(0x1000, 0x1000);
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(va.Allocate(1, 1));
  va.Free(*a, 0x1000);
  va.Free(*c, 0x1000);
  EXPECT_FALSE(va.Allocate(0x2000, 0x1000));  // two separate holes
  va.Free(*b, 0x1000);
  auto all = va.Allocate(0x3000, 0x1000);  // merged back into one range
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 0x1000u);
}

TEST(AllocationTable, FindsContainingAllocation) {
  AllocationTable table;
  table.Insert(Allocation{0x1000, 0x100, 0x200, 0x200, 0, AllocKind::kDevice, nullptr});
  table.Insert(Allocation{0x2000, 0x10, 0x200, 0x200, 1, AllocKind::kManaged, nullptr});
  EXPECT_EQ(table.FindBase(0x1000)->size, 0x100u);
  EXPECT_EQ(table.FindBase(0x1001), nullptr);
  EXPECT_EQ(table.FindContaining(0x10ff)->base, 0x1000u);
  EXPECT_EQ(table.FindContaining(0x1100), nullptr);  // past the requested size
  EXPECT_EQ(table.FindContaining(0xfff), nullptr);
  EXPECT_EQ(table.FindContaining(0x2005)->device, 1);
  table.Erase(0x1000);
  EXPECT_EQ(table.FindContaining(0x1000), nullptr);
  EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace hami::sim
