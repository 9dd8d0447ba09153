// ChatTemplate against transformers' apply_chat_template (tests/data/chat-template/expected.json,
// written by generate.py there), LFM2's native format against the LFM2-style template, model
// directory discovery, and the error paths: syntax errors, unknown filters, raise_exception,
// runaway templates.
#include "encoder/generation/chat_template.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

using testing::TestDataPath;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

struct Case {
  std::string name;
  std::vector<ChatMessage> messages;
  bool add_generation_prompt = false;
};

std::vector<Case> LoadCases() {
  auto json = ReadJsonFile(TestDataPath("chat-template/cases.json"));
  EXPECT_TRUE(json.ok()) << json.status();
  std::vector<Case> cases;
  for (const Json& c : *json) {
    Case out;
    out.name = c["name"].get<std::string>();
    out.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    for (const Json& m : c["messages"]) {
      out.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    cases.push_back(std::move(out));
  }
  return cases;
}

Json LoadExpected() {
  auto json = ReadJsonFile(TestDataPath("chat-template/expected.json"));
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *json : Json();
}

TEST(ChatTemplateTest, MatchesTransformersOnEveryTemplateAndCase) {
  const Json expected = LoadExpected();
  const std::vector<Case> cases = LoadCases();
  ASSERT_FALSE(cases.empty());
  const std::string bos = expected["bos_token"].get<std::string>();
  const std::string eos = expected["eos_token"].get<std::string>();
  int compared = 0;
  int errors = 0;
  for (const auto& [name, results] : expected["results"].items()) {
    const std::string path = TestDataPath("chat-template/templates/" + name);
    auto tmpl = ChatTemplate::FromSource(ReadFile(path), path, bos, eos);
    ASSERT_TRUE(tmpl.ok()) << tmpl.status();
    for (const Case& c : cases) {
      SCOPED_TRACE(name + " / " + c.name);
      ASSERT_TRUE(results.contains(c.name));
      const Json& want = results[c.name];
      auto got = tmpl->Render(c.messages, c.add_generation_prompt);
      if (want.contains("text")) {
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, want["text"].get<std::string>());
      } else {
        ASSERT_FALSE(got.ok()) << "transformers failed with " << want["error"] << " but we rendered:\n" << *got;
        EXPECT_NE(got.status().message().find(path + ":"), std::string::npos) << got.status();
        ++errors;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 40);
  EXPECT_GE(errors, 1);  // the reference's error cases are exercised too
}

TEST(ChatTemplateTest, Lfm2NativeRendersWhatTheLfm2TemplateRenders) {
  const Json expected = LoadExpected();
  const ChatTemplate native = ChatTemplate::Lfm2Native();
  EXPECT_TRUE(native.is_native());
  int compared = 0;
  for (const Case& c : LoadCases()) {
    const Json& want = expected["results"]["lfm2_style.jinja"][c.name];
    if (!want.contains("text")) continue;
    SCOPED_TRACE(c.name);
    auto got = native.Render(c.messages, c.add_generation_prompt);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want["text"].get<std::string>());
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

class ModelDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lateral_chat_template_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(ModelDirTest, NoTemplateIsNotFoundNamingTheDirectory) {
  auto t = ChatTemplate::FromModelDirectory(TestDataPath("colbert-tiny"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find(TestDataPath("colbert-tiny")), std::string::npos) << t.status();
}

TEST_F(ModelDirTest, TokenizerConfigStringAndTokenObjects) {
  WriteFile(Path("tokenizer_config.json"),
            R"({"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"})");
  auto t = ChatTemplate::FromModelDirectory(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->bos_token(), "<s>");
  EXPECT_EQ(t->eos_token(), "</s>");
  std::vector<ChatMessage> messages = {{"user", "hi"}};
  EXPECT_EQ(*t->Render(messages, true), "<s>hi</s>");
  EXPECT_NE(t->origin().find("tokenizer_config.json"), std::string::npos);
}

TEST_F(ModelDirTest, NamedTemplateListUsesDefault) {
  WriteFile(Path("tokenizer_config.json"),
            R"({"chat_template": [{"name": "tool_use", "template": "tools"},
                                  {"name": "default", "template": "default {{ messages | length }}"}]})");
  auto t = ChatTemplate::FromModelDirectory(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->Render({}, false), "default 0");

  WriteFile(Path("tokenizer_config.json"), R"({"chat_template": [{"name": "tool_use", "template": "x"}]})");
  EXPECT_EQ(ChatTemplate::FromModelDirectory(dir_.string()).status().code(), absl::StatusCode::kNotFound);
  WriteFile(Path("tokenizer_config.json"), R"({"chat_template": 5})");
  EXPECT_EQ(ChatTemplate::FromModelDirectory(dir_.string()).status().code(), absl::StatusCode::kInvalidArgument);
  WriteFile(Path("tokenizer_config.json"), R"({"bos_token": 7})");
  auto bad = ChatTemplate::FromModelDirectory(dir_.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bos_token"), std::string::npos) << bad.status();
}

TEST_F(ModelDirTest, JinjaFileWinsOverTokenizerConfig) {
  WriteFile(Path("tokenizer_config.json"), R"({"eos_token": "E", "chat_template": "from config"})");
  WriteFile(Path("chat_template.jinja"), "from file {{ eos_token }}\n");
  auto t = ChatTemplate::FromModelDirectory(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->Render({}, false), "from file E");  // one trailing newline dropped, as jinja2 does
  EXPECT_EQ(t->origin(), Path("chat_template.jinja"));
}

absl::Status RenderError(const std::string& source, std::vector<ChatMessage> messages = {{"user", "hi"}}) {
  auto t = ChatTemplate::FromSource(source, "t.jinja", "<s>", "</s>");
  if (!t.ok()) return t.status();
  auto r = t->Render(messages, true);
  if (r.ok()) return absl::OkStatus();
  return r.status();
}

TEST(ChatTemplateErrorTest, SyntaxErrorsNameTheLine) {
  absl::Status s = RenderError("line one\n{% if messages %}\nok\n{% endfor %}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.jinja:4:"), std::string::npos) << s;
  s = RenderError("a\nb\n{% for m in messages %}\nnever closed\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.jinja:3:"), std::string::npos) << s;
  s = RenderError("{{ messages[0 }}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.jinja:1:"), std::string::npos) << s;
  s = RenderError("x\n\n{# unterminated comment");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.jinja:3:"), std::string::npos) << s;
  EXPECT_FALSE(RenderError("{{ 'unterminated }}").ok());
  EXPECT_FALSE(RenderError("{% break %}").ok());
  EXPECT_FALSE(RenderError("{% include 'x' %}").ok());
}

TEST(ChatTemplateErrorTest, UnknownFilterOrTestFailsBeforeRendering) {
  // jinja2 rejects these when compiling, even in a branch that never runs.
  auto t = ChatTemplate::FromSource("{% if false %}\n{{ x | no_such_filter }}{% endif %}", "t.jinja", "", "");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("t.jinja:2:"), std::string::npos) << t.status();
  EXPECT_NE(t.status().message().find("no_such_filter"), std::string::npos) << t.status();
  t = ChatTemplate::FromSource("{{ x is frobnicated }}", "t.jinja", "", "");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("frobnicated"), std::string::npos);
}

TEST(ChatTemplateErrorTest, RaiseExceptionBecomesAnErrorNamingTheTemplate) {
  absl::Status s = RenderError("ok\n{% if messages[0].role != 'system' %}{{ raise_exception('need a system turn') }}{% endif %}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.jinja:2:"), std::string::npos) << s;
  EXPECT_NE(s.message().find("need a system turn"), std::string::npos) << s;
}

TEST(ChatTemplateErrorTest, TypeAndUndefinedErrors) {
  EXPECT_FALSE(RenderError("{{ 'a' + 1 }}").ok());
  EXPECT_FALSE(RenderError("{{ missing.attribute }}").ok());
  EXPECT_FALSE(RenderError("{{ messages[5].role }}").ok());
  EXPECT_FALSE(RenderError("{{ messages[0].nothing.deeper }}").ok());
  EXPECT_FALSE(RenderError("{{ 1 // 0 }}").ok());
  EXPECT_FALSE(RenderError("{{ missing | tojson }}").ok());
  EXPECT_FALSE(RenderError("{% for x in 5 %}{% endfor %}").ok());
  EXPECT_FALSE(RenderError("{% set x = 1 %}{% set x.y = 2 %}").ok());
  EXPECT_FALSE(RenderError("{{ messages[0]['role'] }}", {}).ok());  // as jinja2: undefined['role']
  // Undefined is fine where jinja2's default Undefined is.
  EXPECT_TRUE(RenderError("{{ missing }}{% if missing %}{% endif %}{% for x in missing %}{% endfor %}{{ missing | length }}").ok());
  EXPECT_TRUE(RenderError("{{ messages[0].missing }}{{ none.x }}").ok());
}

TEST(ChatTemplateErrorTest, RunawayTemplatesStop) {
  // Too many steps: a nested loop of 10^10 iterations.
  absl::Status s = RenderError("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("steps"), std::string::npos) << s;
  // Too much output.
  s = RenderError("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bytes"), std::string::npos) << s;
  // A string that doubles until it is too large.
  s = RenderError("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}");
  ASSERT_FALSE(s.ok());
  // Unbounded recursion.
  s = RenderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("macro"), std::string::npos) << s;
  // Deep nesting in the source.
  EXPECT_FALSE(RenderError("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}").ok());
  std::string nested;
  for (int i = 0; i < 500; ++i) nested += "{% if true %}";
  EXPECT_FALSE(RenderError(nested).ok());
  EXPECT_FALSE(RenderError("{{ range(100000000) | length }}").ok());
  // Values nested without bound, and a namespace holding itself (a cycle).
  s = RenderError("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nested"), std::string::npos) << s;
  EXPECT_FALSE(RenderError("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").ok());
  EXPECT_FALSE(RenderError("{% set ns = namespace() %}{% set ns.l = [1, {'k': ns}] %}{{ ns }}").ok());
  EXPECT_FALSE(RenderError("{{ [1, 2] * 100000000 }}").ok());
}

// Constructs beyond the reference templates. Each expected string is what jinja2 3.1.6 renders
// for the snippet in transformers' environment (trim_blocks, lstrip_blocks, loop controls, HF's
// tojson), with the conversation below.
TEST(ChatTemplateTest, SnippetsRenderAsJinja2Does) {
  const std::vector<ChatMessage> messages = {{"system", "Sys prompt"},
                                             {"user", " H\xc3\xa9 said \"hi\"\n"},
                                             {"assistant", "<think>\nhmm\n</think>\n\nOK"},
                                             {"user", "again"}};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{{ 'a b'.split(' ', 0) }}{{ 'a b c'.rsplit(' ', 1) }}{{ ' a b c '.rsplit(None, 1) }}{{ ' a b c '.split(None, 1) }}",
       "['a b']['a b', 'c'][' a b', 'c']['a', 'b c ']"},
      {"{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}{% set c, d = 1, 2 %}{{ c }}{{ d }}{% set t = 1, 2 %}{{ t }}",
       "3712(1, 2)"},
      {"{% for m in messages %}{% for n in messages %}{% if loop.index > 1 %}{% break %}{% endif %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
       "11121314"},
      {"{% for i in [1, 2, 3] if i > 1 %}{{ loop.index }}:{{ i }}:{{ loop.length }}{% else %}none{% endfor %}",
       "1:2:22:3:2"},
      {"{% for i in [1, 2, 3] %}{{ loop.nextitem }}-{{ loop.previtem }};{% endfor %}",
       "2-;3-1;-2;"},
      {"{% macro m(a, b='B', c=none) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, c=3) }}{{ m(a=5, b=6) }}",
       "[1BNone][1B3][56None]"},
      {"{% for i in [1, 2] %}{% macro m(x) %}{{ i }}{{ x }}{% endmacro %}{{ m('a') }}{% endfor %}",
       "1a2a"},
      {"{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}",
       "321"},
      {"{% set x %}  block {{ 1 + 1 }}  {% endset %}[{{ x }}]",
       "[  block 2  ]"},
      {"{{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ 10 // 3 * 3 + 10 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 7 % -3 }}",
       "4 64 10 3.0 0.5 -2"},
      {"{{ not 1 == 2 }}{{ not (1 == 2) and 3 }}{{ 0 or '' or 'x' }}{{ 1 and 2 }}{{ none or false }}{{ 1 < 2 <= 2 > 1 }}",
       "True3x2FalseTrue"},
      {"{{ 6 is divisibleby(3) }}{{ 7 is divisibleby 2 }}{{ 1 is sameas true }}{{ 1 is in [1] }}{{ 5 is iterable }}{{ 'x' is iterable }}",
       "TrueFalseFalseTrueFalseTrue"},
      {"{{ x | default }}{{ x | default('d') }}{{ none | default('d') }}{{ none | default('d', true) }}{{ 0 | d('z', true) }}",
       "dNonedz"},
      {"{{ [3, 1, 2] | sort(reverse=true) }}{{ ['b', 'A', 'c'] | sort }}{{ messages | sort(attribute='role') | map(attribute='role') | list }}",
       "[3, 2, 1]['A', 'b', 'c']['assistant', 'system', 'user', 'user']"},
      {"{{ '42' | int }}{{ 'x' | int }}{{ 'x' | int(7) }}{{ 3.9 | int }}{{ '1e3' | float }}{{ true | int }}",
       "420731000.01"},
      {"{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent(2, blank=true) }}",
       "a\n    b\n\n    c|  a\n  b|a\n  \n  b"},
      {"{{ [1, 0, 2, none] | select | list }}{{ [1, 2, 3, 4] | select('even') | list }}{{ [1, 2, 3] | reject('odd') | list }}",
       "[1, 2][2, 4][2]"},
      {"{{ messages | map(attribute='missing', default='D') | list }}{{ [{'a': {'b': 1}}] | map(attribute='a.b') | list }}{{ [[5, 6]] | map(attribute='1') | list }}",
       "['D', 'D', 'D', 'D'][1][6]"},
      {"{{ {'z': 1, 'a': {'y': 2, 'b': 3}} | tojson(sort_keys=true, indent=1) }}{{ {1: 'a', true: 'b', none: 'c'} | tojson }}",
       "{\n \"a\": {\n  \"b\": 3,\n  \"y\": 2\n },\n \"z\": 1\n}{\"1\": \"b\", \"null\": \"c\"}"},
      {"{{ 'abcdef'[1:-1:2] }}{{ 'abcdef'[::-2] }}{{ [1, 2, 3][5:] }}{{ [1, 2, 3][-5:2] }}{{ 'abc'[5] }}{{ [1][5] is defined }}",
       "bdfdb[][1, 2]False"},
      {"{{ \"a\" \"b\" 'c' }}{{ 'it\\'s' }}{{ '\\x41\\u00e9\\101' }}{{ 'bs\\\\q' }}{{ 'unk\\qx' }}",
       "abcit'sAéAbs\\qunk\\qx"},
      {"{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}{% for i in [1, 2] %}{% set y = i %}{% endfor %}[{{ y }}]",
       "21[]"},
      {"a  {%- if true %}  b  {% endif -%}  c|a {%+ if true %}b{% endif %}|{%- raw -%}  {{ x }}  {%- endraw -%}|",
       "a  b  c|a b|{{ x }}|"},
      {"  {% if true %}\n  x\n  {% endif %}\n  y\n{# c #}\n  {# d #}\nz\n  {#- e -#}  \n w",
       "  x\n  y\nzw"},
      {"line1\r\nline2\r\n{% if true %}\r\nx\r\n{% endif %}\r\n",
       "line1\nline2\nx\n"},
      {"{{ 'aaa'.replace('', '-') }}{{ 'abc'.replace('', '-', 2) }}{{ ''.split(',') }}{{ ''.split() }}{{ ',a,'.split(',') }}",
       "-a-a-a--a-bc[''][]['', 'a', '']"},
      {"{{ 1.0 == 1 }}{{ [1] == [1] }}{{ {'a': 1} == {'a': 1.0} }}{{ (1,) == [1] }}{{ 'x' ~ true ~ 1.5 ~ [1] ~ {'a': none} }}",
       "TrueTrueTrueFalsexTrue1.5[1]{'a': None}"},
      {"{{ [1, [2, [3]]] }}{{ {'a': (1, 2)} }}{{ ['a\\'b', \"c\\\"d\"] }}{{ [1.0, -0.0, 1e100] }}{% set d = {'a': 1, 'a': 2} %}{{ d }}",
       "[1, [2, [3]]]{'a': (1, 2)}[\"a'b\", 'c\"d'][1.0, -0.0, 1e+100]{'a': 2}"},
      {"{{ messages | selectattr('role', 'in', ['user', 'system']) | list | length }}{{ messages[1:] | map(attribute='role') | join(', ') }}",
       "3user, assistant, user"},
      {"{{ (messages | selectattr('role', 'equalto', 'user') | list | last).content }}{{ messages | length - 1 }}{{ 'x' if false }}|",
       "again3|"}
  };
  for (const auto& [source, want] : cases) {
    auto t = ChatTemplate::FromSource(source, "snippet", "<s>", "</s>");
    ASSERT_TRUE(t.ok()) << source << "\n" << t.status();
    auto got = t->Render(messages, true);
    ASSERT_TRUE(got.ok()) << source << "\n" << got.status();
    EXPECT_EQ(*got, want) << source;
  }
}

TEST(ChatTemplateTest, CaseMappingIsUnicodeAsInPython) {
  // Python: 'Ünï straße'.upper() == 'ÜNÏ STRASSE'; 'ÀÉ'.lower() == 'àé'.
  auto t = ChatTemplate::FromSource("{{ 'Ünï straße'.upper() }}|{{ 'ÀÉ' | lower }}|{{ 'Ünï' is upper }}", "t", "", "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->Render({}, false), "ÜNÏ STRASSE|àé|False");
}

TEST(ChatTemplateTest, StrftimeNowFormatsTheCurrentTime) {
  auto t = ChatTemplate::FromSource("{{ strftime_now('%Y') }}", "t.jinja", "", "");
  ASSERT_TRUE(t.ok());
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  auto r = t->Render({}, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, std::to_string(tm.tm_year + 1900));
}

TEST(ChatTemplateTest, ToolsAndDocumentsAreNoneAsInTransformers) {
  auto t = ChatTemplate::FromSource("{{ tools is none }} {{ documents is none }} {{ bos_token }}", "t.jinja", "B", "E");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->Render({}, false), "True True B");
}

}  // namespace
}  // namespace lateral
