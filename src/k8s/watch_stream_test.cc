#include "k8s/watch_stream.h"

#include <gtest/gtest.h>

namespace hami::k8s {
namespace {

std::string Line(const std::string& type, const std::string& name, const std::string& rv) {
  return nlohmann::json{{"type", type},
                        {"object", {{"metadata", {{"name", name}, {"resourceVersion", rv}}}}}}
             .dump() +
         "\n";
}

std::string NameOf(const WatchEvent& event) { return event.object["metadata"]["name"]; }

TEST(ParseWatchEventTest, Types) {
  EXPECT_EQ(ParseWatchEvent(Line("ADDED", "a", "1"))->type, WatchEventType::kAdded);
  EXPECT_EQ(ParseWatchEvent(Line("MODIFIED", "a", "1"))->type, WatchEventType::kModified);
  EXPECT_EQ(ParseWatchEvent(Line("DELETED", "a", "1"))->type, WatchEventType::kDeleted);
  EXPECT_EQ(ParseWatchEvent(Line("BOOKMARK", "", "9"))->type, WatchEventType::kBookmark);
  auto error = ParseWatchEvent(R"({"type":"ERROR","object":{"kind":"Status","code":410}})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->type, WatchEventType::kError);
  EXPECT_EQ(error->object["code"], 410);
  EXPECT_FALSE(ParseWatchEvent(Line("EXPLODED", "a", "1")).ok());
  EXPECT_FALSE(ParseWatchEvent(R"({"type":"ADDED"})").ok());
  EXPECT_FALSE(ParseWatchEvent(R"({"object":{}})").ok());
  EXPECT_FALSE(ParseWatchEvent("not json").ok());
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kBookmark), "BOOKMARK");
}

TEST(WatchStreamParserTest, EventSplitAtEveryByte) {
  std::string stream =
      Line("ADDED", "a", "1") + Line("MODIFIED", "a", "2") + Line("DELETED", "a", "3");
  for (size_t step = 1; step <= stream.size(); ++step) {
    WatchStreamParser parser;
    std::vector<WatchEvent> events;
    std::vector<base::Status> errors;
    for (size_t i = 0; i < stream.size(); i += step) {
      parser.Feed(std::string_view(stream).substr(i, step), &events, &errors);
    }
    parser.Finish(&events, &errors);
    ASSERT_EQ(events.size(), 3u) << "step " << step;
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(events[0].type, WatchEventType::kAdded);
    EXPECT_EQ(events[1].type, WatchEventType::kModified);
    EXPECT_EQ(events[2].type, WatchEventType::kDeleted);
    EXPECT_EQ(events[2].object["metadata"]["resourceVersion"], "3");
    EXPECT_EQ(parser.buffered(), 0u);
  }
}

TEST(WatchStreamParserTest, ManyPerChunkAndPartialTail) {
  WatchStreamParser parser;
  std::vector<WatchEvent> events;
  std::vector<base::Status> errors;
  std::string tail = Line("ADDED", "c", "3");
  parser.Feed(Line("ADDED", "a", "1") + Line("ADDED", "b", "2") + tail.substr(0, 10), &events,
              &errors);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(NameOf(events[1]), "b");
  EXPECT_EQ(parser.buffered(), 10u);
  parser.Feed(tail.substr(10), &events, &errors);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(NameOf(events[2]), "c");
}

TEST(WatchStreamParserTest, BadLineDoesNotPoisonStream) {
  WatchStreamParser parser;
  std::vector<WatchEvent> events;
  std::vector<base::Status> errors;
  parser.Feed("{garbage\n\n  \n" + Line("ADDED", "a", "1"), &events, &errors);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(errors.size(), 1u);
}

TEST(WatchStreamParserTest, FinishParsesUnterminatedEvent) {
  WatchStreamParser parser;
  std::vector<WatchEvent> events;
  std::vector<base::Status> errors;
  std::string line = Line("ADDED", "a", "1");
  line.pop_back();
  parser.Feed(line, &events, &errors);
  EXPECT_TRUE(events.empty());
  parser.Finish(&events, &errors);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_TRUE(errors.empty());
}

TEST(WatchStreamParserTest, OverlongLineDroppedAndStreamRecovers) {
  WatchStreamParser parser(64);
  std::vector<WatchEvent> events;
  std::vector<base::Status> errors;
  parser.Feed(std::string(50, 'x'), &events, &errors);
  parser.Feed(std::string(50, 'y'), &events, &errors);  // over the bound: dropped
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(parser.buffered(), 0u);
  parser.Feed(std::string(500, 'z'), &events, &errors);  // still inside the long line
  parser.Feed("zz\n" + Line("ADDED", "a", "1").substr(0, 0), &events, &errors);
  parser.Feed(R"({"type":"ADDED","object":{}})"
              "\n",
              &events, &errors);
  EXPECT_EQ(errors.size(), 1u);
  ASSERT_EQ(events.size(), 1u);
}

}  // namespace
}  // namespace hami::k8s
