// The board topology of vendors.md §10 (upstream's graghSelect and calcscore), slot by slot.
#include "vendor/kunlun/topology.h"

#include <gtest/gtest.h>

namespace hami::vendor::kunlun {
namespace {

BoardFit FreeExcept(std::initializer_list<int> used) {
  BoardFit fit;
  fit.fill(true);
  for (int s : used) fit[s] = false;
  return fit;
}

BoardFit Only(std::initializer_list<int> free) {
  BoardFit fit{};
  for (int s : free) fit[s] = true;
  return fit;
}

struct SelectCase {
  const char* name;
  BoardFit fit;
  int nums;
  std::vector<int> want;
};

TEST(KunlunTopologyTest, SelectOnBoard) {
  const SelectCase cases[] = {
      {"eight, all free", FreeExcept({}), 8, {0, 1, 2, 3, 4, 5, 6, 7}},
      {"eight, one used", FreeExcept({5}), 8, {}},
      {"two, 5 used: the wing of three", FreeExcept({5}), 2, {4, 6}},
      {"one, 5 used: the wing of three", FreeExcept({5}), 1, {4}},
      {"one, 6 and 7 used: the wing of two", FreeExcept({6, 7}), 1, {4}},
      {"one, a lone free slot first", Only({2, 4, 5, 6, 7}), 1, {2}},
      {"two, only a cross pair", Only({3, 7}), 2, {3, 7}},
      {"two, nothing linked", Only({0, 5}), 2, {}},
      {"four, five free", Only({0, 1, 4, 5, 6}), 4, {0, 1, 4, 5}},
      {"four, six free, leftover unlinked", Only({0, 1, 2, 4, 5, 7}), 4, {0, 1, 4, 5}},
      {"four, six free, leftover linked", Only({0, 1, 3, 4, 5, 7}), 4, {0, 1, 4, 5}},
      {"four, six free, a wing of four", Only({0, 1, 2, 3, 5, 7}), 4, {0, 1, 2, 3}},
      {"four, six free, leftover 1-5 linked", Only({1, 2, 3, 5, 6, 7}), 4, {2, 3, 6, 7}},
      {"four, six free, the only quad", Only({0, 2, 3, 4, 5, 6}), 4, {0, 2, 4, 6}},
      {"four, a whole wing", FreeExcept({7}), 4, {0, 1, 2, 3}},
      {"four, no quad", Only({0, 1, 2, 7}), 4, {}},
      {"three never fits", FreeExcept({}), 3, {}},
      {"five never fits", FreeExcept({}), 5, {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SelectOnBoard(c.fit, c.nums), c.want) << c.name;
  }
}

TEST(KunlunTopologyTest, BoardsAreReadInIndexOrder) {
  // Two boards: the first has no four in a wing nor a quad, the second is free.
  std::vector<bool> fits(16, true);
  for (int r : {1, 2, 5, 6, 7}) fits[r] = false;
  EXPECT_EQ(SelectRanks(fits, 4), (std::vector<int32_t>{8, 9, 10, 11}));
  // A partial board (6 devices) never gives eight.
  EXPECT_TRUE(SelectRanks(std::vector<bool>(6, true), 8).empty());
  EXPECT_EQ(SelectRanks(std::vector<bool>(6, true), 2), (std::vector<int32_t>{4, 5}));
}

TEST(KunlunTopologyTest, Bubbles) {
  EXPECT_EQ(Bubbles(0, 0), 1);
  EXPECT_EQ(Bubbles(4, 0), 0 + 1);
  EXPECT_EQ(Bubbles(1, 0), 2 + 1);
  EXPECT_EQ(Bubbles(4, 4), 0);
  EXPECT_EQ(Bubbles(2, 3), 2);
  EXPECT_EQ(BubbleScore(4, 0, 4, 4), 3000);  // prev {0..3}, the pod takes 0..7
  EXPECT_EQ(BubbleScore(0, 0, 1, 0), 0);     // an idle board, the pod takes one
  EXPECT_EQ(BubbleScore(0, 0, 4, 0), 2000);
  EXPECT_EQ(BubbleScore(1, 0, 2, 0), 3000);  // 3 -> 2
  EXPECT_EQ(BubbleScore(4, 0, 2, 0), 1000);  // 1 -> 2
  EXPECT_EQ(BubbleScore(4, 4, 1, 1), 1000);  // 0 -> 4: any other change
}

}  // namespace
}  // namespace hami::vendor::kunlun
