// jinja::Value printing against what Python prints (str, repr, json.dumps as HF's tojson calls
// it); the expected strings are CPython 3.11's output for the same values.
#include "encoder/generation/jinja/value.h"

#include "gtest/gtest.h"

namespace lateral::jinja {
namespace {

TEST(JinjaValueTest, FloatsPrintAsPythonRepr) {
  const std::vector<std::pair<double, std::string>> cases = {
      {1.0, "1.0"}, {0.1, "0.1"}, {1e+16, "1e+16"}, {1000000000000000.0, "1000000000000000.0"},
      {1.2345678901234568e+17, "1.2345678901234568e+17"}, {0.0001, "0.0001"}, {1e-05, "1e-05"},
      {1.5e-07, "1.5e-07"}, {-2.5, "-2.5"}, {1.0 / 3, "0.3333333333333333"}, {2.0 / 3, "0.6666666666666666"},
      {100.0, "100.0"}, {1e+22, "1e+22"}, {5e-324, "5e-324"}, {1.7976931348623157e+308, "1.7976931348623157e+308"},
      {-0.0, "-0.0"}, {0.1 + 0.2, "0.30000000000000004"}, {1234.5678, "1234.5678"},
  };
  for (const auto& [value, want] : cases) EXPECT_EQ(FormatPythonFloat(value), want) << value;
}

TEST(JinjaValueTest, ReprAndStrFollowPython) {
  EXPECT_EQ(PythonRepr(Value::String("it's")), "\"it's\"");
  EXPECT_EQ(PythonRepr(Value::String("a\"b")), "'a\"b'");
  EXPECT_EQ(PythonRepr(Value::String("both'\"")), "'both\\'\"'");
  EXPECT_EQ(PythonRepr(Value::String("tab\t\x7f")), "'tab\\t\\x7f'");
  const Value list = Value::List({Value::Int(1), Value::None(), Value::Bool(true), Value::String("x"), Value::Float(2)});
  EXPECT_EQ(ToPythonString(list), "[1, None, True, 'x', 2.0]");
  EXPECT_EQ(ToPythonString(Value::List({Value::Int(1)}, /*tuple=*/true)), "(1,)");
  EXPECT_EQ(ToPythonString(Value::Dict({{Value::String("k"), list}})), "{'k': [1, None, True, 'x', 2.0]}");
  EXPECT_EQ(ToPythonString(Value()), "");
}

TEST(JinjaValueTest, ToJsonMatchesJsonDumps) {
  const Value v = Value::Dict(
      {{Value::String("a"), Value::List({Value::Int(1), Value::Dict({{Value::String("b"), Value::None()}})})},
       {Value::String("c"), Value::String("\xc3\xa9\n\x01")}});
  EXPECT_EQ(*ToJson(v, -1, false), "{\"a\": [1, {\"b\": null}], \"c\": \"\xc3\xa9\\n\\u0001\"}");
  EXPECT_EQ(*ToJson(v, 2, false),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": \"\xc3\xa9\\n\\u0001\"\n}");
  EXPECT_EQ(*ToJson(Value::Dict({{Value::String("z"), Value::Int(1)}, {Value::String("a"), Value::Int(2)}}), -1, true),
            "{\"a\": 2, \"z\": 1}");
  EXPECT_EQ(*ToJson(Value::List({}), 2, false), "[]");
  EXPECT_FALSE(ToJson(Value(), -1, false).ok());
}

TEST(JinjaValueTest, EqualityAndTruthinessFollowPython) {
  EXPECT_TRUE(Value::Int(1).Equals(Value::Float(1.0)));
  EXPECT_TRUE(Value::Bool(true).Equals(Value::Int(1)));
  EXPECT_FALSE(Value::String("1").Equals(Value::Int(1)));
  EXPECT_FALSE(Value::List({Value::Int(1)}).Equals(Value::List({Value::Int(1)}, true)));
  EXPECT_TRUE(Value().Equals(Value()));
  EXPECT_FALSE(Value().Truthy());
  EXPECT_FALSE(Value::String("").Truthy());
  EXPECT_TRUE(Value::String("0").Truthy());
  EXPECT_FALSE(Value::List({}).Truthy());
  EXPECT_EQ(CodePointCount("h\xc3\xa9llo\xf0\x9f\x9a\x80"), 6u);
  EXPECT_EQ(CodePointCount("\xff\xfe"), 2u);  // invalid bytes count one each
}

}  // namespace
}  // namespace lateral::jinja
