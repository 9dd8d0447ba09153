// A thin, standard-library-only wrapper around sentencepiece::
// SentencePieceProcessor (internal to encoder/tokenizer/).
//
// Why a separate adapter: Debian's sentencepiece_processor.h declares
// `namespace absl { using std::string_view; }`, while Debian's Abseil defines
// its own absl::string_view class; the two cannot meet in one translation
// unit. This header and sentencepiece_adapter.cc include no Abseil header, and
// only sentencepiece_tokenizer.cc uses them. All const methods are
// thread-safe (SentencePieceProcessor's are).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lateral::tok {

class SentencePieceModel {
 public:
  // nullptr and *error set when the file cannot be loaded.
  static std::unique_ptr<SentencePieceModel> Load(const std::string& path, std::string* error);
  ~SentencePieceModel();

  // false and *error set on failure.
  bool Encode(std::string_view text, std::vector<int>* ids, std::string* error) const;
  bool Decode(const std::vector<int>& ids, std::string* text, std::string* error) const;

  int PieceSize() const;
  std::string IdToPiece(int id) const;
  // -1 when `piece` is not in the vocabulary (SentencePiece itself answers unk).
  int PieceToId(std::string_view piece) const;
  bool IsControl(int id) const;
  bool IsUnknown(int id) const;
  int bos_id() const;  // -1 when the model has none
  int eos_id() const;
  int pad_id() const;

 private:
  struct Impl;
  explicit SentencePieceModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lateral::tok
