// Adapter from a BEIR dataset to query/eval's metrics.
//
// query/ must not include ingest/ headers (docs/ARCHITECTURE.md), so eval::Evaluate takes plain
// maps; this header builds them from a BeirDataset. Header-only on purpose: lateral_ingest does not
// link lateral_query, so only callers that evaluate (CLI, benchmarks, tests) pay for it, and they
// link both libraries.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "ingest/beir/beir_dataset.h"
#include "query/eval/metrics.h"

namespace lateral::ingest {

// Languages of every query and document of `dataset`, as eval::Evaluate wants them.
inline void BeirLanguageMaps(const BeirDataset& dataset, eval::LanguageMap* query_lang,
                             eval::LanguageMap* doc_lang) {
  query_lang->clear();
  doc_lang->clear();
  query_lang->reserve(dataset.queries.size());
  for (const BeirQuery& q : dataset.queries) (*query_lang)[q.id] = q.lang;
  doc_lang->reserve(dataset.corpus.size());
  for (const BeirDocument& d : dataset.corpus) (*doc_lang)[d.id] = d.lang;
}

// eval::Evaluate with the dataset's qrels and languages.
inline absl::StatusOr<eval::EvalReport> EvaluateBeir(const BeirDataset& dataset,
                                                     const std::vector<eval::RankedList>& results) {
  eval::LanguageMap query_lang, doc_lang;
  BeirLanguageMaps(dataset, &query_lang, &doc_lang);
  return eval::Evaluate(dataset.qrels, query_lang, doc_lang, results);
}

}  // namespace lateral::ingest
