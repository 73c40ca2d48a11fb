// Kunlunxin XPU board topology (vendors.md §10): which devices a multi-XPU request gets, and how a
// placement changes the node's "bubbles" (half-used wings).
//
// A board holds 8 XPUs in two wings, slots 0-3 and 4-7, with cross links 0-4, 1-5, 2-6, 3-7.
// Slots are positions in the node's devices of one vendor sorted by device index (upstream read
// positions in the policy-sorted list, §17.3); a node with more than 8 devices is read as
// consecutive boards of 8 (upstream indexes only the first 8). Pure; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sched/snapshot.h"

namespace hami::vendor::kunlun {

inline constexpr int kBoardSize = 8;
inline constexpr int kWingSize = 4;

using BoardFit = std::array<bool, kBoardSize>;  // slot -> can take the request

// upstream graghSelect on one board: the slots (in grant order) for `nums` devices, or empty when
// the board cannot give them (nums outside {1, 2, 4, 8} never fits).
std::vector<int> SelectOnBoard(const BoardFit& fit, int nums);

// Positions in `node.devices` of `vendor`'s devices, sorted by (index, position): rank r is slot
// r % 8 of board r / 8.
std::vector<int32_t> SlotOrder(const sched::NodeState& node, std::string_view vendor);

// SelectOnBoard over every board of `order`; `fits[r]` says whether rank r can take the request.
// Returns ranks in grant order from the first board that gives `nums` devices, or empty.
std::vector<int32_t> SelectRanks(const std::vector<bool>& fits, int nums);

// The wings a set of slots touches, counted as upstream's countbubble: an empty set is 1, else
// g(left) + g(right) with g(4) = 0, g(1) = 2, g(other) = 1.
int Bubbles(int left, int right);

// upstream calcscore: the bubble change from the node's used devices to the pod's devices,
// -1 -> 3000, 0 -> 2000, 1 -> 1000, 2 -> 0, else 1000.
double BubbleScore(int prev_left, int prev_right, int cur_left, int cur_right);

}  // namespace hami::vendor::kunlun
