// The reference encodings of tests/data/tokenizer-lfm2like/, shared by the
// tokenizer tests: every line of expected_encodings.jsonl is what Hugging Face
// tokenizers 0.23 (through transformers 5.17) produced for one text.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace lateral::testing {

inline std::string Lfm2LikeDir() { return std::string(LATERAL_TEST_DATA_DIR) + "/tokenizer-lfm2like"; }

struct FixtureCase {
  int line = 0;  // 1-based line in expected_encodings.jsonl
  std::string text;
  std::vector<int32_t> ids;           // add_special_tokens=False
  std::vector<int32_t> ids_with_bos;  // add_special_tokens=True
  std::string decoded;                // decode(ids)
};

// Loads all cases; fails the current test (and returns what it has) on a
// malformed line.
inline std::vector<FixtureCase> LoadFixtureCases() {
  std::vector<FixtureCase> cases;
  std::ifstream in(Lfm2LikeDir() + "/expected_encodings.jsonl");
  EXPECT_TRUE(in.good()) << "cannot open expected_encodings.jsonl";
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j["text"].is_string() || !j["ids"].is_array() ||
        !j["ids_with_bos"].is_array() || !j["decoded"].is_string()) {
      ADD_FAILURE() << "malformed fixture line " << number;
      return cases;
    }
    FixtureCase c;
    c.line = number;
    c.text = j["text"].get<std::string>();
    c.ids = j["ids"].get<std::vector<int32_t>>();
    c.ids_with_bos = j["ids_with_bos"].get<std::vector<int32_t>>();
    c.decoded = j["decoded"].get<std::string>();
    cases.push_back(std::move(c));
  }
  return cases;
}

inline std::string FormatIds(const std::vector<int32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

}  // namespace lateral::testing
