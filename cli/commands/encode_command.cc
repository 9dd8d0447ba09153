// lateral encode: ColBERT token vectors of one query or document.
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/safetensors.h"
#include "common/status_macros.h"
#include "encoder/colbert/colbert_encoder.h"

namespace lateral::cli {
namespace {

absl::Status Run(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::string text, RequiredFlag(flags, "text"));
  LATERAL_ASSIGN_OR_RETURN(std::string out_path, RequiredFlag(flags, "out"));
  const bool query = flags.Has("query"), document = flags.Has("document");
  if (query == document) return UsageError("give exactly one of --query and --document");
  if (!IsColbertDirectory(model_dir)) {
    return absl::InvalidArgumentError(absl::StrCat(
        model_dir, ": not a ColBERT model directory (no modules.json or config_sentence_transformers.json)"));
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<Precision> precision, PrecisionFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<ColbertEncoder> encoder, ColbertEncoder::Load(model_dir, precision));
  std::vector<std::string> texts = {text};
  LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> out,
                           query ? encoder->EncodeQueries(texts) : encoder->EncodeDocuments(texts));
  const TokenEmbeddings& e = out[0];
  SafetensorsWriter writer;
  writer.AddF32("embeddings", {e.num_vectors, e.dim}, e.vectors.data());
  writer.AddI32("input_ids", {static_cast<int64_t>(e.input_ids.size())}, e.input_ids.data());
  return writer.WriteTo(out_path);
}

}  // namespace

Command EncodeCommand() {
  return Command{
      "encode",
      "ColBERT token vectors of a query or document",
      "usage: lateral encode --model DIR (--query | --document) --text TEXT --out FILE\n\n"
      "Writes float32 embeddings [tokens, dim] (L2-normalised, as PyLate computes\n"
      "them) and int32 input_ids (what the model saw) to FILE.\n\n"
      "example:\n  lateral encode --model LFM2-ColBERT-350M --query --text \"what is panda?\" --out q.safetensors\n",
      {{"model", true, "ColBERT model directory (PyLate layout)", "DIR"},
       PrecisionFlag(),
       {"query", false, "encode as a query (marker, expansion to query_length)"},
       {"document", false, "encode as a document (marker, truncation, skiplist)"},
       {"text", true, "the text to encode", "TEXT"},
       {"out", true, "output safetensors file", "FILE"}},
      Run};
}

}  // namespace lateral::cli
