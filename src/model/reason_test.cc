#include "model/reason.h"

#include <gtest/gtest.h>

namespace hami::model {
namespace {

TEST(ReasonTest, RendersUpstreamStringsSorted) {
  NodeFailure f;
  f.candidates = 2;
  f.Add(Reason::kCardInsufficientMemory, 1);
  f.Add(Reason::kCardTypeMismatch, 1);
  EXPECT_EQ(RenderReasons(f), "1/2 CardInsufficientMemory, 1/2 CardTypeMismatch");
}

TEST(ReasonTest, NodeInsufficientDeviceIsBare) {
  NodeFailure f;
  f.Add(Reason::kNodeInsufficientDevice, 1);
  EXPECT_EQ(RenderReasons(f), "NodeInsufficientDevice");
  NodeFailure u;
  u.Add(Reason::kNodeUnregistered);
  EXPECT_EQ(RenderReasons(u), "node unregistered");
}

TEST(ReasonTest, CountsAboveNineSortAsStrings) {
  NodeFailure f;
  f.candidates = 12;
  f.Add(Reason::kCardInsufficientMemory, 10);
  f.Add(Reason::kCardNotHealth, 2);
  // Lexicographic like upstream: "10/12 ..." sorts before "2/12 ...".
  EXPECT_EQ(RenderReasons(f), "10/12 CardInsufficientMemory, 2/12 CardNotHealth");
}

}  // namespace
}  // namespace hami::model
