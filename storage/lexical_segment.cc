#include "storage/lexical_segment.h"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace lateral::storage {
namespace {

constexpr uint32_t kBlockIdSpace = uint32_t{1} << 16;
// Bytes an entry takes at least: three one-byte varints.
constexpr size_t kMinEntryBytes = 3;

void PutEntries(std::string* out, absl::Span<const LexicalEntry> entries) {
  PutVarint32(out, static_cast<uint32_t>(entries.size()));
  uint32_t next = 0;  // the smallest id the next entry may have
  for (const LexicalEntry& e : entries) {
    assert(e.id >= next);
    PutVarint32(out, e.id - next);
    PutVarint32(out, e.term_frequency);
    PutVarint32(out, e.doc_length);
    next = uint32_t{e.id} + 1;
  }
}

// A bounds-checked cursor with a one-byte fast path: the hot loop of a query.
class Cursor {
 public:
  Cursor(absl::string_view value, absl::string_view what)
      : begin_(reinterpret_cast<const uint8_t*>(value.data())), p_(begin_), end_(begin_ + value.size()),
        what_(what) {}

  absl::Status Error(absl::string_view detail) const {
    return absl::DataLossError(absl::StrCat(what_, ": corrupt value (", detail, " at byte ", p_ - begin_, " of ",
                                            end_ - begin_, ")"));
  }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  absl::string_view rest() const { return absl::string_view(reinterpret_cast<const char*>(p_), remaining()); }

  bool Byte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = *p_++;
    return true;
  }
  inline bool Varint(uint32_t* v) {
    if (p_ < end_ && *p_ < 0x80) {
      *v = *p_++;
      return true;
    }
    return SlowVarint(v);
  }

 private:
  bool SlowVarint(uint32_t* v) {
    uint32_t result = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
      if (p_ == end_) return false;
      const uint32_t byte = *p_++;
      if (shift == 28 && (byte & 0xF0) != 0) return false;  // past 32 bits
      result |= (byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  absl::string_view what_;
};

absl::Status ReadCount(Cursor* c, absl::string_view name, size_t min_bytes, uint32_t* n) {
  if (!c->Varint(n)) return c->Error(absl::StrCat("truncated ", name, " count"));
  if (*n > kBlockIdSpace) return c->Error(absl::StrCat(name, " count ", *n, " exceeds ", kBlockIdSpace));
  if (uint64_t{*n} * min_bytes > c->remaining()) {
    return c->Error(absl::StrCat(name, " count ", *n, " exceeds what the value holds"));
  }
  return absl::OkStatus();
}

// Reads Entries, calling emit(id, tf, length) for each.
template <typename Emit>
absl::Status ReadEntries(Cursor* c, absl::string_view name, Emit emit) {
  uint32_t n;
  if (absl::Status s = ReadCount(c, name, kMinEntryBytes, &n); !s.ok()) return s;
  uint32_t next = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t gap, tf, length;
    if (!c->Varint(&gap) || !c->Varint(&tf) || !c->Varint(&length)) {
      return c->Error(absl::StrCat("truncated ", name, " (posting ", i, " of ", n, ")"));
    }
    const uint64_t id = uint64_t{next} + gap;
    if (id >= kBlockIdSpace) return c->Error(absl::StrCat(name, " id ", i, " is ", id, ", beyond a 16-bit block"));
    if (tf == 0 || length < tf) {
      return c->Error(absl::StrCat(name, " posting ", i, " has term frequency ", tf, " and document length ",
                                   length));
    }
    emit(static_cast<uint16_t>(id), tf, length);
    next = static_cast<uint32_t>(id) + 1;
  }
  return absl::OkStatus();
}

absl::Status ReadKind(Cursor* c, uint8_t expected, absl::string_view what) {
  uint8_t kind;
  if (!c->Byte(&kind)) return c->Error("empty value");
  if (kind == kLexicalFailedMergeKind && expected == kLexicalSegmentKind) {
    return absl::DataLossError(absl::StrCat(what, ": corrupt value (merging its updates failed: ", c->rest(), ")"));
  }
  if (kind != expected) return c->Error(absl::StrCat("kind ", kind, ", expected ", expected));
  return absl::OkStatus();
}

}  // namespace

std::string EncodeLexicalSegment(absl::Span<const LexicalEntry> entries) {
  std::string out(1, static_cast<char>(kLexicalSegmentKind));
  out.reserve(1 + 5 + entries.size() * 4);
  PutEntries(&out, entries);
  return out;
}

std::string EncodeLexicalEdit(const LexicalEdit& edit) {
  std::string out(1, static_cast<char>(kLexicalEditKind));
  PutVarint32(&out, static_cast<uint32_t>(edit.removed.size()));
  uint32_t next = 0;
  for (uint16_t id : edit.removed) {
    assert(id >= next);
    PutVarint32(&out, id - next);
    next = uint32_t{id} + 1;
  }
  PutEntries(&out, edit.added);
  return out;
}

std::string EncodeLexicalFailedMerge(absl::string_view reason) {
  std::string out(1, static_cast<char>(kLexicalFailedMergeKind));
  out.append(reason.data(), reason.size());
  return out;
}

absl::StatusOr<std::vector<LexicalEntry>> DecodeLexicalSegment(absl::string_view value, absl::string_view what) {
  Cursor c(value, what);
  if (absl::Status s = ReadKind(&c, kLexicalSegmentKind, what); !s.ok()) return s;
  std::vector<LexicalEntry> entries;
  entries.reserve(std::min<size_t>(c.remaining() / kMinEntryBytes, kBlockIdSpace));
  absl::Status s = ReadEntries(&c, "posting list", [&](uint16_t id, uint32_t tf, uint32_t length) {
    entries.push_back(LexicalEntry{id, tf, length});
  });
  if (!s.ok()) return s;
  if (!c.empty()) return c.Error(absl::StrCat(c.remaining(), " trailing bytes"));
  return entries;
}

absl::Status DecodeLexicalSegmentInto(absl::string_view value, uint32_t block, absl::string_view what,
                                      std::vector<LexicalPosting>* out) {
  Cursor c(value, what);
  if (absl::Status s = ReadKind(&c, kLexicalSegmentKind, what); !s.ok()) return s;
  out->reserve(out->size() + std::min<size_t>(c.remaining() / kMinEntryBytes, kBlockIdSpace));
  const uint32_t base = block << 16;
  absl::Status s = ReadEntries(&c, "posting list", [&](uint16_t id, uint32_t tf, uint32_t length) {
    out->push_back(LexicalPosting{base | id, tf, length});
  });
  if (!s.ok()) return s;
  if (!c.empty()) return c.Error(absl::StrCat(c.remaining(), " trailing bytes"));
  return absl::OkStatus();
}

absl::StatusOr<LexicalEdit> DecodeLexicalEdit(absl::string_view value, absl::string_view what) {
  Cursor c(value, what);
  if (absl::Status s = ReadKind(&c, kLexicalEditKind, what); !s.ok()) return s;
  LexicalEdit edit;
  uint32_t n;
  if (absl::Status s = ReadCount(&c, "removed list", 1, &n); !s.ok()) return s;
  edit.removed.reserve(n);
  uint32_t next = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t gap;
    if (!c.Varint(&gap)) return c.Error(absl::StrCat("truncated removed list (id ", i, " of ", n, ")"));
    const uint64_t id = uint64_t{next} + gap;
    if (id >= kBlockIdSpace) return c.Error(absl::StrCat("removed id ", i, " is ", id, ", beyond a 16-bit block"));
    edit.removed.push_back(static_cast<uint16_t>(id));
    next = static_cast<uint32_t>(id) + 1;
  }
  absl::Status s = ReadEntries(&c, "added list", [&](uint16_t id, uint32_t tf, uint32_t length) {
    edit.added.push_back(LexicalEntry{id, tf, length});
  });
  if (!s.ok()) return s;
  if (!c.empty()) return c.Error(absl::StrCat(c.remaining(), " trailing bytes"));
  return edit;
}

bool IsEmptyLexicalSegment(absl::string_view value) {
  return value.size() == 2 && value[0] == static_cast<char>(kLexicalSegmentKind) && value[1] == 0;
}

LexicalEdit CombineLexicalEdits(absl::Span<const LexicalEdit> edits) {
  if (edits.size() == 1) return edits[0];
  // The common case while a collection grows: edits that only add, each past
  // the ids of the one before (ids are handed out in ascending order). Their
  // additions simply concatenate, which a read meeting many pending operands
  // of a frequent term then does in linear time.
  bool appends_only = true;
  int64_t last = -1;
  size_t total_added = 0;
  for (const LexicalEdit& e : edits) {
    if (!e.removed.empty() || (!e.added.empty() && e.added.front().id <= last)) {
      appends_only = false;
      break;
    }
    if (!e.added.empty()) last = e.added.back().id;
    total_added += e.added.size();
  }
  if (appends_only) {
    LexicalEdit combined;
    combined.added.reserve(total_added);
    for (const LexicalEdit& e : edits) combined.added.insert(combined.added.end(), e.added.begin(), e.added.end());
    return combined;
  }
  // Each id ends as its last event says: within an edit the removal comes
  // before the addition, so event order is 2 * edit (+1 for an addition).
  struct Event {
    uint16_t id;
    uint32_t order;
    const LexicalEntry* added;  // null for a removal
  };
  std::vector<Event> events;
  size_t total = 0;
  for (const LexicalEdit& e : edits) total += e.removed.size() + e.added.size();
  events.reserve(total);
  for (size_t i = 0; i < edits.size(); ++i) {
    for (uint16_t id : edits[i].removed) events.push_back(Event{id, static_cast<uint32_t>(2 * i), nullptr});
    for (const LexicalEntry& e : edits[i].added) events.push_back(Event{e.id, static_cast<uint32_t>(2 * i + 1), &e});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return std::tie(a.id, a.order) < std::tie(b.id, b.order); });
  LexicalEdit combined;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i + 1 < events.size() && events[i + 1].id == events[i].id) continue;  // not the last event of its id
    if (events[i].added == nullptr) {
      combined.removed.push_back(events[i].id);
    } else {
      combined.added.push_back(*events[i].added);
    }
  }
  return combined;
}

void ApplyLexicalEdit(absl::Span<const LexicalEntry> entries, const LexicalEdit& edit,
                      std::vector<LexicalEntry>* out) {
  out->clear();
  out->reserve(entries.size() + edit.added.size());
  auto removed = edit.removed.begin();
  auto added = edit.added.begin();
  for (const LexicalEntry& e : entries) {
    while (added != edit.added.end() && added->id < e.id) out->push_back(*added++);
    while (removed != edit.removed.end() && *removed < e.id) ++removed;
    if (added != edit.added.end() && added->id == e.id) {
      out->push_back(*added++);  // replaced
      continue;
    }
    if (removed != edit.removed.end() && *removed == e.id) continue;
    out->push_back(e);
  }
  while (added != edit.added.end()) out->push_back(*added++);
}

}  // namespace lateral::storage
