#include "ingest/beir/beir_dataset.h"

#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "ingest/beir/line_reader.h"

namespace lateral::ingest {

namespace {

namespace fs = std::filesystem;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The one existing file among `candidates`; NotFound if none, InvalidArgument if several.
absl::StatusOr<std::string> FindOne(const std::string& dir, const std::vector<std::string>& names,
                                    absl::string_view what) {
  std::vector<std::string> found;
  for (const std::string& name : names) {
    fs::path p = fs::path(dir) / name;
    if (Exists(p)) found.push_back(p.string());
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no ", what, " file (looked for ",
                                            absl::StrJoin(names, ", "), ")"));
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": several ", what, " files (",
                                                   absl::StrJoin(found, ", "),
                                                   "); keep exactly one"));
  }
  return found[0];
}

// Strips a UTF-8 byte order mark from the first line of a file.
std::string_view StripBom(std::string_view line, int64_t line_number) {
  if (line_number == 1 && line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") {
    line.remove_prefix(3);
  }
  return line;
}

bool IsBlank(std::string_view line) {
  return absl::StripAsciiWhitespace(AbslView(line)).empty();
}

// Shared by corpus and queries: one parsed JSON Lines record.
struct Record {
  std::string id;
  std::string text;
  std::string title;
  std::string lang;
};

absl::StatusOr<Record> ParseRecord(std::string_view line, const std::string& source,
                                   bool want_title) {
  LATERAL_ASSIGN_OR_RETURN(Json value, ParseJson(AbslView(line), source));
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected a JSON object, found ", value.type_name()));
  }
  JsonObjectReader reader(value, source);
  Record record;
  auto id_it = value.find("_id");
  if (id_it == value.end() || id_it->is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": field \"_id\" is missing"));
  }
  if (id_it->is_string()) {
    record.id = id_it->get<std::string>();
  } else if (id_it->is_number_integer()) {
    record.id = id_it->is_number_unsigned() ? std::to_string(id_it->get<uint64_t>())
                                            : std::to_string(id_it->get<int64_t>());
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": field \"_id\" must be a string or an integer, found ", id_it->type_name()));
  }
  if (record.id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": field \"_id\" is empty"));
  }
  LATERAL_ASSIGN_OR_RETURN(record.text, reader.GetString("text"));
  if (want_title) {
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> title, reader.GetOptionalString("title"));
    if (title) record.title = std::move(*title);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> lang, reader.GetOptionalString("lang"));
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> language,
                           reader.GetOptionalString("language"));
  if (lang && language && *lang != *language) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": fields \"lang\" (\"", *lang,
                                                   "\") and \"language\" (\"", *language,
                                                   "\") disagree"));
  }
  if (lang) {
    record.lang = std::move(*lang);
  } else if (language) {
    record.lang = std::move(*language);
  }
  return record;
}

// Reads a JSON Lines file; `on_record` receives each record and its line number.
template <typename OnRecord>
absl::Status ReadJsonLines(const std::string& path, bool want_title,
                           absl::flat_hash_map<std::string, int64_t>* line_of_id,
                           OnRecord on_record) {
  LATERAL_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(path));
  std::string_view line;
  while (true) {
    LATERAL_ASSIGN_OR_RETURN(bool more, reader.Next(&line));
    if (!more) break;
    line = StripBom(line, reader.line_number());
    if (IsBlank(line)) continue;
    std::string source = absl::StrCat(path, ":", reader.line_number());
    LATERAL_ASSIGN_OR_RETURN(Record record, ParseRecord(line, source, want_title));
    auto [it, inserted] = line_of_id->try_emplace(record.id, reader.line_number());
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": duplicate \"_id\" \"", record.id,
                                                     "\" (first at line ", it->second, ")"));
    }
    on_record(std::move(record));
  }
  return absl::OkStatus();
}

bool IsHeader(absl::string_view first_column) {
  std::string lower = absl::AsciiStrToLower(first_column);
  return lower == "query-id" || lower == "query_id" || lower == "qid" || lower == "queryid";
}

struct Judgement {
  int score;
  int64_t line;
};

// Rows dropped because an id is unknown, for the warning.
struct UnknownIds {
  int64_t rows = 0;
  std::string first_id;
  int64_t first_line = 0;
  void Add(const std::string& id, int64_t line) {
    if (rows++ == 0) {
      first_id = id;
      first_line = line;
    }
  }
};

}  // namespace

absl::StatusOr<BeirDataset> ReadBeirDataset(const std::string& dir,
                                            const BeirReadOptions& options) {
  if (options.max_queries < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_queries must be -1 (all) or >= 0, got ", options.max_queries));
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  }
  LATERAL_ASSIGN_OR_RETURN(std::string corpus_path,
                           FindOne(dir, {"corpus.jsonl", "corpus.jsonl.gz"}, "corpus"));
  LATERAL_ASSIGN_OR_RETURN(std::string queries_path,
                           FindOne(dir, {"queries.jsonl", "queries.jsonl.gz"}, "queries"));
  LATERAL_ASSIGN_OR_RETURN(
      std::string qrels_path,
      FindOne(dir,
              {"qrels.tsv", "qrels.tsv.gz", absl::StrCat("qrels/", options.split, ".tsv"),
               absl::StrCat("qrels/", options.split, ".tsv.gz")},
              "qrels"));

  BeirDataset dataset;
  absl::flat_hash_map<std::string, int64_t> doc_line;
  LATERAL_RETURN_IF_ERROR(ReadJsonLines(corpus_path, /*want_title=*/true, &doc_line,
                                        [&](Record r) {
                                          dataset.corpus.push_back(
                                              BeirDocument{std::move(r.id), std::move(r.title),
                                                           std::move(r.text), std::move(r.lang)});
                                        }));
  absl::flat_hash_map<std::string, int64_t> query_line;
  std::vector<BeirQuery> all_queries;
  LATERAL_RETURN_IF_ERROR(ReadJsonLines(queries_path, /*want_title=*/false, &query_line,
                                        [&](Record r) {
                                          all_queries.push_back(BeirQuery{
                                              std::move(r.id), std::move(r.text),
                                              std::move(r.lang)});
                                        }));

  // Qrels: every row is kept (including score <= 0) until the end, so a pair judged twice with
  // different scores is caught even when one of the scores is 0.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Judgement>> judged;
  UnknownIds unknown_queries, unknown_docs;
  {
    LATERAL_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(qrels_path));
    std::string_view line;
    bool seen_row = false;
    while (true) {
      LATERAL_ASSIGN_OR_RETURN(bool more, reader.Next(&line));
      if (!more) break;
      line = StripBom(line, reader.line_number());
      if (IsBlank(line)) continue;
      const int64_t line_number = reader.line_number();
      std::vector<absl::string_view> columns = absl::StrSplit(AbslView(line), '\t');
      if (!seen_row && IsHeader(absl::StripAsciiWhitespace(columns[0]))) {
        seen_row = true;
        continue;
      }
      seen_row = true;
      if (columns.size() != 3) {
        return absl::InvalidArgumentError(absl::StrCat(
            qrels_path, ":", line_number, ": expected 3 tab-separated columns (query-id, ",
            "corpus-id, score), found ", columns.size()));
      }
      std::string query_id(columns[0]);
      std::string doc_id(columns[1]);
      absl::string_view score_text = absl::StripAsciiWhitespace(columns[2]);
      int score = 0;
      if (!absl::SimpleAtoi(score_text, &score)) {
        return absl::InvalidArgumentError(absl::StrCat(qrels_path, ":", line_number,
                                                       ": column \"score\" must be an integer, "
                                                       "found \"", columns[2], "\""));
      }
      if (query_id.empty() || doc_id.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(qrels_path, ":", line_number, ": empty column \"",
                         query_id.empty() ? "query-id" : "corpus-id", "\""));
      }
      if (!query_line.contains(query_id)) {
        unknown_queries.Add(query_id, line_number);
        continue;
      }
      if (!doc_line.contains(doc_id)) {
        unknown_docs.Add(doc_id, line_number);
        continue;
      }
      auto [it, inserted] = judged[query_id].try_emplace(doc_id, Judgement{score, line_number});
      if (!inserted && it->second.score != score) {
        return absl::InvalidArgumentError(absl::StrCat(
            qrels_path, ":", line_number, ": query \"", query_id, "\" and doc \"", doc_id,
            "\" judged ", score, " here but ", it->second.score, " at line ", it->second.line));
      }
    }
  }
  if (unknown_queries.rows > 0) {
    dataset.warnings.push_back(absl::StrCat(
        qrels_path, ": dropped ", unknown_queries.rows, " rows naming a query id not in ",
        queries_path, " (first: \"", unknown_queries.first_id, "\" at line ",
        unknown_queries.first_line, ")"));
  }
  if (unknown_docs.rows > 0) {
    dataset.warnings.push_back(absl::StrCat(
        qrels_path, ": dropped ", unknown_docs.rows, " rows naming a doc id not in ", corpus_path,
        " (first: \"", unknown_docs.first_id, "\" at line ", unknown_docs.first_line, ")"));
  }

  // Queries in file order: keep those with a relevant doc, up to max_queries.
  int64_t without_relevant = 0;
  for (BeirQuery& query : all_queries) {
    auto it = judged.find(query.id);
    absl::flat_hash_map<std::string, int> relevant;
    if (it != judged.end()) {
      for (const auto& [doc_id, judgement] : it->second) {
        if (judgement.score > 0) relevant.emplace(doc_id, judgement.score);
      }
    }
    if (relevant.empty()) {
      ++without_relevant;
      continue;
    }
    if (options.max_queries >= 0 &&
        static_cast<int64_t>(dataset.queries.size()) >= options.max_queries) {
      break;
    }
    dataset.qrels.emplace(query.id, std::move(relevant));
    dataset.queries.push_back(std::move(query));
  }
  if (without_relevant > 0) {
    dataset.warnings.push_back(absl::StrCat(queries_path, ": dropped ", without_relevant,
                                            " queries without a relevant doc in ", qrels_path));
  }
  return dataset;
}

}  // namespace lateral::ingest
