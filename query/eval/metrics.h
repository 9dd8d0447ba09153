// Retrieval metrics as BEIR computes them (through pytrec_eval), and latency percentiles.
//
// Evaluate() scores ranked result lists against graded relevance judgements (qrels):
//   nDCG@10   linear gains: DCG = sum over ranks i = 1..10 of rel_i / log2(i + 1); the ideal DCG
//             takes the query's judged relevances sorted descending (top 10); nDCG = DCG / IDCG.
//   Recall@k  |relevant docs in the top k| / |relevant docs|.
//   MRR@10    1 / rank of the first relevant doc within the top 10, else 0.
// A doc is relevant when its grade is > 0. A query with no relevant doc is not evaluated (it is
// absent from every mean), exactly as pytrec_eval skips it. Means are unweighted over queries.
//
// Differences from pytrec_eval, chosen so that a broken run cannot look good:
//   - a query that has relevant docs but no RankedList is evaluated as an empty ranking (all
//     metrics 0) and counted in EvalReport::num_queries_without_results; pytrec_eval would drop it
//     and report a higher mean.
//   - a RankedList that repeats a doc id, or two RankedLists for the same query, are rejected
//     (InvalidArgument naming the query and doc); pytrec_eval's dict-based run cannot express them.
// RankedLists for queries without relevant docs are ignored for metrics (counted in
// num_results_without_qrels) but still enter the latency summary.
//
// Same-/cross-language views restrict each query's qrels to docs whose language equals (differs
// from) the query's language and evaluate the unchanged ranking against that subset: in the
// same-language view a relevant doc in another language counts as not relevant. A query enters a
// view only if it has >= 1 relevant doc in that view. Languages missing from the maps are "".
//
// Latency percentiles use the nearest-rank definition: p-th percentile of n sorted values is
// sorted[ceil(p / 100 * n) - 1] (so p50 of {1,2,3,4} is 2, p99 of 10 values is the maximum).
//
// query/ never includes ingest/: the adapter from a BEIR dataset (ingest::BeirDataset) to these
// plain maps is ingest/beir/beir_eval.h. Called by the CLI's eval command and the benchmarks.
// All functions are pure and thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/json.h"

namespace lateral::eval {

// query id -> (doc id -> graded relevance). Grades <= 0 are treated as not relevant.
using Qrels = absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int>>;
// id -> language tag (e.g. "en", "pt_BR"); ids missing from the map have language "".
using LanguageMap = absl::flat_hash_map<std::string, std::string>;

// One query's results, best first. doc_ids must be unique.
struct RankedList {
  std::string query_id;
  std::vector<std::string> doc_ids;
  double latency_ms = 0;
};

// Means over num_queries evaluated queries (all 0 when num_queries == 0).
struct MetricSet {
  int64_t num_queries = 0;
  double ndcg_at_10 = 0;
  double recall_at_10 = 0;
  double recall_at_100 = 0;
  double mrr_at_10 = 0;
};

// Nearest-rank percentiles (see the file comment); all 0 when count == 0.
struct LatencySummary {
  int64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
};

// One evaluated query (overall view), so callers can print the worst queries.
struct QueryMetrics {
  std::string query_id;
  std::string lang;
  int64_t num_relevant = 0;       // judged docs with grade > 0
  int64_t first_relevant_rank = 0;  // 1-based rank of the first relevant doc; 0 if none retrieved
  double ndcg_at_10 = 0;
  double recall_at_10 = 0;
  double recall_at_100 = 0;
  double mrr_at_10 = 0;
  double latency_ms = 0;
  bool has_results = false;       // false: no RankedList was given for this query
};

struct EvalReport {
  MetricSet overall;
  std::map<std::string, MetricSet> per_query_language;  // keyed by query language ("" if none)
  MetricSet same_language;   // qrels restricted to docs in the query's language
  MetricSet cross_language;  // qrels restricted to docs in other languages
  std::map<std::string, MetricSet> same_language_per_language;   // keyed by query language
  std::map<std::string, MetricSet> cross_language_per_language;  // keyed by query language
  LatencySummary latency;    // over every RankedList given
  std::vector<QueryMetrics> per_query;  // overall view, in ascending query id order
  int64_t num_queries_without_results = 0;  // evaluated as empty rankings
  int64_t num_results_without_qrels = 0;    // RankedLists ignored for metrics
};

// Scores `results` against `qrels`. Errors: a RankedList with an empty query id, a repeated
// doc id in one list, or a second list for the same query id.
absl::StatusOr<EvalReport> Evaluate(const Qrels& qrels, const LanguageMap& query_lang,
                                    const LanguageMap& doc_lang,
                                    const std::vector<RankedList>& results);

// Metrics of one ranking against one query's judgements (doc id -> grade); building block of
// Evaluate, exposed for tests and for callers that score on the fly. `ranking` must be unique.
QueryMetrics ScoreRanking(const std::vector<std::string>& ranking,
                          const absl::flat_hash_map<std::string, int>& judgements);

// Nearest-rank summary of `latencies_ms` (any order).
LatencySummary SummarizeLatency(std::vector<double> latencies_ms);

// An aligned text table for terminals: overall, same-/cross-language, then one row per query
// language (all / same / cross), then latency.
std::string FormatReport(const EvalReport& report);

// The whole report except per_query, for --json; per_query is added with `include_per_query`.
Json ReportToJson(const EvalReport& report, bool include_per_query = false);

}  // namespace lateral::eval
