// Arbitrary bytes as a stored value of a lateral store. The first byte picks
// the decoder (codes with a code size, posting segment, merge operand,
// document, manifest, codec header, lexical segment, lexical edit, document
// terms, source record); the rest is the value. A decoder must return
// DataLoss (or, for a manifest, FailedPrecondition) naming the key, or a
// value that survives a re-encoding unchanged. Decoded edits must also agree
// with a std::set / std::map model when applied to a decoded segment.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "storage/lexical_segment.h"
#include "storage/posting_segment.h"
#include "storage/record_codec.h"

namespace {

constexpr char kWhat[] = "/fuzz: key[1]";

void CheckError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kDataLoss && status.code() != absl::StatusCode::kFailedPrecondition) {
    std::abort();
  }
  if (!absl::StartsWith(status.message(), kWhat)) std::abort();
}

void FuzzCodes(absl::string_view value, size_t code_bytes) {
  auto codes = lateral::storage::DecodeCodes(value, code_bytes, kWhat);
  if (!codes.ok()) return CheckError(codes.status());
  const std::vector<uint32_t>& ids = codes->centroid_ids;
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] < ids[i - 1]) std::abort();  // grouped by ascending centroid
  }
  if (codes->residual_codes.size() != ids.size() * code_bytes) std::abort();
  auto again = lateral::storage::DecodeCodes(lateral::storage::EncodeCodes(*codes), code_bytes, kWhat);
  if (!again.ok() || again->centroid_ids != ids || again->residual_codes != codes->residual_codes) std::abort();
}

void FuzzSegment(absl::string_view value) {
  auto ids = lateral::storage::DecodeSegment(value, kWhat);
  if (!ids.ok()) return CheckError(ids.status());
  for (size_t i = 1; i < ids->size(); ++i) {
    if ((*ids)[i] <= (*ids)[i - 1]) std::abort();
  }
  if (lateral::storage::DecodeSegment(lateral::storage::EncodeSegment(*ids), kWhat).value() != *ids) std::abort();
}

void FuzzEdit(absl::string_view value) {
  // The first half of the value is an edit, the second a segment to apply it to.
  const absl::string_view edit_bytes = value.substr(0, value.size() / 2);
  const absl::string_view segment_bytes = value.substr(value.size() / 2);
  auto edit = lateral::storage::DecodeEdit(edit_bytes, kWhat);
  if (!edit.ok()) return CheckError(edit.status());
  auto again = lateral::storage::DecodeEdit(lateral::storage::EncodeEdit(*edit), kWhat);
  if (!again.ok() || again->removed != edit->removed || again->added != edit->added) std::abort();
  auto segment = lateral::storage::DecodeSegment(segment_bytes, kWhat);
  if (!segment.ok()) return CheckError(segment.status());
  std::set<uint16_t> model(segment->begin(), segment->end());
  for (uint16_t id : edit->removed) model.erase(id);
  model.insert(edit->added.begin(), edit->added.end());
  std::vector<uint16_t> applied;
  lateral::storage::ApplyEdit(*segment, *edit, &applied);
  if (applied != std::vector<uint16_t>(model.begin(), model.end())) std::abort();
}

void FuzzLexicalSegment(absl::string_view value) {
  using lateral::storage::LexicalEntry;
  auto entries = lateral::storage::DecodeLexicalSegment(value, kWhat);
  if (!entries.ok()) return CheckError(entries.status());
  for (size_t i = 0; i < entries->size(); ++i) {
    const LexicalEntry& e = (*entries)[i];
    if (i > 0 && e.id <= (*entries)[i - 1].id) std::abort();
    if (e.term_frequency == 0 || e.doc_length < e.term_frequency) std::abort();
  }
  const std::string again = lateral::storage::EncodeLexicalSegment(*entries);
  if (lateral::storage::DecodeLexicalSegment(again, kWhat).value() != *entries) std::abort();
  std::vector<lateral::LexicalPosting> postings;
  if (!lateral::storage::DecodeLexicalSegmentInto(value, 5, kWhat, &postings).ok()) std::abort();
  if (postings.size() != entries->size()) std::abort();
}

void FuzzLexicalEdit(absl::string_view value) {
  using lateral::storage::LexicalEdit;
  using lateral::storage::LexicalEntry;
  // Two edits and a segment, in thirds: applied one by one, combined, and to
  // a std::map, they must agree.
  const size_t third = value.size() / 3;
  auto first = lateral::storage::DecodeLexicalEdit(value.substr(0, third), kWhat);
  if (!first.ok()) return CheckError(first.status());
  auto second = lateral::storage::DecodeLexicalEdit(value.substr(third, third), kWhat);
  if (!second.ok()) return CheckError(second.status());
  auto segment = lateral::storage::DecodeLexicalSegment(value.substr(2 * third), kWhat);
  if (!segment.ok()) return CheckError(segment.status());
  std::map<uint16_t, LexicalEntry> model;
  for (const LexicalEntry& e : *segment) model[e.id] = e;
  std::vector<LexicalEntry> step = *segment, next;
  for (const LexicalEdit* edit : {&*first, &*second}) {
    for (uint16_t id : edit->removed) model.erase(id);
    for (const LexicalEntry& e : edit->added) model[e.id] = e;
    lateral::storage::ApplyLexicalEdit(step, *edit, &next);
    step.swap(next);
  }
  std::vector<LexicalEntry> expected;
  for (const auto& [id, e] : model) expected.push_back(e);
  if (step != expected) std::abort();
  const std::vector<LexicalEdit> both = {*first, *second};
  lateral::storage::ApplyLexicalEdit(*segment, lateral::storage::CombineLexicalEdits(both), &next);
  if (next != expected) std::abort();
}

void FuzzDocTerms(absl::string_view value) {
  auto terms = lateral::storage::DecodeDocTerms(value, kWhat);
  if (!terms.ok()) return CheckError(terms.status());
  auto again = lateral::storage::DecodeDocTerms(lateral::storage::EncodeDocTerms(*terms), kWhat);
  if (!again.ok() || again->term_frequencies != terms->term_frequencies || again->length != terms->length) {
    std::abort();
  }
}

void FuzzSource(absl::string_view value) {
  auto source = lateral::storage::DecodeSource(value, "p", kWhat);
  if (!source.ok()) return CheckError(source.status());
  auto again = lateral::storage::DecodeSource(lateral::storage::EncodeSource(*source), "p", kWhat);
  if (!again.ok() || !(*again == *source)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const absl::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector % 10) {
    case 0:
      FuzzCodes(value, 1 + (selector / 10) % 40);
      break;
    case 1:
      FuzzSegment(value);
      break;
    case 2:
      FuzzEdit(value);
      break;
    case 3: {
      auto record = lateral::storage::DecodeDocument(value, kWhat);
      if (!record.ok()) CheckError(record.status());
      break;
    }
    case 4: {
      auto manifest = lateral::storage::DecodeManifest(value, kWhat);
      if (!manifest.ok()) CheckError(manifest.status());
      break;
    }
    case 5: {
      auto header = lateral::storage::DecodeCodecHeader(value, kWhat);
      if (!header.ok()) CheckError(header.status());
      break;
    }
    case 6:
      FuzzLexicalSegment(value);
      break;
    case 7:
      FuzzLexicalEdit(value);
      break;
    case 8:
      FuzzDocTerms(value);
      break;
    case 9:
      FuzzSource(value);
      break;
  }
  return 0;
}
