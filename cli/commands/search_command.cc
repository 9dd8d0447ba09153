// lateral search: ranked passages of the collection for a query -- BM25,
// ColBERT, hybrid (fused) or BM25 re-ranked by MaxSim -- for people on a
// terminal (highlighted snippets) and for scripts (--json).
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/collection/collection.h"
#include "cli/collection/collection_search.h"
#include "cli/collection/terminal.h"
#include "cli/collection/token_matches.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "cli/commands/collection_io.h"
#include "cli/commands/store_search.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

constexpr size_t kSnippetChars = 240;

// "2024-03-01" or "2024-03-01T12:30" (local time) -> Unix seconds.
absl::StatusOr<double> ParseDate(const std::string& text, const std::string& flag) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M", &tm);
  if (end == nullptr || *end != '\0') {
    tm = std::tm{};
    end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  }
  if (end == nullptr || *end != '\0') {
    return UsageError(absl::StrCat("--", flag, ": \"", text, "\" is not a date like 2024-03-01 or 2024-03-01T12:30"));
  }
  tm.tm_isdst = -1;
  return static_cast<double>(std::mktime(&tm));
}

// "docs/a.md:12-18": the path relative to the working directory when under it.
std::string Location(const DocumentRecord& record, const std::string& cwd) {
  std::string path = MetadataString(record, "path");
  if (path.rfind(cwd + "/", 0) == 0) path = path.substr(cwd.size() + 1);
  std::string doc = MetadataString(record, "doc");
  if (!doc.empty()) path = absl::StrCat(path, "#", doc);
  std::optional<int64_t> line = MetadataInteger(record, "line"), line_end = MetadataInteger(record, "line_end");
  if (line.has_value()) {
    path = absl::StrCat(path, ":", *line);
    if (line_end.has_value() && *line_end != *line) path = absl::StrCat(path, "-", *line_end);
  }
  return path;
}

// Byte spans of the passage's words whose analysed term is a query term.
std::vector<std::pair<size_t, size_t>> Matches(const Analyzer& analyzer, const DocumentRecord& record,
                                               const absl::flat_hash_set<std::string>& query_terms,
                                               std::vector<std::string>* matched_terms) {
  std::vector<std::pair<size_t, size_t>> spans;
  absl::flat_hash_set<std::string> seen;
  std::string lang = MetadataString(record, "lang");
  for (const AnalyzedToken& token : analyzer.Analyze(record.text, lang)) {
    if (!query_terms.contains(token.term)) continue;
    spans.push_back({token.byte_begin, token.byte_end});
    // Sub-word trigrams and CJK bigrams ("#arc") help ranking but say little to a reader.
    if (matched_terms != nullptr && token.term[0] != '#' && seen.insert(token.term).second) {
      matched_terms->push_back(token.term);
    }
  }
  return spans;
}

struct Output {
  bool json = false, explain = false, color = false, full = false;
  std::string cwd;
};

Json HitJson(const ResultHit& hit, size_t rank) {
  Json j = {{"rank", rank},
            {"id", hit.record.external_id},
            {"score", hit.score},
            {"path", MetadataString(hit.record, "path")},
            {"title", MetadataString(hit.record, "title")},
            {"text", hit.record.text},
            {"metadata", MetadataToJson(hit.record.metadata)}};
  if (auto line = MetadataInteger(hit.record, "line")) j["line"] = *line;
  if (auto line_end = MetadataInteger(hit.record, "line_end")) j["line_end"] = *line_end;
  if (hit.bm25.has_value()) j["bm25"] = {{"score", *hit.bm25}, {"rank", hit.bm25_rank}};
  if (hit.colbert.has_value()) j["colbert"] = {{"score", *hit.colbert}, {"rank", hit.colbert_rank}};
  return j;
}

Json TokenMatchesJson(const PassageMatches& matches) {
  Json tokens = Json::array();
  for (const TokenMatch& m : matches.tokens) {
    Json j = {{"query_token", m.query_token}, {"passage_token", m.passage_token}, {"similarity", m.similarity}};
    if (m.located) j["byte"] = m.byte_begin, j["byte_end"] = m.byte_end;
    tokens.push_back(std::move(j));
  }
  return {{"exact_score", matches.exact_score}, {"tokens", tokens}};
}

// A token as shown: without its leading space; "␣" when it is only spaces.
std::string ShownToken(const std::string& token) {
  absl::string_view stripped = absl::StripAsciiWhitespace(token);
  return stripped.empty() ? "␣" : std::string(stripped);
}

// "garden→Garten 0.83, soil→Erde 0.71".
std::string TokenMatchesLine(const PassageMatches& matches) {
  std::vector<std::string> parts;
  for (const TokenMatch& m : matches.tokens) {
    parts.push_back(absl::StrFormat("%s→%s %.2f", ShownToken(m.query_token), ShownToken(m.passage_token), m.similarity));
  }
  return absl::StrJoin(parts, ", ");
}

// `matches`: per hit, the ColBERT token matches (--explain in a ColBERT mode),
// else empty.
void PrintResponse(const Collection& collection, const SearchRequest& request, const SearchResponse& response,
                   const Output& out, const std::string& query_label, const std::vector<PassageMatches>& matches) {
  absl::flat_hash_set<std::string> query_terms;
  for (const AnalyzedToken& t : collection.analyzer().Analyze(request.query, request.lang)) query_terms.insert(t.term);
  if (out.json) {
    Json hits = Json::array();
    for (size_t i = 0; i < response.hits.size(); ++i) {
      hits.push_back(HitJson(response.hits[i], i + 1));
      if (i < matches.size()) hits.back()["token_matches"] = TokenMatchesJson(matches[i]);
    }
    if (out.explain) {
      Json timings = Json::object();
      for (const auto& [stage, ms] : response.timings_ms) timings[stage] = ms;
      Json terms = Json::array();
      for (const QueryTermStat& t : response.query_terms) terms.push_back({{"term", t.term}, {"df", t.document_frequency}});
      std::cout << Json{{"query", request.query}, {"mode", SearchModeName(request.mode)}, {"hits", hits},
                        {"timings_ms", timings}, {"query_terms", terms}}
                       .dump()
                << "\n";
    } else {
      std::cout << hits.dump() << "\n";
    }
    return;
  }
  if (!query_label.empty()) std::cout << query_label << "\n";
  if (response.hits.empty()) std::cout << "  (no results)\n";
  for (size_t i = 0; i < response.hits.size(); ++i) {
    const ResultHit& hit = response.hits[i];
    std::vector<std::string> matched;
    std::vector<std::pair<size_t, size_t>> spans = Matches(collection.analyzer(), hit.record, query_terms, &matched);
    if (i < matches.size()) {
      // Also the passage tokens the query's tokens matched best.
      for (const TokenMatch& m : matches[i].tokens) {
        if (m.located && m.byte_end > m.byte_begin) spans.push_back({m.byte_begin, m.byte_end});
      }
    }
    std::string title = MetadataString(hit.record, "title");
    std::string location = Location(hit.record, out.cwd);
    if (out.color) location = absl::StrCat("\x1b[35m", location, "\x1b[0m");
    std::cout << absl::StrFormat("%2d  %7.3f  %s%s\n", i + 1, hit.score, location,
                                 title.empty() ? "" : absl::StrCat("  ", title));
    std::string snippet = HighlightedSnippet(hit.record.text, spans, out.full ? hit.record.text.size() : kSnippetChars,
                                             out.color);
    std::cout << "    " << snippet << "\n";
    if (out.explain) {
      std::string parts;
      if (hit.bm25.has_value()) parts += absl::StrFormat("bm25 %.3f (#%d)", *hit.bm25, hit.bm25_rank);
      if (hit.colbert.has_value()) {
        parts += absl::StrFormat("%scolbert %.3f (#%d)", parts.empty() ? "" : ", ", *hit.colbert, hit.colbert_rank);
      }
      std::cout << "    [" << (parts.empty() ? "-" : parts) << "; matched: "
                << (matched.empty() ? "-" : absl::StrJoin(matched, " ")) << "; id " << hit.record.external_id << "]\n";
      if (i < matches.size()) {
        std::cout << absl::StrFormat("    [tokens (exact MaxSim %.3f): %s]\n", matches[i].exact_score,
                                     TokenMatchesLine(matches[i]));
      }
    }
  }
  if (out.explain) {
    std::cerr << "explain: mode " << SearchModeName(request.mode) << "\n";
    for (const auto& [stage, ms] : response.timings_ms) std::cerr << absl::StrFormat("  %-16s %9.2f ms\n", stage, ms);
    if (!response.query_terms.empty()) {
      std::cerr << "  query terms:";
      for (const QueryTermStat& t : response.query_terms) std::cerr << " " << t.term << " (df " << t.document_frequency << ")";
      std::cerr << "\n";
    }
    if (response.colbert_profile.has_value()) {
      const SearchProfile& p = *response.colbert_profile;
      std::cerr << absl::StrFormat(
          "  colbert: centroid scores %.2f ms, candidates %.2f ms (%d), pruned %.2f ms (%d), exact %.2f ms (%d)\n",
          p.centroid_scores_ms, p.candidates_ms, p.candidates, p.pruned_interaction_ms, p.after_pruning, p.exact_ms,
          p.exact_scored);
    }
  }
}

absl::StatusOr<SearchRequest> RequestFromFlags(const ParsedFlags& flags, Collection& collection) {
  const Settings& s = collection.settings();
  SearchRequest request;
  request.k = static_cast<int>(s.k);
  absl::StatusOr<SearchMode> mode = ResolveSearchMode(s.mode, collection.has_encoder());
  if (!mode.ok()) return UsageError(absl::StrCat("--", mode.status().message()));
  request.mode = *mode;
  request.weighted_fusion = s.fusion == "weighted";
  request.colbert_weight = s.colbert_weight;
  request.lang = s.lang;
  request.exhaustive = flags.Has("exhaustive");
  request.term_stats = flags.Has("explain");
  std::optional<std::string> where = flags.Get("where");
  if (!where.has_value()) where = flags.Get("filter");
  MetadataFilter filter;
  if (where.has_value()) {
    absl::StatusOr<MetadataFilter> parsed = ParseMetadataFilter(*where);
    if (!parsed.ok()) return UsageError(absl::StrCat("--where: ", parsed.status().message()));
    filter = std::move(*parsed);
  }
  for (const char* flag : {"since", "until"}) {
    std::optional<std::string> v = flags.Get(flag);
    if (!v.has_value()) continue;
    LATERAL_ASSIGN_OR_RETURN(double t, ParseDate(*v, flag));
    FilterClause clause;
    clause.field = "mtime";
    clause.op = FilterClause::Op::kRange;
    const double inf = std::numeric_limits<double>::infinity();
    clause.lower = std::string(flag) == "since" ? t : -inf;
    clause.upper = std::string(flag) == "since" ? inf : t;
    filter.clauses.push_back(clause);
  }
  if (!filter.clauses.empty()) request.where = std::move(filter);
  if (std::optional<std::string> globs = flags.Get("path")) {
    for (absl::string_view g : absl::StrSplit(*globs, ',', absl::SkipWhitespace())) {
      absl::StatusOr<ingest::GlobPattern> glob = ingest::GlobPattern::Parse(std::string(absl::StripAsciiWhitespace(g)));
      if (!glob.ok()) return UsageError(absl::StrCat("--path: ", glob.status().message()));
      request.path_globs.push_back(std::move(*glob));
    }
  }
  absl::StatusOr<std::optional<int64_t>> candidates = flags.GetInt("candidates");
  if (!candidates.ok()) return UsageError(std::string(candidates.status().message()));
  if (candidates->has_value()) {
    if (**candidates <= 0) return UsageError("--candidates must be positive");
    request.candidates = static_cast<int>(**candidates);
  }
  return request;
}

absl::StatusOr<std::vector<std::string>> Queries(const ParsedFlags& flags) {
  std::string query = flags.Get("query").value_or(absl::StrJoin(flags.positional(), " "));
  if (query.empty()) return UsageError("search needs a query: lateral search \"your question\"");
  if (query != "-") return std::vector<std::string>{query};
  std::vector<std::string> queries;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) queries.push_back(line);
  }
  if (std::cin.bad()) return absl::DataLossError("stdin: read error");
  if (queries.empty()) return UsageError("stdin: no queries (one per line)");
  return queries;
}

absl::Status RunSearch(const ParsedFlags& flags) {
  if (flags.Has("store")) return RunStoreSearch(flags);
  LATERAL_ASSIGN_OR_RETURN(std::vector<std::string> queries, Queries(flags));
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection, Collection::Open(paths, true, flags));
  LATERAL_ASSIGN_OR_RETURN(SearchRequest request, RequestFromFlags(flags, *collection));
  Output out;
  out.json = flags.Has("json");
  out.explain = flags.Has("explain");
  out.full = flags.Has("full");
  out.color = !out.json && UseColor(collection->settings().color, STDOUT_FILENO);
  std::error_code ec;
  out.cwd = std::filesystem::current_path(ec).string();
  if (!collection->has_encoder() && !out.json && collection->settings().mode.empty()) {
    std::cerr << "note: no ColBERT model in this collection; searching with BM25 only\n";
  }
  CollectionSearcher searcher(*collection);
  searcher.set_use_mapped_index(!flags.Has("no-mapped-index"));
  for (size_t i = 0; i < queries.size(); ++i) {
    request.query = queries[i];
    LATERAL_ASSIGN_OR_RETURN(SearchResponse response, searcher.Search(request));
    std::vector<PassageMatches> matches;
    if (out.explain && request.mode != SearchMode::kBm25 && !response.hits.empty()) {
      const auto start = std::chrono::steady_clock::now();
      LATERAL_ASSIGN_OR_RETURN(const ColbertEncoder* encoder, collection->Encoder());
      std::vector<std::string> texts;
      for (const ResultHit& hit : response.hits) texts.push_back(hit.record.text);
      LATERAL_ASSIGN_OR_RETURN(matches, MatchQueryTokens(*encoder, request.query, texts));
      response.timings_ms.emplace_back(
          "token matches", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    PrintResponse(*collection, request, response, out,
                  queries.size() > 1 && !out.json ? absl::StrCat("query ", i + 1, ": ", queries[i]) : "", matches);
    if (queries.size() > 1 && !out.json) std::cout << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command SearchCommand() {
  return Command{
      "search",
      "ranked passages of the collection for a query, in any language",
      "usage: lateral search QUERY... [-k N] [--mode bm25|colbert|hybrid|rerank] [--where EXPR]\n"
      "                      [--path GLOBS] [--since DATE] [--until DATE] [--json] [--explain]\n\n"
      "Prints one entry per passage: rank, score, source path and line span, title, and the passage\n"
      "with the query's words highlighted. The default mode is hybrid (BM25 and ColBERT candidates fused\n"
      "by reciprocal rank) when the collection has a ColBERT model, BM25 otherwise. rerank scores BM25's\n"
      "candidates by exact MaxSim. A query of - reads one query per line from stdin.\n\n"
      "--where keeps passages whose metadata match every clause: field = value, field IN (a, \"b c\"),\n"
      "field < <= > >= number, joined by AND. Fields: lang, title, format, path, doc, mtime, and those\n"
      "kept with `lateral add --metadata-fields`. --path keeps passages whose file matches a glob\n"
      "(relative to the collection folder); --since/--until compare the file's modification date.\n\n"
      "examples:\n"
      "  lateral search \"how do I undo a commit\"\n"
      "  lateral search Wie funktioniert die Suche -k 5\n"
      "  lateral search \"tar extract\" --where \"lang = de\" --path 'pages/**' --json\n"
      "  lateral search --mode bm25 --explain \"rocksdb compaction\"\n"
      "  lateral search - --json < queries.txt\n\n"
      "Raw stores built with `lateral index`: lateral search --store DIR --model DIR --query TEXT\n"
      "(--ncells, --threshold, --ndocs, --profile as before).\n",
      {CollectionFlag(),
       {"k", true, "number of results (default 10; config search.k)", "N"},
       {"mode", true, "bm25, colbert, hybrid or rerank (default: hybrid with a model, else bm25)", "MODE"},
       {"where", true, "metadata filter, e.g. \"lang = de AND year >= 2000\"", "EXPR"},
       {"filter", true, "same as --where", "EXPR"},
       {"path", true, "only passages of files matching these globs (comma-separated)", "GLOBS"},
       {"since", true, "only files modified on or after this date (YYYY-MM-DD[THH:MM])", "DATE"},
       {"until", true, "only files modified on or before this date", "DATE"},
       {"lang", true, "language of the query for stemming, e.g. de (default: from its script)", "LANG"},
       {"fusion", true, "hybrid fusion: rrf (default) or weighted", "NAME"},
       {"colbert-weight", true, "weighted fusion: ColBERT's weight in [0, 1] (default 0.5)", "W"},
       {"candidates", true, "candidates per retriever for hybrid and rerank (default max(100, 4k))", "N"},
       {"exhaustive", false, "ColBERT: exact MaxSim over every passage (slow; the reference)"},
       {"no-mapped-index", false, "ColBERT: build the index from the store instead of mapping .lateral/store/lateral-search.index"},
       {"json", false, "print results as JSON (one array per query and line)"},
       {"explain", false,
        "stage timings, query terms, per-hit scores and matched terms; in ColBERT modes also each query "
        "token's best-matching passage token (re-encodes the hits)"},
       {"full", false, "print whole passages instead of snippets"},
       {"color", true, "auto, always or never (default auto; NO_COLOR is honoured)", "WHEN"},
       {"model", true, "another copy of the collection's ColBERT model", "SPEC"},
       PrecisionFlag(),
       {"query", true, "the query (instead of positional words), or - for stdin", "TEXT"},
       // Raw stores (lateral index):
       {"store", true, "search a raw store built by `lateral index` instead of a collection", "DIR"},
       {"ncells", true, "raw stores: centroids probed per query token", "N"},
       {"threshold", true, "raw stores: centroid score pruning threshold", "X"},
       {"ndocs", true, "raw stores: documents kept after pruned interaction", "N"},
       {"profile", false, "raw stores: stage times on stderr"}},
      RunSearch};
}

}  // namespace lateral::cli
