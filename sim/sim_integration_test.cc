#include <gtest/gtest.h>
TEST(SimIntegration, Placeholder) {}
