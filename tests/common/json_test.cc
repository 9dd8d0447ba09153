#include "common/json.h"

#include "gtest/gtest.h"

namespace lateral {
namespace {

TEST(JsonTest, TypedAccessNeverThrows) {
  auto json = ParseJson(R"({"i": 3, "f": 2.5, "whole": 4.0, "s": "x", "b": true, "n": null,
                            "ids": [1, 2], "mixed": [1, "a"], "obj": {"k": 1}})", "cfg.json");
  ASSERT_TRUE(json.ok()) << json.status();
  JsonObjectReader r(*json, "cfg.json");
  EXPECT_EQ(*r.GetInt("i"), 3);
  EXPECT_EQ(*r.GetInt("whole"), 4);
  EXPECT_FALSE(r.GetInt("f").ok());
  EXPECT_DOUBLE_EQ(*r.GetDouble("i"), 3.0);
  EXPECT_EQ(*r.GetString("s"), "x");
  EXPECT_TRUE(*r.GetBool("b"));
  EXPECT_FALSE(r.GetOptionalInt("n")->has_value());
  EXPECT_FALSE(r.GetOptionalInt("absent")->has_value());
  EXPECT_EQ(**r.GetOptionalIntArray("ids"), (std::vector<int64_t>{1, 2}));
  EXPECT_FALSE(r.GetOptionalIntArray("mixed").ok());
  EXPECT_NE(*r.GetOptionalObject("obj"), nullptr);
  auto wrong = r.GetString("i");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "cfg.json: field \"i\" must be a string, found number");
  auto missing = r.GetInt("absent");
  EXPECT_EQ(missing.status().message(), "cfg.json: missing required field \"absent\"");
}

TEST(JsonTest, ParseErrorsNameTheSource) {
  auto bad = ParseJson("{\"a\": ", "model/config.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("model/config.json: ", 0), 0u) << bad.status();
  EXPECT_FALSE(ParseJson("\xff\xfe", "x").ok());
}

}  // namespace
}  // namespace lateral
