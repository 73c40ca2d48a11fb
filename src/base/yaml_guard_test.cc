#include "base/yaml_guard.h"

#include <gtest/gtest.h>

namespace hami::base {
namespace {

// Each of these made yaml-cpp 0.7 loop until memory ran out.
TEST(YamlGuardTest, RootFlowEntriesAreFound) {
  EXPECT_EQ(FindRootFlowEntry(",:n: nvn"), 1);
  EXPECT_EQ(FindRootFlowEntry(",: a"), 1);
  EXPECT_EQ(FindRootFlowEntry("# c\n,"), 2);
  EXPECT_EQ(FindRootFlowEntry("---\n,"), 2);
  EXPECT_EQ(FindRootFlowEntry("--- ,\n"), 1);
  EXPECT_EQ(FindRootFlowEntry("a: b\n---\n,x"), 3);
  EXPECT_EQ(FindRootFlowEntry("- a\n,\n"), 2);
  EXPECT_EQ(FindRootFlowEntry("&x ,"), 1);
  EXPECT_EQ(FindRootFlowEntry("!t ,"), 1);
  EXPECT_EQ(FindRootFlowEntry("&z,z,)"), 1);  // an anchor name ends at a comma
  EXPECT_EQ(FindRootFlowEntry("... \n,"), 2);
  EXPECT_EQ(FindRootFlowEntry("\r\n,"), 2);
  EXPECT_EQ(FindRootFlowEntry("  ,"), 1);
  EXPECT_EQ(FindRootFlowEntry("\t,.@<= 2."), 1);  // crash-1998c2e11c4aa01e, found on CI
  EXPECT_EQ(FindRootFlowEntry("a:\n  ,\n"), 2);
  EXPECT_EQ(FindRootFlowEntry("'z)',\xd0)"), 1);  // after a quoted scalar: crash-b8fa0bedd7b96c72
  // behind an anchor or tag: crash-759f31260d424605, found by the check build's fuzz gate
  EXPECT_EQ(FindRootFlowEntry("'z\xc6\xd0'&z,z,)"), 1);
  EXPECT_EQ(FindRootFlowEntry("\"a\" &z ,b"), 1);
  EXPECT_EQ(FindRootFlowEntry("'a' !t,b"), 1);
  // after a flow collection or another quoted node: crash-deeb392081150067 (device_config_fuzz)
  // and crash-7e4f9cbb2200bc61 (kubeconfig_fuzz), found by the check build's fuzz gate
  EXPECT_EQ(FindRootFlowEntry("[NULLz\xc6\xd0]&z6z,)"), 1);
  EXPECT_EQ(FindRootFlowEntry("[a],b"), 1);
  EXPECT_EQ(FindRootFlowEntry("{a: 1} ,b"), 1);
  EXPECT_EQ(FindRootFlowEntry("\"\"\"\",b"), 1);
  EXPECT_EQ(FindRootFlowEntry("'a'\"b\",c"), 1);
  EXPECT_EQ(FindRootFlowEntry("\"a\" [b],c"), 1);
  EXPECT_EQ(FindRootFlowEntry("[a][b],c"), 1);
  // The general rule: in block context a ',' outside a plain scalar (crash-d24f3a75f6587066 and
  // two inputs found by exploring, kept in the corpora).
  EXPECT_EQ(FindRootFlowEntry("k: *a, b"), 1);
  EXPECT_EQ(FindRootFlowEntry("\"a\"x\n"),
            1);  // text glued to a quoted node: crash-fab1248377f02c21
  EXPECT_EQ(FindRootFlowEntry("[a] b\n"), 1);
  EXPECT_EQ(FindRootFlowEntry(">#x\n  a\003b\n"), 2);  // a control character, block content too
  EXPECT_EQ(FindRootFlowEntry("- [a], b"), 1);
  EXPECT_EQ(FindRootFlowEntry(">\n!,\n"), 2);
  EXPECT_EQ(FindRootFlowEntry("a: \"x\" , y"), 1);
  EXPECT_EQ(FindRootFlowEntry("a: 'x\ny' ,"), 2);  // the quote closes on the next line
  EXPECT_EQ(FindRootFlowEntry("a: , b"), 1);       // a node starting with ',' after an indicator
  EXPECT_EQ(FindRootFlowEntry("- ,"), 1);
  EXPECT_EQ(FindRootFlowEntry("? ,"), 1);
  EXPECT_EQ(FindRootFlowEntry(std::string_view("a: b\n\0,@", 8)),
            2);  // NUL: not YAML text  // not a hang, but no valid YAML either
}

TEST(YamlGuardTest, CommasWhereYamlAllowsThemPass) {
  EXPECT_EQ(FindRootFlowEntry("a: [b,\n, c]\n"), std::nullopt);       // inside a flow sequence
  EXPECT_EQ(FindRootFlowEntry("a: {b: 1\n, c: 2}\n"), std::nullopt);  // inside a flow mapping
  EXPECT_EQ(FindRootFlowEntry("a: \"x\n,y\"\n"), std::nullopt);       // double-quoted, two lines
  EXPECT_EQ(FindRootFlowEntry("a: 'it''s\n,y'\n"), std::nullopt);     // single-quoted
  EXPECT_EQ(FindRootFlowEntry("a: |\n  ,x\nb: c\n"), std::nullopt);   // block scalar content
  EXPECT_EQ(FindRootFlowEntry("--- |\nx\n y,\n"), std::nullopt);      // root block scalar
  EXPECT_EQ(FindRootFlowEntry("a: >-  # folded\n  ,x\n"), std::nullopt);
  EXPECT_EQ(FindRootFlowEntry("a: b, c\nd: it's, [x]\n"), std::nullopt);  // inside plain scalars
  EXPECT_EQ(FindRootFlowEntry("# ,\na: 1 # ,\n"), std::nullopt);          // comments
  EXPECT_EQ(FindRootFlowEntry("a: x ,y\nb: a- ,c\nc: 'q' # ,\n"), std::nullopt);
  EXPECT_EQ(FindRootFlowEntry("a: ['x', 'y']\nb: {'k': 'v', 'l': 'w'}\n"), std::nullopt);
  EXPECT_EQ(FindRootFlowEntry("'k': 'v'\n\"a\": b\n"), std::nullopt);
  EXPECT_EQ(FindRootFlowEntry("'k': &a 'v'\nx: 'y' &z\n"), std::nullopt);  // properties, no ','
  EXPECT_EQ(FindRootFlowEntry("x: a [b], c\ny: [p, q] # ,\nz: {k: v}\n"), std::nullopt);
  EXPECT_EQ(FindRootFlowEntry("u: http://h:1/a,b\n- -a, b\n? k, l\n: v, w\nm: &x y, z\n"),
            std::nullopt);  // plain scalars hold their commas
  EXPECT_EQ(FindRootFlowEntry(""), std::nullopt);
}

TEST(YamlGuardTest, BlockScalarEndsAtItsParentsIndentation) {
  EXPECT_EQ(FindRootFlowEntry("a: |\n  x\n,\n"), 3);
  EXPECT_EQ(FindRootFlowEntry("--- |\nx\n---\n,\n"), 4);  // the root block scalar ends at ---
  // A root block scalar's column-0 line starting with ',' (YAML content, but yaml-cpp loops on
  // it): crash-30ab0ccd4f6ddc7e, found by exploring device_config_fuzz.
  EXPECT_EQ(FindRootFlowEntry("--- |\n,x\n,y\n"), 2);
  EXPECT_EQ(FindRootFlowEntry(">\n,\n"), 2);
  EXPECT_EQ(FindRootFlowEntry(">#x\n,\n"), 2);  // a header as yaml-cpp reads it, then ','
}

}  // namespace
}  // namespace hami::base
