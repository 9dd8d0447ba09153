#include "encoder/tokenizer/splitter.h"

namespace lateral::tok {
namespace {

class LiteralSplitter : public Splitter {
 public:
  explicit LiteralSplitter(std::string literal) : literal_(std::move(literal)) {}
  absl::Status FindMatches(std::string_view text,
                           std::vector<MatchRange>* matches) const override {
    if (literal_.empty()) return absl::OkStatus();
    size_t pos = 0;
    while ((pos = text.find(literal_, pos)) != std::string_view::npos) {
      matches->push_back(MatchRange{pos, pos + literal_.size()});
      pos += literal_.size();
    }
    return absl::OkStatus();
  }

 private:
  std::string literal_;
};

}  // namespace

std::unique_ptr<Splitter> NewLiteralSplitter(std::string literal) {
  return std::make_unique<LiteralSplitter>(std::move(literal));
}

}  // namespace lateral::tok
