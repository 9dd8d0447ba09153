#include "query/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lateral::eval {

namespace {

// Running sums of one view; Mean() turns them into a MetricSet.
struct Accumulator {
  int64_t n = 0;
  double ndcg = 0, r10 = 0, r100 = 0, mrr = 0;
  void Add(const QueryMetrics& m) {
    ++n;
    ndcg += m.ndcg_at_10;
    r10 += m.recall_at_10;
    r100 += m.recall_at_100;
    mrr += m.mrr_at_10;
  }
  MetricSet Mean() const {
    MetricSet s;
    s.num_queries = n;
    if (n == 0) return s;
    s.ndcg_at_10 = ndcg / n;
    s.recall_at_10 = r10 / n;
    s.recall_at_100 = r100 / n;
    s.mrr_at_10 = mrr / n;
    return s;
  }
};

std::map<std::string, MetricSet> Means(const std::map<std::string, Accumulator>& by_lang) {
  std::map<std::string, MetricSet> out;
  for (const auto& [lang, acc] : by_lang) out[lang] = acc.Mean();
  return out;
}

const std::string& LangOf(const LanguageMap& map, const std::string& id) {
  static const std::string* const kEmpty = new std::string();
  auto it = map.find(id);
  return it == map.end() ? *kEmpty : it->second;
}

}  // namespace

QueryMetrics ScoreRanking(const std::vector<std::string>& ranking,
                          const absl::flat_hash_map<std::string, int>& judgements) {
  QueryMetrics m;
  std::vector<int> grades;
  for (const auto& [doc, grade] : judgements) {
    if (grade > 0) grades.push_back(grade);
  }
  m.num_relevant = static_cast<int64_t>(grades.size());
  if (grades.empty()) return m;

  std::sort(grades.begin(), grades.end(), std::greater<int>());
  double ideal = 0;
  for (size_t i = 0; i < grades.size() && i < 10; ++i) ideal += grades[i] / std::log2(i + 2.0);

  double dcg = 0;
  int64_t hits10 = 0, hits100 = 0;
  for (size_t i = 0; i < ranking.size(); ++i) {
    auto it = judgements.find(ranking[i]);
    if (it == judgements.end() || it->second <= 0) continue;
    const int64_t rank = static_cast<int64_t>(i) + 1;
    if (m.first_relevant_rank == 0) m.first_relevant_rank = rank;
    if (rank <= 10) {
      dcg += it->second / std::log2(rank + 1.0);
      ++hits10;
    }
    if (rank <= 100) ++hits100;
  }
  m.ndcg_at_10 = dcg / ideal;
  m.recall_at_10 = static_cast<double>(hits10) / m.num_relevant;
  m.recall_at_100 = static_cast<double>(hits100) / m.num_relevant;
  if (m.first_relevant_rank >= 1 && m.first_relevant_rank <= 10) {
    m.mrr_at_10 = 1.0 / m.first_relevant_rank;
  }
  return m;
}

LatencySummary SummarizeLatency(std::vector<double> latencies_ms) {
  LatencySummary s;
  s.count = static_cast<int64_t>(latencies_ms.size());
  if (latencies_ms.empty()) return s;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const size_t n = latencies_ms.size();
  // Nearest rank: the smallest value with at least p% of the values <= it.
  auto percentile = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    rank = std::clamp<size_t>(rank, 1, n);
    return latencies_ms[rank - 1];
  };
  s.p50_ms = percentile(50);
  s.p90_ms = percentile(90);
  s.p99_ms = percentile(99);
  double sum = 0;
  for (double v : latencies_ms) sum += v;
  s.mean_ms = sum / static_cast<double>(n);
  s.max_ms = latencies_ms.back();
  return s;
}

absl::StatusOr<EvalReport> Evaluate(const Qrels& qrels, const LanguageMap& query_lang,
                                    const LanguageMap& doc_lang,
                                    const std::vector<RankedList>& results) {
  EvalReport report;
  absl::flat_hash_map<std::string, const RankedList*> by_query;
  by_query.reserve(results.size());
  std::vector<double> latencies;
  latencies.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const RankedList& list = results[i];
    if (list.query_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("results[", i, "]: empty query id"));
    }
    if (!by_query.emplace(list.query_id, &list).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("results[", i, "]: a second ranked list for query \"", list.query_id, "\""));
    }
    absl::flat_hash_map<absl::string_view, size_t> seen;
    seen.reserve(list.doc_ids.size());
    for (size_t r = 0; r < list.doc_ids.size(); ++r) {
      auto [it, inserted] = seen.emplace(list.doc_ids[r], r);
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            "results for query \"", list.query_id, "\": doc \"", list.doc_ids[r],
            "\" at rank ", r + 1, " repeats rank ", it->second + 1, "; rankings must be unique"));
      }
    }
    latencies.push_back(list.latency_ms);
    if (!qrels.contains(list.query_id)) ++report.num_results_without_qrels;
  }
  report.latency = SummarizeLatency(std::move(latencies));

  std::vector<const std::string*> query_ids;
  query_ids.reserve(qrels.size());
  for (const auto& [qid, judgements] : qrels) query_ids.push_back(&qid);
  std::sort(query_ids.begin(), query_ids.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });

  static const std::vector<std::string> kEmptyRanking;
  Accumulator overall, same, cross;
  std::map<std::string, Accumulator> per_lang, same_per_lang, cross_per_lang;
  for (const std::string* qid : query_ids) {
    const absl::flat_hash_map<std::string, int>& judgements = qrels.at(*qid);
    auto found = by_query.find(*qid);
    const RankedList* list = found == by_query.end() ? nullptr : found->second;
    const std::vector<std::string>& ranking = list ? list->doc_ids : kEmptyRanking;

    QueryMetrics m = ScoreRanking(ranking, judgements);
    if (m.num_relevant == 0) {
      // Only non-relevant judgements: not evaluated; its results then count as without qrels.
      if (list != nullptr) ++report.num_results_without_qrels;
      continue;
    }
    const std::string& lang = LangOf(query_lang, *qid);
    m.query_id = *qid;
    m.lang = lang;
    m.has_results = list != nullptr;
    m.latency_ms = list ? list->latency_ms : 0;
    if (!m.has_results) ++report.num_queries_without_results;
    overall.Add(m);
    per_lang[lang].Add(m);

    absl::flat_hash_map<std::string, int> same_judged, cross_judged;
    for (const auto& [doc, grade] : judgements) {
      if (grade <= 0) continue;
      (LangOf(doc_lang, doc) == lang ? same_judged : cross_judged).emplace(doc, grade);
    }
    if (!same_judged.empty()) {
      QueryMetrics s = ScoreRanking(ranking, same_judged);
      same.Add(s);
      same_per_lang[lang].Add(s);
    }
    if (!cross_judged.empty()) {
      QueryMetrics c = ScoreRanking(ranking, cross_judged);
      cross.Add(c);
      cross_per_lang[lang].Add(c);
    }
    report.per_query.push_back(std::move(m));
  }
  report.overall = overall.Mean();
  report.same_language = same.Mean();
  report.cross_language = cross.Mean();
  report.per_query_language = Means(per_lang);
  report.same_language_per_language = Means(same_per_lang);
  report.cross_language_per_language = Means(cross_per_lang);
  return report;
}

namespace {

std::string Row(const std::string& label, const MetricSet& s) {
  return absl::StrFormat("%-22s %8d %9.4f %9.4f %9.4f %9.4f\n", label, s.num_queries,
                         s.ndcg_at_10, s.recall_at_10, s.recall_at_100, s.mrr_at_10);
}

Json MetricsJson(const MetricSet& s) {
  Json j = Json::object();
  j["num_queries"] = s.num_queries;
  j["ndcg_at_10"] = s.ndcg_at_10;
  j["recall_at_10"] = s.recall_at_10;
  j["recall_at_100"] = s.recall_at_100;
  j["mrr_at_10"] = s.mrr_at_10;
  return j;
}

Json MapJson(const std::map<std::string, MetricSet>& by_lang) {
  Json j = Json::object();
  for (const auto& [lang, s] : by_lang) j[lang] = MetricsJson(s);
  return j;
}

}  // namespace

std::string FormatReport(const EvalReport& report) {
  std::string out = absl::StrFormat("%-22s %8s %9s %9s %9s %9s\n", "", "queries", "nDCG@10",
                                    "R@10", "R@100", "MRR@10");
  out += Row("overall", report.overall);
  if (report.same_language.num_queries > 0) out += Row("same-language", report.same_language);
  if (report.cross_language.num_queries > 0) out += Row("cross-language", report.cross_language);
  // Per language only when there is more than one, or the one language is named.
  if (report.per_query_language.size() > 1 ||
      (report.per_query_language.size() == 1 && !report.per_query_language.begin()->first.empty())) {
    for (const auto& [lang, s] : report.per_query_language) {
      const std::string name = lang.empty() ? "(none)" : lang;
      out += Row(absl::StrCat(name, " all"), s);
      if (auto it = report.same_language_per_language.find(lang);
          it != report.same_language_per_language.end()) {
        out += Row(absl::StrCat(name, " same"), it->second);
      }
      if (auto it = report.cross_language_per_language.find(lang);
          it != report.cross_language_per_language.end()) {
        out += Row(absl::StrCat(name, " cross"), it->second);
      }
    }
  }
  const LatencySummary& l = report.latency;
  out += absl::StrFormat(
      "latency over %d queries (ms): p50 %.2f  p90 %.2f  p99 %.2f  mean %.2f  max %.2f\n", l.count,
      l.p50_ms, l.p90_ms, l.p99_ms, l.mean_ms, l.max_ms);
  if (report.num_queries_without_results > 0) {
    out += absl::StrFormat("%d judged queries had no results (scored 0)\n",
                           report.num_queries_without_results);
  }
  if (report.num_results_without_qrels > 0) {
    out += absl::StrFormat("%d result lists had no relevant docs in the qrels (ignored)\n",
                           report.num_results_without_qrels);
  }
  return out;
}

Json ReportToJson(const EvalReport& report, bool include_per_query) {
  Json j = Json::object();
  j["overall"] = MetricsJson(report.overall);
  j["same_language"] = MetricsJson(report.same_language);
  j["cross_language"] = MetricsJson(report.cross_language);
  j["per_query_language"] = MapJson(report.per_query_language);
  j["same_language_per_language"] = MapJson(report.same_language_per_language);
  j["cross_language_per_language"] = MapJson(report.cross_language_per_language);
  Json latency = Json::object();
  latency["count"] = report.latency.count;
  latency["p50_ms"] = report.latency.p50_ms;
  latency["p90_ms"] = report.latency.p90_ms;
  latency["p99_ms"] = report.latency.p99_ms;
  latency["mean_ms"] = report.latency.mean_ms;
  latency["max_ms"] = report.latency.max_ms;
  j["latency"] = latency;
  j["num_queries_without_results"] = report.num_queries_without_results;
  j["num_results_without_qrels"] = report.num_results_without_qrels;
  if (include_per_query) {
    Json rows = Json::array();
    for (const QueryMetrics& m : report.per_query) {
      Json q = Json::object();
      q["query_id"] = m.query_id;
      q["lang"] = m.lang;
      q["num_relevant"] = m.num_relevant;
      q["first_relevant_rank"] = m.first_relevant_rank;
      q["ndcg_at_10"] = m.ndcg_at_10;
      q["recall_at_10"] = m.recall_at_10;
      q["recall_at_100"] = m.recall_at_100;
      q["mrr_at_10"] = m.mrr_at_10;
      q["latency_ms"] = m.latency_ms;
      q["has_results"] = m.has_results;
      rows.push_back(std::move(q));
    }
    j["per_query"] = std::move(rows);
  }
  return j;
}

}  // namespace lateral::eval
