// Reads a dataset in the BEIR layout: corpus, queries and relevance judgements (qrels).
//
// Layout of `dir` (each file plain or gzipped; the reader streams through zlib, which also
// reads plain files, so neither is copied whole into memory):
//   corpus.jsonl[.gz]    one JSON object per line: "_id" (string or integer), "text",
//                        optional "title", optional "lang" (or "language")
//   queries.jsonl[.gz]   "_id", "text", optional "lang" / "language"
//   qrels.tsv[.gz]  or  qrels/<split>.tsv[.gz]
//                        tab-separated query-id, corpus-id, integer score; an optional header
//                        line starting with "query-id" (or "query_id", "qid"). Rows with
//                        score <= 0 are not relevant and are dropped.
// Exactly one candidate file of each kind must exist; two (e.g. corpus.jsonl and corpus.jsonl.gz)
// is an error rather than a silent choice.
//
// Errors (InvalidArgument / NotFound) name the file and line: bad JSON, missing or mistyped field,
// duplicate id, a qrels row without exactly 3 columns, a non-integer score, or one (query, doc)
// pair judged twice with different scores. Blank lines, a UTF-8 BOM and CRLF line ends are
// tolerated. Not errors, but reported in BeirDataset::warnings with counts: qrels naming an unknown
// query or doc id (dropped), and queries without any relevant doc (dropped, as BEIR does).
//
// Called by the CLI's eval command and the benchmarks; ingest/beir/beir_eval.h joins the result
// with query/eval's metrics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace lateral::ingest {

struct BeirDocument {
  std::string id;
  std::string title;
  std::string text;
  std::string lang;  // "" when the file gives none
};

struct BeirQuery {
  std::string id;
  std::string text;
  std::string lang;  // "" when the file gives none
};

struct BeirDataset {
  std::vector<BeirDocument> corpus;  // in file order
  std::vector<BeirQuery> queries;    // in file order; only queries with >= 1 relevant doc
  // query id -> (doc id -> graded relevance > 0); every id names an entry of corpus / queries.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int>> qrels;
  std::vector<std::string> warnings;  // human-readable, each with a count and the file
};

struct BeirReadOptions {
  // Keep the first N queries (file order) that have relevant docs; -1 keeps all. Qrels of the
  // dropped queries go too. Deterministic: the same files and N give the same dataset.
  int64_t max_queries = -1;
  // Which qrels/<split>.tsv[.gz] to read when the dataset has a qrels/ folder.
  std::string split = "test";
};

absl::StatusOr<BeirDataset> ReadBeirDataset(const std::string& dir,
                                            const BeirReadOptions& options = {});

}  // namespace lateral::ingest
