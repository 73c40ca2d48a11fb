#include "webui/query.h"

#include <gtest/gtest.h>

namespace hami::webui {
namespace {

TEST(Query, DecodesPairs) {
  auto q = ParseQuery("search=a%2Fb+c&x&page=2&page=3");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)["search"], "a/b c");
  EXPECT_EQ((*q)["x"], "");
  EXPECT_EQ((*q)["page"], "3");
  EXPECT_FALSE(ParseQuery("a=%zz").ok());
  EXPECT_FALSE(ParseQuery("a=%4").ok());
  EXPECT_FALSE(ParseQuery(std::string(kMaxQueryBytes + 1, 'a')).ok());
}

TEST(Query, ListParamsDefaultsAndBounds) {
  auto p = ParseListParams("", {"name", "gpus"}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sort, "name");
  EXPECT_FALSE(p->descending);
  EXPECT_EQ(p->page, 1);
  EXPECT_EQ(p->page_size, kDefaultPageSize);
  p = ParseListParams("sort=gpus&order=desc&page=3&pageSize=500&node=n1", {"name", "gpus"},
                      {"node"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sort, "gpus");
  EXPECT_TRUE(p->descending);
  EXPECT_EQ(p->page, 3);
  EXPECT_EQ(p->page_size, 500);
  EXPECT_EQ(p->filters.at("node"), "n1");
  for (const char* bad :
       {"sort=size", "order=up", "page=0", "page=x", "pageSize=501", "pageSize=0", "color=red"}) {
    auto r = ParseListParams(bad, {"name", "gpus"}, {});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find(std::string(bad).substr(0, 4)), std::string::npos)
        << r.error().message();
  }
}

TEST(Query, FoldedSearch) {
  EXPECT_TRUE(ContainsFolded("GPU-Node-7", "node-7"));
  EXPECT_TRUE(ContainsFolded("x", ""));
  EXPECT_FALSE(ContainsFolded("abc", "abcd"));
}

}  // namespace
}  // namespace hami::webui
