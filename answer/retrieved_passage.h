// A passage handed to the generative model as one numbered document, with
// where it came from so that the answer's citations can be printed as
// `path:line_begin-line_end`.
//
// Made by the CLI from a search hit (cli/commands/ask_command.cc) and read by
// the prompt builder (numbers, text) and the citation mapper (the rest).
// Plain data; no invariants beyond "number is 1-based once assigned".
#pragma once

#include <cstdint>
#include <string>

namespace lateral::answer {

struct RetrievedPassage {
  int number = 0;          // 1-based, as shown to the model (<document1>); 0 until the prompt builder assigns it
  std::string text;
  std::string path;        // source file, as the collection recorded it
  int64_t line_begin = 0;  // 1-based line span of the passage in its file; 0 = unknown
  int64_t line_end = 0;
  int64_t byte_begin = 0;  // byte span in the source file's text; 0/0 = unknown
  int64_t byte_end = 0;
  double score = 0;        // the retrieval score (of the search mode used)
  std::string doc_id;      // the passage's external id in the store
};

}  // namespace lateral::answer
