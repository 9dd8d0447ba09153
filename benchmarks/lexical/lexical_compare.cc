// lexical_compare: lateral's BM25 (index/lexical analyser + query/lexical
// searcher) against SQLite FTS5 and Xapian on the same documents and queries.
//
//   lexical_compare [--xquad DIR] [--udhr DIR] [--max-queries N]
//                   [--workloads xquad-r,udhr-ki]
//                   [--engines lateral,lateral-words,fts5,fts5-trigram,xapian]
//                   [--stem 0|1] [--fold 0|1] [--cjk-bigrams 0|1] [--trigrams 0|1]
//                   [--k1 X] [--b X] [--untagged] [--query-tag own|none]
//
// --untagged hides every language tag from the engines (not from the
// evaluation); --query-tag none analyses queries without their tag (lateral).
// lateral-words is lateral without sub-word trigrams.
//
// Two workloads:
//   xquad-r  (BEIR layout, ../shared/corpora/xquad-r): 13,014 answer
//            sentences in 11 languages, 1,190 questions per language. Scored
//            with query/eval's same-language view: each query's qrels
//            restricted to the document in its own language (the one that a
//            lexical engine can find).
//   udhr-ki  a known-item set built here from the UDHR corpus for ja, zh, th
//            (see BuildUdhrKnownItems for the construction, also printed).
// Engines index the document text only (no title). Every engine returns its
// top 100; latency is measured per query around the engine's own work
// (lateral: query analysis + search; FTS5: statement execution; Xapian: query
// parsing + search). Index build time is wall time for analysing/inserting
// every document, single thread. Output: markdown tables on stdout.
#include <sqlite3.h>
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "index/lexical/analyzer.h"
#include "ingest/beir/beir_dataset.h"
#include "query/eval/metrics.h"
#include "query/lexical/bm25_searcher.h"

namespace lateral {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// lang is what the engines see; eval_lang is what the evaluation uses (they
// differ only with --untagged).
struct Doc {
  std::string id, text, lang, eval_lang;
};
struct Query {
  std::string id, text, lang, eval_lang;
};

// One workload: documents, queries, judgements, languages.
struct Workload {
  std::string name;
  std::vector<Doc> docs;
  std::vector<Query> queries;
  eval::Qrels qrels;
  std::string description;
};

struct Flags {
  // The evaluation corpora sit beside the repository (../shared/corpora).
  std::string xquad = std::string(LATERAL_SOURCE_DIR) + "/../shared/corpora/xquad-r";
  std::string udhr = std::string(LATERAL_SOURCE_DIR) + "/../shared/corpora/udhr";
  int64_t max_queries = -1;
  std::set<std::string> engines = {"lateral", "lateral-words", "fts5", "fts5-trigram", "xapian"};
  AnalyzerOptions analyzer;
  bool untagged = false;
  std::string query_tag = "own";
  double k1 = 1.2, b = 0.75;
};

// ---------------------------------------------------------------- engines

struct EngineRun {
  std::string engine;
  double build_s = 0;
  std::vector<eval::RankedList> results;
  std::string note;
};

std::string PrimarySubtag(const std::string& tag) {
  std::string out;
  for (char c : tag) {
    if (c == '-' || c == '_') break;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// words_only: the same analyser without sub-word trigrams, to show what they add.
EngineRun RunLateral(const Workload& w, const Flags& flags, bool words_only) {
  EngineRun run;
  run.engine = words_only ? "lateral-words" : "lateral";
  AnalyzerOptions analyzer_options = flags.analyzer;
  if (words_only) analyzer_options.subword_trigrams = false;
  absl::StatusOr<std::unique_ptr<Analyzer>> analyzer = Analyzer::Create(analyzer_options);
  if (!analyzer.ok()) {
    std::fprintf(stderr, "%s\n", analyzer.status().ToString().c_str());
    std::exit(1);
  }
  run.note = (*analyzer)->Identity();
  InMemoryLexicalIndex index;
  auto t0 = Clock::now();
  for (size_t i = 0; i < w.docs.size(); ++i) {
    absl::Status s = index.Add(static_cast<uint32_t>(i), (*analyzer)->Terms(w.docs[i].text, w.docs[i].lang));
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
  run.build_s = MsSince(t0) / 1000;
  Bm25Options options;
  options.k = 100;
  options.k1 = flags.k1;
  options.b = flags.b;
  run.note += absl::StrFormat(", k1=%g b=%g", flags.k1, flags.b);
  for (const Query& q : w.queries) {
    eval::RankedList list;
    list.query_id = q.id;
    auto q0 = Clock::now();
    const std::string lang = flags.query_tag == "none" ? "" : q.lang;
    absl::StatusOr<std::vector<LexicalHit>> hits =
        SearchBm25(index, (*analyzer)->QueryTerms(q.text, lang), options);
    list.latency_ms = MsSince(q0);
    if (!hits.ok()) {
      std::fprintf(stderr, "%s\n", hits.status().ToString().c_str());
      std::exit(1);
    }
    for (const LexicalHit& h : *hits) list.doc_ids.push_back(w.docs[h.doc_id].id);
    run.results.push_back(std::move(list));
  }
  return run;
}

void SqliteCheck(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s: %s\n", sql.c_str(), error ? error : "?");
    std::exit(1);
  }
}

std::string Quote(const std::string& token) {
  std::string out = "\"";
  for (char c : token) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Character trigrams of the runs of letters, digits and marks of `text`, for
// the trigram tokenizer (which matches substrings of 3+ characters).
std::vector<std::string> Trigrams(const std::string& text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<int32_t> starts;  // of the current run's characters
  auto flush = [&](int32_t end) {
    starts.push_back(end);
    for (size_t i = 0; i + 3 < starts.size(); ++i) {
      std::string g = text.substr(starts[i], starts[i + 3] - starts[i]);
      if (seen.insert(g).second) out.push_back(g);
    }
    starts.clear();
  };
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(text.data(), i, n, c);
    const int8_t type = c < 0 ? static_cast<int8_t>(U_UNASSIGNED) : u_charType(c);
    const bool word = c >= 0 && (u_isalnum(c) || type == U_NON_SPACING_MARK ||
                                 type == U_COMBINING_SPACING_MARK || u_isalpha(c));
    if (word) {
      starts.push_back(start);
    } else if (!starts.empty()) {
      flush(start);
    }
  }
  if (!starts.empty()) flush(n);
  return out;
}

// trigram == false: default unicode61 tokenizer; queries are the OR of the
// double-quoted tokens that FTS5's own tokenizer finds in the query (read
// back through fts5vocab). trigram == true: the trigram tokenizer; queries
// are the OR of the query's character trigrams.
EngineRun RunFts5(const Workload& w, bool trigram) {
  EngineRun run;
  run.engine = trigram ? "fts5-trigram" : "fts5";
  run.note = absl::StrCat("SQLite ", sqlite3_libversion(), trigram ? ", tokenize=trigram" : ", unicode61");
  sqlite3* db = nullptr;
  SqliteCheck(sqlite3_open(":memory:", &db), db, "open");
  const std::string tokenize = trigram ? ", tokenize='trigram'" : "";
  Exec(db, absl::StrCat("CREATE VIRTUAL TABLE d USING fts5(body", tokenize, ")"));
  Exec(db, "CREATE VIRTUAL TABLE qt USING fts5(x)");
  Exec(db, "CREATE VIRTUAL TABLE qt_v USING fts5vocab(qt, 'instance')");
  auto t0 = Clock::now();
  Exec(db, "BEGIN");
  sqlite3_stmt* insert = nullptr;
  SqliteCheck(sqlite3_prepare_v2(db, "INSERT INTO d(rowid, body) VALUES(?1, ?2)", -1, &insert, nullptr), db,
              "prepare insert");
  for (size_t i = 0; i < w.docs.size(); ++i) {
    sqlite3_bind_int64(insert, 1, static_cast<int64_t>(i));
    sqlite3_bind_text(insert, 2, w.docs[i].text.data(), static_cast<int>(w.docs[i].text.size()), SQLITE_STATIC);
    SqliteCheck(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  Exec(db, "COMMIT");
  run.build_s = MsSince(t0) / 1000;

  sqlite3_stmt *tok_insert = nullptr, *tok_read = nullptr, *search = nullptr;
  SqliteCheck(sqlite3_prepare_v2(db, "INSERT INTO qt(rowid, x) VALUES(1, ?1)", -1, &tok_insert, nullptr), db, "p1");
  SqliteCheck(sqlite3_prepare_v2(db, "SELECT term FROM qt_v ORDER BY offset", -1, &tok_read, nullptr), db, "p2");
  SqliteCheck(sqlite3_prepare_v2(db, "SELECT rowid FROM d WHERE d MATCH ?1 ORDER BY bm25(d) LIMIT 100", -1,
                                 &search, nullptr),
              db, "p3");
  for (const Query& q : w.queries) {
    std::vector<std::string> tokens;
    if (trigram) {
      tokens = Trigrams(q.text);
    } else {
      Exec(db, "DELETE FROM qt");
      sqlite3_bind_text(tok_insert, 1, q.text.data(), static_cast<int>(q.text.size()), SQLITE_STATIC);
      SqliteCheck(sqlite3_step(tok_insert), db, "tokenize");
      sqlite3_reset(tok_insert);
      while (sqlite3_step(tok_read) == SQLITE_ROW) {
        tokens.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(tok_read, 0)));
      }
      sqlite3_reset(tok_read);
    }
    std::string match;
    for (const std::string& t : tokens) {
      if (!match.empty()) match += " OR ";
      match += Quote(t);
    }
    eval::RankedList list;
    list.query_id = q.id;
    auto q0 = Clock::now();
    if (!match.empty()) {
      sqlite3_bind_text(search, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
      int rc;
      while ((rc = sqlite3_step(search)) == SQLITE_ROW) {
        list.doc_ids.push_back(w.docs[sqlite3_column_int64(search, 0)].id);
      }
      SqliteCheck(rc, db, "search");
      sqlite3_reset(search);
    }
    list.latency_ms = MsSince(q0);
    run.results.push_back(std::move(list));
  }
  sqlite3_finalize(tok_insert);
  sqlite3_finalize(tok_read);
  sqlite3_finalize(search);
  sqlite3_close(db);
  return run;
}

Xapian::Stem XapianStem(const std::string& lang, std::set<std::string>* unsupported) {
  const std::string code = PrimarySubtag(lang);
  if (code.empty()) return Xapian::Stem();
  try {
    return Xapian::Stem(code);
  } catch (const Xapian::Error&) {
    unsupported->insert(code);
    return Xapian::Stem();
  }
}

EngineRun RunXapian(const Workload& w) {
  EngineRun run;
  run.engine = "xapian";
  std::set<std::string> unsupported;
  int64_t parse_failures = 0;
  try {
    Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
    Xapian::TermGenerator generator;
    generator.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    generator.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    std::map<std::string, Xapian::Stem> stems;
    auto stem_for = [&](const std::string& lang) {
      auto it = stems.find(lang);
      if (it == stems.end()) it = stems.emplace(lang, XapianStem(lang, &unsupported)).first;
      return it->second;
    };
    auto t0 = Clock::now();
    for (size_t i = 0; i < w.docs.size(); ++i) {
      Xapian::Document doc;
      generator.set_stemmer(stem_for(w.docs[i].lang));
      generator.set_document(doc);
      generator.index_text(w.docs[i].text);
      db.replace_document(static_cast<Xapian::docid>(i + 1), doc);
    }
    db.commit();
    run.build_s = MsSince(t0) / 1000;
    Xapian::Enquire enquire(db);
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    for (const Query& q : w.queries) {
      eval::RankedList list;
      list.query_id = q.id;
      auto q0 = Clock::now();
      Xapian::QueryParser parser;
      parser.set_stemmer(stem_for(q.lang));
      parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
      parser.set_default_op(Xapian::Query::OP_OR);
      Xapian::Query query;
      try {
        query = parser.parse_query(q.text, Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM);
      } catch (const Xapian::QueryParserError&) {
        try {
          query = parser.parse_query(q.text, Xapian::QueryParser::FLAG_CJK_NGRAM);
        } catch (const Xapian::QueryParserError&) {
          ++parse_failures;  // searched as an empty query: no results
        }
      }
      enquire.set_query(query);
      Xapian::MSet mset = enquire.get_mset(0, 100);
      for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
        list.doc_ids.push_back(w.docs[*it - 1].id);
      }
      list.latency_ms = MsSince(q0);
      run.results.push_back(std::move(list));
    }
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "xapian: %s\n", e.get_description().c_str());
    std::exit(1);
  }
  run.note = absl::StrCat("Xapian ", Xapian::version_string(), ", STEM_SOME, FLAG_CJK_NGRAM, BM25Weight()");
  std::set<std::string> query_langs;
  for (const Query& q : w.queries) query_langs.insert(PrimarySubtag(q.lang));
  std::string missing;
  for (const std::string& code : unsupported) {
    if (query_langs.count(code)) missing += " " + code;
  }
  if (!missing.empty()) run.note += "; no Xapian stemmer for query languages:" + missing;
  if (parse_failures > 0) run.note += absl::StrCat("; ", parse_failures, " queries failed to parse");
  return run;
}

// ---------------------------------------------------------------- workloads

Workload LoadXquad(const Flags& flags) {
  ingest::BeirReadOptions options;
  options.max_queries = flags.max_queries;
  absl::StatusOr<ingest::BeirDataset> data = ingest::ReadBeirDataset(flags.xquad, options);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    std::exit(1);
  }
  Workload w;
  w.name = "xquad-r";
  for (ingest::BeirDocument& d : data->corpus) w.docs.push_back({d.id, d.text, d.lang, d.lang});
  for (ingest::BeirQuery& q : data->queries) w.queries.push_back({q.id, q.text, q.lang, q.lang});
  w.qrels = data->qrels;
  w.description = absl::StrCat("xquad-r: ", w.docs.size(), " documents, ", w.queries.size(),
                               " queries; same-language view (qrels restricted to the document in the "
                               "query's language)");
  return w;
}

std::vector<std::string> Sentences(const std::string& text) {
  std::vector<std::string> out;
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createSentenceInstance(icu::Locale::getRoot(), status));
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  it->setText(u);
  int32_t begin = it->first();
  for (int32_t end = it->next(); end != icu::BreakIterator::DONE; begin = end, end = it->next()) {
    std::string s;
    u.tempSubStringBetween(begin, end).trim().toUTF8String(s);
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// Known items from UDHR. For ja (jpn), zh (cmn_hans) and th (tha): every
// sentence of every article with >= 12 characters (at most 3 per article)
// becomes a query, after deleting 3 spans of 2 characters each at seeded
// random positions (character spans, not words, so no engine's segmenter
// decides what is removed). The one relevant document is the source article.
// The corpus is the whole UDHR corpus (all ~470 languages, distractors)
// except the other versions in the same language (jpn_osaka, jpn_tokyo,
// cmn_hans_*, cmn_hant, tha2), which are near-copies of the source articles.
Workload BuildUdhrKnownItems(const Flags& flags) {
  absl::StatusOr<ingest::BeirDataset> data = ingest::ReadBeirDataset(flags.udhr, {});
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    std::exit(1);
  }
  const std::map<std::string, std::string> sources = {{"ja", "jpn/"}, {"zh", "cmn_hans/"}, {"th", "tha/"}};
  Workload w;
  w.name = "udhr-ki";
  std::mt19937 rng(20261127);
  for (ingest::BeirDocument& d : data->corpus) {
    const std::string primary = PrimarySubtag(d.lang);
    auto source = sources.find(primary);
    if (source != sources.end() && d.id.rfind(source->second, 0) != 0) continue;  // sibling version
    w.docs.push_back({d.id, d.text, d.lang, d.lang});
    if (source == sources.end()) continue;
    int made = 0;
    for (const std::string& sentence : Sentences(d.text)) {
      icu::UnicodeString u = icu::UnicodeString::fromUTF8(sentence);
      if (u.countChar32() < 12 || made >= 3) continue;
      for (int cut = 0; cut < 3; ++cut) {
        const int32_t len = u.length();
        if (len < 6) break;
        const int32_t at = static_cast<int32_t>(rng() % static_cast<uint32_t>(len - 2));
        u.remove(at, 2);
      }
      std::string text;
      u.toUTF8String(text);
      const std::string qid = absl::StrCat(d.id, "#", made);
      w.queries.push_back({qid, text, d.lang, d.lang});
      w.qrels[qid][d.id] = 1;
      ++made;
    }
  }
  if (flags.max_queries >= 0 && static_cast<int64_t>(w.queries.size()) > flags.max_queries) {
    w.queries.resize(flags.max_queries);
  }
  w.description = absl::StrCat(
      "udhr-ki (known item): ", w.docs.size(), " UDHR articles in all languages (minus the other versions of "
      "ja/zh/th: jpn_osaka, jpn_tokyo, cmn_hans_*, cmn_hant, tha2), ", w.queries.size(),
      " queries = sentences (>= 12 chars, <= 3 per article) of the jpn, cmn_hans and tha articles with 3 "
      "random 2-character spans deleted; the source article is the one relevant document");
  return w;
}

// ---------------------------------------------------------------- report

void PrintWorkload(const Workload& w, const std::vector<EngineRun>& runs) {
  eval::LanguageMap query_lang, doc_lang;
  for (const Query& q : w.queries) query_lang[q.id] = q.eval_lang;
  for (const Doc& d : w.docs) doc_lang[d.id] = d.eval_lang;
  std::vector<eval::EvalReport> reports;
  for (const EngineRun& run : runs) {
    absl::StatusOr<eval::EvalReport> r = eval::Evaluate(w.qrels, query_lang, doc_lang, run.results);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", run.engine.c_str(), r.status().ToString().c_str());
      std::exit(1);
    }
    reports.push_back(*std::move(r));
  }
  std::printf("\n### %s\n\n%s.\n\n", w.name.c_str(), w.description.c_str());
  std::set<std::string> langs;
  for (const eval::EvalReport& r : reports) {
    for (const auto& [lang, m] : r.same_language_per_language) langs.insert(lang);
  }
  std::string header = "| lang | n |", rule = "|---|---:|";
  for (const EngineRun& run : runs) {
    header += absl::StrCat(" ", run.engine, " nDCG@10 | ", run.engine, " R@100 |");
    rule += "---:|---:|";
  }
  std::printf("%s\n%s\n", header.c_str(), rule.c_str());
  auto row = [&](const std::string& label, auto get) {
    std::string line = absl::StrCat("| ", label, " |");
    int64_t n = 0;
    std::string cells;
    double best_ndcg = -1;
    for (const eval::EvalReport& r : reports) best_ndcg = std::max(best_ndcg, get(r).ndcg_at_10);
    for (const eval::EvalReport& r : reports) {
      const eval::MetricSet m = get(r);
      n = std::max(n, m.num_queries);
      const bool best = m.ndcg_at_10 == best_ndcg && runs.size() > 1;
      cells += absl::StrFormat(" %s%.4f%s | %.4f |", best ? "**" : "", m.ndcg_at_10, best ? "**" : "",
                               m.recall_at_100);
    }
    std::printf("%s %lld |%s\n", line.c_str(), static_cast<long long>(n), cells.c_str());
  };
  for (const std::string& lang : langs) {
    row(lang, [&](const eval::EvalReport& r) {
      auto it = r.same_language_per_language.find(lang);
      return it == r.same_language_per_language.end() ? eval::MetricSet{} : it->second;
    });
  }
  row("all (same-lang)", [](const eval::EvalReport& r) { return r.same_language; });
  row("cross-lang", [](const eval::EvalReport& r) { return r.cross_language; });

  std::printf("\n| engine | index build s | p50 ms | p99 ms | mean ms | notes |\n|---|---:|---:|---:|---:|---|\n");
  for (size_t i = 0; i < runs.size(); ++i) {
    const eval::LatencySummary& l = reports[i].latency;
    std::printf("| %s | %.2f | %.3f | %.3f | %.3f | %s |\n", runs[i].engine.c_str(), runs[i].build_s, l.p50_ms,
                l.p99_ms, l.mean_ms, runs[i].note.c_str());
  }
}

void AnalyzerThroughput(const Workload& w, const Flags& flags) {
  auto analyzer = Analyzer::Create(flags.analyzer);
  size_t bytes = 0;
  for (const Doc& d : w.docs) bytes += d.text.size();
  // Repeat so the measurement lasts long enough to be stable.
  const int rounds = 3;
  uint64_t tokens = 0;
  auto t0 = Clock::now();
  for (int r = 0; r < rounds; ++r) {
    for (const Doc& d : w.docs) tokens += (*analyzer)->Terms(d.text, d.lang).length;
  }
  const double s = MsSince(t0) / 1000;
  std::printf("\nAnalyzer::Terms throughput on %s documents (%zu bytes, %zu docs, mixed languages, 1 thread): "
              "%.1f MB/s, %.2f M tokens/s\n",
              w.name.c_str(), bytes, w.docs.size(), rounds * bytes / s / 1e6, tokens / s / 1e6);
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--xquad") flags.xquad = value();
    else if (arg == "--udhr") flags.udhr = value();
    else if (arg == "--max-queries") flags.max_queries = std::stoll(value());
    else if (arg == "--engines") {
      flags.engines.clear();
      for (absl::string_view e : absl::StrSplit(value(), ',')) flags.engines.insert(std::string(e));
    } else if (arg == "--stem") flags.analyzer.stemming = value() == "1";
    else if (arg == "--fold") flags.analyzer.fold_diacritics = value() == "1";
    else if (arg == "--trigrams") flags.analyzer.subword_trigrams = value() == "1";
    else if (arg == "--cjk-bigrams") flags.analyzer.cjk_bigrams = value() == "1";
    else if (arg == "--untagged") flags.untagged = true;
    else if (arg == "--k1") flags.k1 = std::stod(value());
    else if (arg == "--b") flags.b = std::stod(value());
    else if (arg == "--query-tag") flags.query_tag = value();
    else if (arg == "--workloads") {
      // handled below
      ++i;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", arg.c_str());
      return 2;
    }
  }
  std::set<std::string> workloads = {"xquad-r", "udhr-ki"};
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--workloads") {
      workloads.clear();
      for (absl::string_view e : absl::StrSplit(argv[i + 1], ',')) workloads.insert(std::string(e));
    }
  }
  std::printf("## Lexical search: lateral BM25 vs SQLite FTS5 vs Xapian\n\n");
  std::printf("Command: ");
  for (int i = 0; i < argc; ++i) std::printf("%s ", argv[i]);
  std::printf("\n\nAll engines: document text only, top 100 per query, one thread. Bold: best nDCG@10 of the row.%s\n",
              flags.untagged ? " Language tags removed from documents and queries (--untagged)." : "");
  std::vector<Workload> loaded;
  if (workloads.count("xquad-r")) loaded.push_back(LoadXquad(flags));
  if (workloads.count("udhr-ki")) loaded.push_back(BuildUdhrKnownItems(flags));
  for (Workload& w : loaded) {
    if (flags.untagged) {
      for (Doc& d : w.docs) d.lang.clear();
      for (Query& q : w.queries) q.lang.clear();
    }
    std::vector<EngineRun> runs;
    auto t0 = Clock::now();
    auto progress = [&](const char* engine) {
      std::fprintf(stderr, "%s: %s done after %.1f s\n", w.name.c_str(), engine, MsSince(t0) / 1000);
    };
    if (flags.engines.count("lateral")) runs.push_back(RunLateral(w, flags, false)), progress("lateral");
    if (flags.engines.count("lateral-words")) {
      runs.push_back(RunLateral(w, flags, true)), progress("lateral-words");
    }
    if (flags.engines.count("fts5")) runs.push_back(RunFts5(w, false)), progress("fts5");
    if (flags.engines.count("fts5-trigram")) runs.push_back(RunFts5(w, true)), progress("fts5-trigram");
    if (flags.engines.count("xapian")) runs.push_back(RunXapian(w)), progress("xapian");
    PrintWorkload(w, runs);
    std::fflush(stdout);
  }
  if (!loaded.empty() && flags.engines.count("lateral")) AnalyzerThroughput(loaded[0], flags);
  return 0;
}

}  // namespace
}  // namespace lateral

int main(int argc, char** argv) { return lateral::Main(argc, argv); }
