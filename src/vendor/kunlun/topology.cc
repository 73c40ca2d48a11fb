#include "vendor/kunlun/topology.h"

#include <algorithm>
#include <numeric>

namespace hami::vendor::kunlun {
namespace {

// Links between slots, in the order upstream tries them.
constexpr int kCrossPairs[][2] = {{0, 4}, {1, 5}, {2, 6}, {3, 7}};
constexpr int kWingPairs[][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3},
                                 {4, 5}, {4, 6}, {4, 7}, {5, 6}, {5, 7}, {6, 7}};
constexpr int kQuads[][4] = {{0, 1, 4, 5}, {2, 3, 6, 7}, {0, 2, 4, 6},
                             {1, 3, 5, 7}, {0, 3, 4, 7}, {1, 2, 5, 6}};
// Wing sizes tried for a one-device request: a wing of 1 first, then 3, 2, 4.
constexpr int kOddOrder[] = {1, 3, 2, 4};

std::vector<int> FirstFitting(const BoardFit& fit, int start, int nums) {
  std::vector<int> out;
  for (int s = start; s < kBoardSize && static_cast<int>(out.size()) < nums; ++s) {
    if (fit[s]) out.push_back(s);
  }
  return out;
}

std::vector<int> CrossPair(const BoardFit& fit) {
  for (int a = 0; a < kBoardSize; ++a) {
    if (!fit[a]) continue;
    for (const auto& pair : kCrossPairs) {
      const int b = pair[0] == a ? pair[1] : (pair[1] == a ? pair[0] : -1);
      if (b >= 0 && fit[b]) return {a, b};
    }
  }
  return {};
}

bool Holds(const BoardFit& fit, const int (&quad)[4]) {
  return std::all_of(std::begin(quad), std::end(quad), [&](int s) { return fit[s]; });
}

// Whether the two fitting slots left over by `quad` are linked to each other.
bool LeftoverLinked(const BoardFit& fit, const int (&quad)[4]) {
  BoardFit rest = fit;
  for (int s : quad) rest[s] = false;
  auto linked = [&](const int(&pair)[2]) { return rest[pair[0]] && rest[pair[1]]; };
  return std::any_of(std::begin(kCrossPairs), std::end(kCrossPairs), linked) ||
         std::any_of(std::begin(kWingPairs), std::end(kWingPairs), linked);
}

std::vector<int> Quad(const BoardFit& fit) {
  const auto fitting = std::count(fit.begin(), fit.end(), true);
  if (fitting == 4 || fitting == 5) {
    for (const auto& quad : kQuads) {
      if (Holds(fit, quad)) return {std::begin(quad), std::end(quad)};
    }
    return {};
  }
  if (fitting != 6) return {};
  const int(*last)[4] = nullptr;
  for (const auto& quad : kQuads) {
    if (!Holds(fit, quad)) continue;
    last = &quad;
    if (LeftoverLinked(fit, quad)) break;
  }
  if (last == nullptr) return {};
  return {std::begin(*last), std::end(*last)};
}

}  // namespace

std::vector<int> SelectOnBoard(const BoardFit& fit, int nums) {
  const int left = static_cast<int>(std::count(fit.begin(), fit.begin() + kWingSize, true));
  const int right = static_cast<int>(std::count(fit.begin() + kWingSize, fit.end(), true));
  if (nums == kBoardSize) {
    if (left + right != kBoardSize) return {};
    std::vector<int> all(kBoardSize);
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  if (nums != 1 && nums != 2 && nums != 4) return {};
  if (left >= nums || right >= nums) {
    for (int size = nums; size <= kWingSize; ++size) {
      const int wing = nums % 2 == 1 ? kOddOrder[size - 1] : size;
      if (left == wing) return FirstFitting(fit, 0, nums);
      if (right == wing) return FirstFitting(fit, kWingSize, nums);
    }
  }
  if (nums == 2) return CrossPair(fit);
  if (nums == 4) return Quad(fit);
  return {};
}

std::vector<int32_t> SlotOrder(const sched::NodeState& node, std::string_view vendor) {
  std::vector<int32_t> order;
  for (size_t i = 0; i < node.devices.size(); ++i) {
    if (node.devices[i].info.vendor == vendor) order.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return node.devices[a].info.index < node.devices[b].info.index;
  });
  return order;
}

std::vector<int32_t> SelectRanks(const std::vector<bool>& fits, int nums) {
  const auto total = static_cast<int32_t>(fits.size());
  for (int32_t base = 0; base < total; base += kBoardSize) {
    BoardFit board{};
    for (int s = 0; s < kBoardSize && base + s < total; ++s) board[s] = fits[base + s];
    const std::vector<int> slots = SelectOnBoard(board, nums);
    if (slots.empty()) continue;
    std::vector<int32_t> ranks;
    ranks.reserve(slots.size());
    for (int s : slots) ranks.push_back(base + s);
    return ranks;
  }
  return {};
}

int Bubbles(int left, int right) {
  if (left == 0 && right == 0) return 1;
  auto g = [](int n) { return n == kWingSize ? 0 : (n == 1 ? 2 : 1); };
  return g(left) + g(right);
}

double BubbleScore(int prev_left, int prev_right, int cur_left, int cur_right) {
  switch (Bubbles(cur_left, cur_right) - Bubbles(prev_left, prev_right)) {
    case -1:
      return 3000;
    case 0:
      return 2000;
    case 1:
      return 1000;
    case 2:
      return 0;
    default:
      return 1000;
  }
}

}  // namespace hami::vendor::kunlun
