// lateral score: rank a few documents for a query by exact MaxSim.
#include <algorithm>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "encoder/colbert/colbert_encoder.h"
#include "query/maxsim.h"

namespace lateral::cli {
namespace {

absl::Status Run(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::string query, RequiredFlag(flags, "query"));
  const std::vector<std::string>& documents = flags.positional();
  if (documents.empty()) return UsageError("give the documents to score as arguments");
  LATERAL_ASSIGN_OR_RETURN(std::optional<Precision> precision, PrecisionFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<ColbertEncoder> encoder, ColbertEncoder::Load(model_dir, precision));
  std::vector<std::string> queries = {query};
  LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> q, encoder->EncodeQueries(queries));
  LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> d, encoder->EncodeDocuments(documents));
  TokenMatrix qm{q[0].vectors.data(), q[0].num_vectors, q[0].dim};
  std::vector<std::pair<float, size_t>> ranked;
  for (size_t i = 0; i < d.size(); ++i) {
    ranked.emplace_back(MaxSim(qm, {d[i].vectors.data(), d[i].num_vectors, d[i].dim}), i);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first > b.first; });
  if (flags.Has("json")) {
    Json out = Json::array();
    for (auto& [score, i] : ranked) out.push_back({{"index", i}, {"score", score}, {"text", documents[i]}});
    std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    return absl::OkStatus();
  }
  std::cout << absl::StrFormat("query: %s (%d vectors of %d dims)\n", query, q[0].num_vectors, q[0].dim);
  for (size_t rank = 0; rank < ranked.size(); ++rank) {
    const auto& [score, i] = ranked[rank];
    std::cout << absl::StrFormat("%2d. %8.4f  [%d vectors]  %s\n", rank + 1, score, d[i].num_vectors, documents[i]);
  }
  return absl::OkStatus();
}

}  // namespace

Command ScoreCommand() {
  return Command{
      "score",
      "rank documents for a query by exact ColBERT MaxSim",
      "usage: lateral score --model DIR --query TEXT DOCUMENT...\n\n"
      "Encodes the query and each document with the ColBERT model and prints them\n"
      "ranked by MaxSim (sum over query tokens of the best document token).\n\n"
      "example:\n  lateral score --model LFM2-ColBERT-350M --query \"what is a panda?\" \"The giant panda...\" \"A car...\"\n",
      {{"model", true, "ColBERT model directory (PyLate layout)", "DIR"},
       PrecisionFlag(),
       {"query", true, "the query text", "TEXT"},
       {"json", false, "print a JSON array of {index, score, text}"}},
      Run};
}

}  // namespace lateral::cli
