// Tests for ingest/beir: the BEIR reader on fixtures (plain, gzipped, both qrels layouts), its
// errors, the line reader, and (when ../shared/corpora exists beside the repository) the real evaluation corpora.
#include "ingest/beir/beir_dataset.h"

#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/beir/line_reader.h"

namespace lateral::ingest {
namespace {

namespace fs = std::filesystem;

const std::string kData = std::string(LATERAL_TEST_DATA_DIR) + "/eval";
// The evaluation corpora sit beside the repository (../shared/corpora), not in it.
const std::string kCorpora = std::string(LATERAL_TEST_DATA_DIR) + "/../../../shared/corpora";

using Judgements = absl::flat_hash_map<std::string, int>;

// A fresh empty folder per test.
fs::path TempDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("beir_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

void WriteGzip(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, content.data(), static_cast<unsigned>(content.size())),
            static_cast<int>(content.size()));
  gzclose(f);
}

// The expected content of tests/data/eval/tiny (and tiny_gz with split "test"); see the files.
void ExpectTinyDataset(const BeirDataset& d) {
  ASSERT_EQ(d.corpus.size(), 5u);  // the blank line is skipped
  EXPECT_EQ(d.corpus[0].id, "d1");
  EXPECT_EQ(d.corpus[0].title, "Cats");
  EXPECT_EQ(d.corpus[0].text, "Cats purr when they are content.");
  EXPECT_EQ(d.corpus[0].lang, "en");
  EXPECT_EQ(d.corpus[1].title, "");
  EXPECT_EQ(d.corpus[2].id, "3");     // integer _id
  EXPECT_EQ(d.corpus[2].lang, "de");  // from "language"
  EXPECT_EQ(d.corpus[2].text, "Katzen schnurren, wenn sie zufrieden sind.");
  EXPECT_EQ(d.corpus[3].id, "d4");
  EXPECT_EQ(d.corpus[4].lang, "");
  EXPECT_EQ(d.corpus[4].title, "");  // null title

  // q3 has no qrels and "4" only a 0-score row: both dropped; q9 is not a query.
  ASSERT_EQ(d.queries.size(), 2u);
  EXPECT_EQ(d.queries[0].id, "q1");
  EXPECT_EQ(d.queries[0].text, "why do cats purr");
  EXPECT_EQ(d.queries[1].id, "q2");
  EXPECT_EQ(d.queries[1].lang, "fr");

  ASSERT_EQ(d.qrels.size(), 2u);
  EXPECT_EQ(d.qrels.at("q1"), (Judgements{{"d1", 2}, {"d2", 1}, {"3", 1}}));  // d9 unknown
  EXPECT_EQ(d.qrels.at("q2"), (Judgements{{"d4", 1}}));                       // d2 scored 0

  ASSERT_EQ(d.warnings.size(), 3u);
  EXPECT_NE(d.warnings[0].find("dropped 2 rows naming a query id"), std::string::npos)
      << d.warnings[0];
  EXPECT_NE(d.warnings[0].find("\"q9\""), std::string::npos);
  EXPECT_NE(d.warnings[1].find("dropped 1 rows naming a doc id"), std::string::npos)
      << d.warnings[1];
  EXPECT_NE(d.warnings[1].find("\"d9\""), std::string::npos);
  EXPECT_NE(d.warnings[2].find("dropped 2 queries without a relevant doc"), std::string::npos)
      << d.warnings[2];
}

TEST(BeirReaderTest, PlainFilesWithHeader) {
  auto d = ReadBeirDataset(kData + "/tiny");
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectTinyDataset(*d);
  EXPECT_NE(d->warnings[0].find("qrels.tsv: "), std::string::npos);
  EXPECT_NE(d->warnings[0].find("at line 9"), std::string::npos) << d->warnings[0];
}

TEST(BeirReaderTest, GzippedFilesWithSplitFolderBomAndCrlf) {
  auto d = ReadBeirDataset(kData + "/tiny_gz");
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectTinyDataset(*d);
  EXPECT_NE(d->warnings[0].find("qrels/test.tsv.gz"), std::string::npos) << d->warnings[0];
  EXPECT_NE(d->warnings[0].find("at line 8"), std::string::npos) << d->warnings[0];  // no header
}

TEST(BeirReaderTest, SplitSelectsTheQrelsFile) {
  BeirReadOptions options;
  options.split = "dev";  // q1 -> d4; q3 -> d1 (3)
  auto d = ReadBeirDataset(kData + "/tiny_gz", options);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->queries.size(), 2u);
  EXPECT_EQ(d->queries[0].id, "q1");
  EXPECT_EQ(d->queries[1].id, "q3");
  EXPECT_EQ(d->qrels.at("q1"), (Judgements{{"d4", 1}}));
  EXPECT_EQ(d->qrels.at("q3"), (Judgements{{"d1", 3}}));
  options.split = "train";
  auto missing = ReadBeirDataset(kData + "/tiny_gz", options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("qrels/train.tsv"), std::string::npos);
}

TEST(BeirReaderTest, MaxQueriesKeepsTheFirstJudgedQueries) {
  BeirReadOptions options;
  options.max_queries = 1;
  auto d = ReadBeirDataset(kData + "/tiny", options);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->queries.size(), 1u);
  EXPECT_EQ(d->queries[0].id, "q1");
  EXPECT_EQ(d->qrels.size(), 1u);
  EXPECT_TRUE(d->qrels.contains("q1"));
  EXPECT_EQ(d->corpus.size(), 5u);  // the corpus is never cut

  options.max_queries = 0;
  d = ReadBeirDataset(kData + "/tiny", options);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->queries.empty());
  EXPECT_TRUE(d->qrels.empty());

  options.max_queries = -2;
  EXPECT_FALSE(ReadBeirDataset(kData + "/tiny", options).ok());
}

// One broken file among otherwise valid ones; returns the error message ("" if it loaded).
std::string LoadError(const std::string& name, const std::string& corpus,
                      const std::string& queries, const std::string& qrels) {
  fs::path dir = TempDir(name);
  WriteFile(dir / "corpus.jsonl", corpus);
  WriteFile(dir / "queries.jsonl", queries);
  WriteFile(dir / "qrels.tsv", qrels);
  auto d = ReadBeirDataset(dir.string());
  return d.ok() ? "" : std::string(d.status().message());
}

const char kCorpus[] = "{\"_id\": \"d1\", \"text\": \"one\"}\n{\"_id\": \"d2\", \"text\": \"two\"}\n";
const char kQueries[] = "{\"_id\": \"q1\", \"text\": \"first\"}\n";
const char kQrels[] = "query-id\tcorpus-id\tscore\nq1\td1\t1\n";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(BeirReaderErrorTest, ValidBaselineLoads) {
  EXPECT_EQ(LoadError("baseline", kCorpus, kQueries, kQrels), "");
}

TEST(BeirReaderErrorTest, MissingId) {
  std::string e = LoadError("missing_id", std::string(kCorpus) + "{\"text\": \"three\"}\n",
                            kQueries, kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:3: field \"_id\" is missing")) << e;
}

TEST(BeirReaderErrorTest, IdOfWrongType) {
  std::string e = LoadError("id_type", kCorpus, "{\"_id\": [1], \"text\": \"x\"}\n", kQrels);
  EXPECT_TRUE(Contains(e, "queries.jsonl:1: field \"_id\" must be a string or an integer")) << e;
}

TEST(BeirReaderErrorTest, DuplicateId) {
  std::string e = LoadError("dup_id", std::string(kCorpus) + "{\"_id\": \"d1\", \"text\": \"x\"}\n",
                            kQueries, kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:3: duplicate \"_id\" \"d1\" (first at line 1)")) << e;
  // An integer id and the same digits as a string are the same id.
  e = LoadError("dup_int_id", "{\"_id\": 7, \"text\": \"a\"}\n{\"_id\": \"7\", \"text\": \"b\"}\n",
                kQueries, kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:2: duplicate \"_id\" \"7\"")) << e;
}

TEST(BeirReaderErrorTest, BadJson) {
  std::string e = LoadError("bad_json", kCorpus,
                            std::string(kQueries) + "{\"_id\": \"q2\", \"text\": \n", kQrels);
  EXPECT_TRUE(Contains(e, "queries.jsonl:2: ")) << e;
  e = LoadError("not_object", "[1, 2]\n", kQueries, kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:1: expected a JSON object")) << e;
}

TEST(BeirReaderErrorTest, MissingOrMistypedText) {
  std::string e = LoadError("no_text", "{\"_id\": \"d1\"}\n", kQueries, kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:1: ") && Contains(e, "\"text\"")) << e;
  e = LoadError("title_type", "{\"_id\": \"d1\", \"text\": \"t\", \"title\": 5}\n", kQueries,
                kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:1: field \"title\"")) << e;
  e = LoadError("lang_conflict",
                "{\"_id\": \"d1\", \"text\": \"t\", \"lang\": \"en\", \"language\": \"fr\"}\n",
                kQueries, kQrels);
  EXPECT_TRUE(Contains(e, "corpus.jsonl:1: fields \"lang\"")) << e;
}

TEST(BeirReaderErrorTest, QrelsColumnCount) {
  std::string e = LoadError("qrels_cols", kCorpus, kQueries, std::string(kQrels) + "q1\td2\n");
  EXPECT_TRUE(Contains(e, "qrels.tsv:3: expected 3 tab-separated columns")) << e;
  EXPECT_TRUE(Contains(e, "found 2")) << e;
  e = LoadError("qrels_cols4", kCorpus, kQueries, "q1\t0\td1\t1\n");
  EXPECT_TRUE(Contains(e, "qrels.tsv:1: expected 3 tab-separated columns")) << e;
}

TEST(BeirReaderErrorTest, QrelsNonIntegerScore) {
  std::string e = LoadError("qrels_score", kCorpus, kQueries, std::string(kQrels) + "q1\td2\t1.5\n");
  EXPECT_TRUE(Contains(e, "qrels.tsv:3: column \"score\" must be an integer, found \"1.5\"")) << e;
  // Without the header, a non-integer score on line 1 is an error too, not a header.
  e = LoadError("qrels_score1", kCorpus, kQueries, "q1\td1\tscore\n");
  EXPECT_TRUE(Contains(e, "qrels.tsv:1: column \"score\"")) << e;
}

TEST(BeirReaderErrorTest, QrelsConflictingJudgements) {
  std::string e = LoadError("qrels_conflict", kCorpus, kQueries, std::string(kQrels) + "q1\td1\t0\n");
  EXPECT_TRUE(Contains(e, "qrels.tsv:3: query \"q1\" and doc \"d1\" judged 0 here but 1 at line 2"))
      << e;
  // The same judgement repeated is harmless.
  EXPECT_EQ(LoadError("qrels_repeat", kCorpus, kQueries, std::string(kQrels) + "q1\td1\t1\n"), "");
}

TEST(BeirReaderErrorTest, AmbiguousAndMissingFiles) {
  fs::path dir = TempDir("ambiguous");
  WriteFile(dir / "corpus.jsonl", kCorpus);
  WriteGzip(dir / "corpus.jsonl.gz", kCorpus);
  WriteFile(dir / "queries.jsonl", kQueries);
  WriteFile(dir / "qrels.tsv", kQrels);
  auto d = ReadBeirDataset(dir.string());
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(Contains(std::string(d.status().message()), "several corpus files")) << d.status();

  fs::remove(dir / "corpus.jsonl.gz");
  WriteFile(dir / "qrels" / "test.tsv", kQrels);
  d = ReadBeirDataset(dir.string());
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(Contains(std::string(d.status().message()), "several qrels files")) << d.status();

  fs::remove(dir / "queries.jsonl");
  d = ReadBeirDataset(dir.string());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(ReadBeirDataset((dir / "nope").string()).ok());
}

TEST(BeirReaderErrorTest, TruncatedGzipIsAnError) {
  std::string corpus;
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    corpus += "{\"_id\": \"d" + std::to_string(i) + "\", \"text\": \"" +
              std::to_string(rng()) + std::to_string(rng()) + "\"}\n";
  }
  fs::path dir = TempDir("truncated");
  WriteGzip(dir / "corpus.jsonl.gz", corpus);
  WriteFile(dir / "queries.jsonl", kQueries);
  WriteFile(dir / "qrels.tsv", "q1\td1\t1\n");
  ASSERT_TRUE(ReadBeirDataset(dir.string()).ok());
  fs::resize_file(dir / "corpus.jsonl.gz", fs::file_size(dir / "corpus.jsonl.gz") / 2);
  auto d = ReadBeirDataset(dir.string());
  ASSERT_FALSE(d.ok());
  // zlib's own words, so the error is the truncation and not the half line before it.
  EXPECT_TRUE(Contains(std::string(d.status().message()), "corpus.jsonl.gz: unexpected end of file"))
      << d.status();
}

TEST(BeirReaderErrorTest, ByteOrderMarkBeforeTheQrelsHeader) {
  EXPECT_EQ(LoadError("qrels_bom", kCorpus, kQueries, std::string("\xEF\xBB\xBF") + kQrels), "");
}

// --- GzipLineReader -----------------------------------------------------------------------------

std::vector<std::string> ReadAll(const std::string& path) {
  auto reader = GzipLineReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> lines;
  std::string_view line;
  while (true) {
    auto more = reader->Next(&line);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    lines.emplace_back(line);
    EXPECT_EQ(reader->line_number(), static_cast<int64_t>(lines.size()));
  }
  return lines;
}

TEST(LineReaderTest, RandomLinesRoundTripPlainAndGzip) {
  std::mt19937 rng(11);
  fs::path dir = TempDir("lines");
  for (int trial = 0; trial < 6; ++trial) {
    // Lines up to 600 KiB cross the 256 KiB read chunks; some end in \r\n, some are empty.
    std::vector<std::string> lines(1 + rng() % 50);
    std::string content;
    for (size_t i = 0; i < lines.size(); ++i) {
      size_t length = rng() % 4 == 0 ? rng() % (600 * 1024) : rng() % 100;
      for (size_t k = 0; k < length; ++k) lines[i] += static_cast<char>('a' + rng() % 26);
      content += lines[i];
      bool last = i + 1 == lines.size();
      if (last && trial % 2 == 0) break;  // no final newline
      content += rng() % 2 ? "\r\n" : "\n";
    }
    if (lines.back().empty() && trial % 2 == 0) lines.pop_back();  // nothing after the last \n
    WriteFile(dir / "plain.txt", content);
    WriteGzip(dir / "packed.txt.gz", content);
    EXPECT_EQ(ReadAll((dir / "plain.txt").string()), lines) << "trial " << trial;
    EXPECT_EQ(ReadAll((dir / "packed.txt.gz").string()), lines) << "trial " << trial;
  }
}

TEST(LineReaderTest, MissingFileNamesThePath) {
  auto reader = GzipLineReader::Open("/nonexistent/x.jsonl");
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(Contains(std::string(reader.status().message()), "/nonexistent/x.jsonl"));
}

// --- The real corpora (not part of a clean clone) --------------------------------------------

BeirDataset LoadCorpus(const std::string& name) {
  auto start = std::chrono::steady_clock::now();
  auto d = ReadBeirDataset(kCorpora + "/" + name);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(d.ok()) << d.status();
  if (!d.ok()) return {};
  // Informational only; timings are not asserted.
  std::cout << name << ": " << d->corpus.size() << " docs, " << d->queries.size()
            << " queries, loaded in " << seconds << " s\n";
  for (const std::string& w : d->warnings) std::cout << "  warning: " << w << "\n";
  return *std::move(d);
}

int64_t QrelsRows(const BeirDataset& d) {
  int64_t rows = 0;
  for (const auto& [q, docs] : d.qrels) rows += static_cast<int64_t>(docs.size());
  return rows;
}

TEST(BeirCorporaTest, XquadR) {
  if (!fs::exists(kCorpora + "/xquad-r")) GTEST_SKIP() << kCorpora << " is not on this machine";
  BeirDataset d = LoadCorpus("xquad-r");
  // README: 13,014 answer sentences in 11 languages; 13,090 questions, 1,190 per language; each
  // question's relevant sentences are its answer in every language.
  EXPECT_EQ(d.corpus.size(), 13014u);
  EXPECT_EQ(d.queries.size(), 13090u);
  EXPECT_TRUE(d.warnings.empty());
  absl::flat_hash_map<std::string, int> per_lang;
  for (const BeirQuery& q : d.queries) ++per_lang[q.lang];
  EXPECT_EQ(per_lang.size(), 11u);
  for (const auto& [lang, n] : per_lang) EXPECT_EQ(n, 1190) << lang;
  EXPECT_EQ(QrelsRows(d), 13090 * 11);
  for (const auto& [q, docs] : d.qrels) ASSERT_EQ(docs.size(), 11u) << q;
}

TEST(BeirCorporaTest, TldrAndUdhr) {
  if (!fs::exists(kCorpora + "/tldr")) GTEST_SKIP() << kCorpora << " is not on this machine";
  BeirDataset tldr = LoadCorpus("tldr");
  EXPECT_EQ(tldr.corpus.size(), 7425u);
  EXPECT_EQ(tldr.queries.size(), 90774u);
  EXPECT_EQ(QrelsRows(tldr), 90774);
  BeirDataset udhr = LoadCorpus("udhr");
  EXPECT_EQ(udhr.corpus.size(), 15630u);
  EXPECT_EQ(udhr.queries.size(), 30u);
}

}  // namespace
}  // namespace lateral::ingest
