#include "index/lexical/analyzer.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/rbbi.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "index/lexical/stemmer_choice.h"

namespace lateral {
namespace {

constexpr char kIdentityPrefix[] = "bm25-analyzer-v1";

// Sub-word trigram terms start with a character that no word term contains
// (ICU words never include '#'), so they never collide with a word.
constexpr char kTrigramPrefix[] = "#";
constexpr size_t kMinTrigramWordChars = 4;

// Pieces of a long input are cut below ICU's int32 text indices.
constexpr size_t kMaxPieceBytes = size_t{1} << 30;

struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
using StemmerPtr = std::unique_ptr<sb_stemmer, StemmerDeleter>;

struct UTextCloser {
  void operator()(UText* t) const { utext_close(t); }
};

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Cuts `term` to at most Analyzer::kMaxTermBytes at a UTF-8 character start.
void TruncateTerm(std::string& term) {
  if (term.size() <= Analyzer::kMaxTermBytes) return;
  size_t cut = Analyzer::kMaxTermBytes;
  while (cut > 0 && (static_cast<unsigned char>(term[cut]) & 0xC0) == 0x80) --cut;
  term.resize(cut);
}

// The script of the first character of `term` that has one (not Common or
// Inherited, e.g. digits and combining marks), or USCRIPT_COMMON.
UScriptCode ScriptOf(std::string_view term) {
  if (!term.empty()) {
    const char c = term[0];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return USCRIPT_LATIN;
  }
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(term.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(term.data(), i, n, c);
    if (c < 0) continue;
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &status);
    if (U_SUCCESS(status) && script != USCRIPT_COMMON && script != USCRIPT_INHERITED) {
      return script;
    }
  }
  return USCRIPT_COMMON;
}

// Scripts of isolating languages segmented by ICU's dictionaries (Thai, Lao,
// Khmer, Burmese): their words do not inflect, so sub-word trigrams only add
// noise, as for Vietnamese. Measured on xquad-r th, nDCG@10: 0.7849 with,
// 0.8068 without (part of that gain is BM25 length normalisation: Thai
// documents without trigrams are short next to the mixed collection's
// average).
bool IsolatingScript(UScriptCode script) {
  return script == USCRIPT_THAI || script == USCRIPT_LAO || script == USCRIPT_KHMER ||
         script == USCRIPT_MYANMAR;
}

bool FoldsDiacritics(UScriptCode script) {
  return script == USCRIPT_LATIN || script == USCRIPT_GREEK || script == USCRIPT_CYRILLIC;
}

}  // namespace

// Immutable objects shared by every thread.
struct Analyzer::Shared {
  std::unique_ptr<icu::BreakIterator> word_prototype;  // cloned per Scratch, never used directly
  const icu::Normalizer2* nfkc_casefold = nullptr;     // ICU singletons, thread-safe
  const icu::Normalizer2* nfd = nullptr;
  const icu::Normalizer2* nfc = nullptr;
};

// A Snowball stemmer with a cache of its results: word frequencies are
// Zipfian, so most words were stemmed before, and a lookup is several times
// cheaper than stemming again.
struct CachedStemmer {
  static constexpr size_t kMaxCached = 1 << 16;
  StemmerPtr stemmer;
  absl::flat_hash_map<std::string, std::string> cache;

  // Replaces `term` by its stem.
  void Stem(std::string& term) {
    auto it = cache.find(term);
    if (it != cache.end()) {
      term = it->second;
      return;
    }
    const sb_symbol* stem = sb_stemmer_stem(stemmer.get(), reinterpret_cast<const sb_symbol*>(term.data()),
                                            static_cast<int>(term.size()));
    if (stem == nullptr) return;  // out of memory: keep the word
    const int length = sb_stemmer_length(stemmer.get());
    if (length <= 0) return;
    if (cache.size() >= kMaxCached) cache.clear();
    std::string stemmed(reinterpret_cast<const char*>(stem), length);
    cache.emplace(term, stemmed);
    term = std::move(stemmed);
  }
};

// Per-call mutable state: one thread at a time.
struct Analyzer::Scratch {
  std::unique_ptr<icu::BreakIterator> words;
  absl::flat_hash_map<std::string, std::unique_ptr<CachedStemmer>> stemmers;  // by Snowball name
  absl::flat_hash_map<std::string, lexical_internal::LanguageProfile> languages;  // by tag
  std::string term;
  std::string unstemmed;
  std::vector<int32_t> char_starts;
  icu::UnicodeString u_decomposed;

  // nullptr if libstemmer lacks `name` (not for names in our table), which
  // just disables stemming.
  CachedStemmer* Stemmer(const std::string& name) {
    auto it = stemmers.find(name);
    if (it == stemmers.end()) {
      std::unique_ptr<CachedStemmer> cached;
      if (sb_stemmer* raw = sb_stemmer_new(name.c_str(), "UTF_8")) {
        cached = std::make_unique<CachedStemmer>();
        cached->stemmer.reset(raw);
      }
      it = stemmers.emplace(name, std::move(cached)).first;
    }
    return it->second.get();
  }

  const lexical_internal::LanguageProfile& Language(std::string_view tag) {
    auto it = languages.find(std::string(tag));
    if (it == languages.end()) {
      if (languages.size() > 256) languages.clear();  // bound the cache against odd input
      it = languages.emplace(std::string(tag), lexical_internal::ResolveLanguage(tag)).first;
    }
    return it->second;
  }
};

absl::StatusOr<std::unique_ptr<Analyzer>> Analyzer::Create(const AnalyzerOptions& options) {
  auto shared = std::make_unique<Shared>();
  UErrorCode status = U_ZERO_ERROR;
  shared->word_prototype.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || shared->word_prototype == nullptr) {
    return absl::InternalError(
        absl::StrCat("ICU word BreakIterator unavailable: ", u_errorName(status)));
  }
  shared->nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  shared->nfd = icu::Normalizer2::getNFDInstance(status);
  shared->nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    return absl::InternalError(absl::StrCat("ICU normaliser unavailable: ", u_errorName(status)));
  }
  return std::unique_ptr<Analyzer>(new Analyzer(options, std::move(shared)));
}

absl::StatusOr<AnalyzerOptions> Analyzer::ParseIdentity(std::string_view identity) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(identity.data(), identity.size()), ';');
  if (parts.empty() || parts[0] != kIdentityPrefix) {
    return absl::InvalidArgumentError(absl::StrCat("unknown lexical analyser identity \"",
                                                   std::string(identity), "\"; this version reads \"",
                                                   kIdentityPrefix, ";...\""));
  }
  AnalyzerOptions options;
  bool seen_stem = false, seen_fold = false, seen_cjk = false, seen_trigram = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(parts[i], '=');
    bool* target = nullptr;
    bool* seen = nullptr;
    if (kv.first == "stem") {
      target = &options.stemming;
      seen = &seen_stem;
    } else if (kv.first == "fold") {
      target = &options.fold_diacritics;
      seen = &seen_fold;
    } else if (kv.first == "cjkbigram") {
      target = &options.cjk_bigrams;
      seen = &seen_cjk;
    } else if (kv.first == "trigram") {
      target = &options.subword_trigrams;
      seen = &seen_trigram;
    }
    if (target == nullptr || *seen || (kv.second != "0" && kv.second != "1")) {
      return absl::InvalidArgumentError(absl::StrCat("lexical analyser identity \"",
                                                     std::string(identity), "\": bad field \"",
                                                     parts[i], "\""));
    }
    *seen = true;
    *target = kv.second == "1";
  }
  if (!seen_stem || !seen_fold || !seen_cjk || !seen_trigram) {
    return absl::InvalidArgumentError(absl::StrCat("lexical analyser identity \"",
                                                   std::string(identity),
                                                   "\" lacks one of stem=, fold=, cjkbigram=, trigram="));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Analyzer>> Analyzer::FromIdentity(std::string_view identity) {
  absl::StatusOr<AnalyzerOptions> options = ParseIdentity(identity);
  if (!options.ok()) return options.status();
  return Create(*options);
}

Analyzer::Analyzer(const AnalyzerOptions& options, std::unique_ptr<Shared> shared)
    : options_(options), shared_(std::move(shared)) {}

Analyzer::~Analyzer() = default;

std::string Analyzer::Identity() const {
  return absl::StrCat(kIdentityPrefix, ";stem=", options_.stemming ? 1 : 0,
                      ";fold=", options_.fold_diacritics ? 1 : 0,
                      ";cjkbigram=", options_.cjk_bigrams ? 1 : 0,
                      ";trigram=", options_.subword_trigrams ? 1 : 0);
}

std::unique_ptr<Analyzer::Scratch> Analyzer::AcquireScratch() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (!pool_.empty()) {
    std::unique_ptr<Scratch> scratch = std::move(pool_.back());
    pool_.pop_back();
    return scratch;
  }
  auto scratch = std::make_unique<Scratch>();
  // Cloned under the lock: the prototype is never iterated, but ICU does not
  // promise that concurrent clone() calls of one object are safe.
  scratch->words.reset(shared_->word_prototype->clone());
  return scratch;
}

void Analyzer::ReleaseScratch(std::unique_ptr<Scratch> scratch) const {
  if (scratch == nullptr || scratch->words == nullptr) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(scratch));
}

template <typename Emit>
void Analyzer::ForEachToken(std::string_view utf8, std::string_view language, Emit&& emit) const {
  std::unique_ptr<Scratch> scratch = AcquireScratch();
  if (scratch->words == nullptr) return;  // clone failed (out of memory)
  Scratch& s = *scratch;
  const lexical_internal::LanguageProfile& profile = s.Language(language);
  std::string& term = s.term;
  // Consecutive words are mostly in one script: remember its stemmer.
  UScriptCode last_script = USCRIPT_INVALID_CODE;
  CachedStemmer* last_stemmer = nullptr;
  // The last Chinese/Japanese word's end and last character, for the bigram
  // that spans two adjacent words.
  uint64_t prev_cjk_end = ~uint64_t{0};
  std::string_view prev_cjk_last;
  std::string junction;

  // NFKC + case folding of `word` into `out`; false when nothing remains.
  auto normalize = [&](std::string_view word, std::string& out) {
    out.clear();
    if (IsAscii(word)) {
      out.reserve(word.size());
      for (char c : word) {
        if (c == '\0') continue;
        out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c);
      }
    } else {
      UErrorCode status = U_ZERO_ERROR;
      icu::StringByteSink<std::string> sink(&out);
      shared_->nfkc_casefold->normalizeUTF8(0, icu::StringPiece(word.data(), word.size()), sink,
                                            nullptr, status);
      if (U_FAILURE(status)) return false;
      out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
    }
    return !out.empty();
  };
  auto stem = [&](std::string& t) {
    const UScriptCode script = ScriptOf(t);
    CachedStemmer* stemmer = nullptr;
    if (script == last_script) {
      stemmer = last_stemmer;
    } else {
      const bool own_script = std::find(profile.scripts.begin(), profile.scripts.end(), script) !=
                              profile.scripts.end();
      const char* name =
          own_script ? profile.stemmer.c_str() : lexical_internal::DefaultStemmerForScript(script);
      stemmer = name[0] != '\0' ? s.Stemmer(name) : nullptr;
      last_script = script;
      last_stemmer = stemmer;
    }
    if (stemmer != nullptr) stemmer->Stem(t);
  };
  auto fold = [&](std::string& t) {
    if (IsAscii(t)) return;
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString& u = s.u_decomposed;
    u = shared_->nfd->normalize(icu::UnicodeString::fromUTF8(t), status);
    if (U_FAILURE(status)) return;
    icu::UnicodeString kept;
    bool base_folds = false;
    for (int32_t i = 0; i < u.length();) {
      const UChar32 c = u.char32At(i);
      i += U16_LENGTH(c);
      if (u_charType(c) == U_NON_SPACING_MARK) {
        if (base_folds) continue;
      } else {
        UErrorCode script_status = U_ZERO_ERROR;
        base_folds = FoldsDiacritics(uscript_getScript(c, &script_status));
      }
      kept.append(c);
    }
    icu::UnicodeString composed = shared_->nfc->normalize(kept, status);
    if (U_SUCCESS(status) && !composed.isEmpty()) {
      t.clear();
      composed.toUTF8String(t);
    }
  };
  const bool word_trigrams = options_.subword_trigrams && profile.subword_trigrams;
  std::vector<int32_t>& starts = s.char_starts;
  // Fills `starts` with the byte offset of each character of `text`, plus its end.
  auto char_starts = [&](std::string_view text) {
    starts.clear();
    const int32_t n = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < n;) {
      starts.push_back(i);
      U8_FWD_1(text.data(), i, n);
    }
    starts.push_back(n);
  };

  size_t piece_begin = 0;
  while (piece_begin < utf8.size()) {
    size_t piece_end = utf8.size();
    if (piece_end - piece_begin > kMaxPieceBytes) {
      piece_end = piece_begin + kMaxPieceBytes;
      while (piece_end > piece_begin && (static_cast<unsigned char>(utf8[piece_end]) & 0xC0) == 0x80) {
        --piece_end;
      }
      // Only continuation bytes (invalid UTF-8): cut anyway, ICU reads them as U+FFFD.
      if (piece_end == piece_begin) piece_end = piece_begin + kMaxPieceBytes;
    }
    const std::string_view piece = utf8.substr(piece_begin, piece_end - piece_begin);
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<UText, UTextCloser> text(
        utext_openUTF8(nullptr, piece.data(), static_cast<int64_t>(piece.size()), &status));
    if (U_FAILURE(status)) break;
    s.words->setText(text.get(), status);
    if (U_FAILURE(status)) break;
    int32_t begin = s.words->first();
    for (int32_t end = s.words->next(); end != icu::BreakIterator::DONE;
         begin = end, end = s.words->next()) {
      const int32_t rule = s.words->getRuleStatus();
      if (rule < UBRK_WORD_NUMBER || rule >= UBRK_WORD_IDEO_LIMIT) continue;
      const std::string_view word = piece.substr(begin, end - begin);
      const bool letters = rule >= UBRK_WORD_LETTER && rule < UBRK_WORD_LETTER_LIMIT;
      const uint64_t abs_begin = piece_begin + static_cast<uint64_t>(begin);
      const uint64_t abs_end = piece_begin + static_cast<uint64_t>(end);
      constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
      if (!normalize(word, term)) continue;
      const uint32_t out_begin = static_cast<uint32_t>(std::min(abs_begin, kMax));
      const uint32_t out_end = static_cast<uint32_t>(std::min(abs_end, kMax));
      const bool trigrams = word_trigrams && letters && !IsolatingScript(ScriptOf(term));
      if (trigrams) s.unstemmed = term;
      if (options_.stemming && letters) stem(term);
      if (options_.fold_diacritics && letters) fold(term);
      TruncateTerm(term);
      if (!term.empty()) emit(term, out_begin, out_end);
      if (trigrams) {
        std::string& base = s.unstemmed;
        if (options_.fold_diacritics) fold(base);
        char_starts(base);
        const size_t chars = starts.size() - 1;
        if (chars >= kMinTrigramWordChars) {
          for (size_t i = 0; i + 3 <= chars; ++i) {
            term.assign(kTrigramPrefix);
            term.append(base, starts[i], starts[i + 3] - starts[i]);
            emit(term, out_begin, out_end);
          }
        }
      }
      const bool cjk = rule >= UBRK_WORD_KANA && rule < UBRK_WORD_IDEO_LIMIT;
      if (options_.cjk_bigrams && cjk) {
        // Bigram i spans characters i and i + 1 of the original word.
        char_starts(word);
        const size_t chars = starts.size() - 1;
        // The bigram across the boundary with the previous word, when the two
        // touch: with the words' own bigrams (and two-character words, which
        // are their own bigram) every adjacent pair of the run is a term.
        if (prev_cjk_end == abs_begin && !prev_cjk_last.empty()) {
          junction.assign(prev_cjk_last.data(), prev_cjk_last.size());
          junction.append(word.data(), starts[1]);
          if (normalize(junction, term)) {
            TruncateTerm(term);
            emit(term, static_cast<uint32_t>(std::min(abs_begin - prev_cjk_last.size(), kMax)),
                 static_cast<uint32_t>(std::min(abs_begin + starts[1], kMax)));
          }
        }
        prev_cjk_end = abs_end;
        prev_cjk_last = word.substr(starts[chars - 1]);
        if (chars >= 3) {
          for (size_t i = 0; i + 2 <= chars; ++i) {
            const std::string_view bigram = word.substr(starts[i], starts[i + 2] - starts[i]);
            if (normalize(bigram, term)) {
              TruncateTerm(term);
              emit(term, static_cast<uint32_t>(std::min(abs_begin + starts[i], kMax)),
                   static_cast<uint32_t>(std::min(abs_begin + starts[i + 2], kMax)));
            }
          }
        }
      }
    }
    // Point the iterator at a static empty text, not at `piece`, which the
    // caller may free before this Scratch is used again.
    status = U_ZERO_ERROR;
    std::unique_ptr<UText, UTextCloser> empty(utext_openUTF8(nullptr, "", 0, &status));
    if (U_SUCCESS(status)) s.words->setText(empty.get(), status);
    piece_begin = piece_end;
  }
  ReleaseScratch(std::move(scratch));
}

std::vector<AnalyzedToken> Analyzer::Analyze(std::string_view utf8, std::string_view language) const {
  std::vector<AnalyzedToken> tokens;
  ForEachToken(utf8, language, [&](const std::string& term, uint32_t begin, uint32_t end) {
    tokens.push_back(AnalyzedToken{term, begin, end});
  });
  return tokens;
}

LexicalTerms Analyzer::Terms(std::string_view utf8, std::string_view language) const {
  // Distinct terms numbered in order of first occurrence: a deterministic
  // order without sorting (sorting strings cost more than the hashing).
  absl::flat_hash_map<std::string, uint32_t> position;
  position.reserve(std::min<size_t>(utf8.size() / 8, size_t{1} << 16));
  std::vector<uint32_t> counts;
  uint32_t length = 0;
  ForEachToken(utf8, language, [&](const std::string& term, uint32_t, uint32_t) {
    auto [it, inserted] = position.try_emplace(term, static_cast<uint32_t>(counts.size()));
    if (inserted) {
      counts.push_back(1);
    } else {
      ++counts[it->second];
    }
    ++length;
  });
  LexicalTerms out;
  out.length = length;
  out.term_frequencies.resize(counts.size());
  for (const auto& [term, i] : position) out.term_frequencies[i] = {term, counts[i]};
  return out;
}

std::vector<std::string> Analyzer::QueryTerms(std::string_view utf8, std::string_view language) const {
  std::vector<std::string> terms;
  ForEachToken(utf8, language,
               [&](const std::string& term, uint32_t, uint32_t) { terms.push_back(term); });
  return terms;
}

}  // namespace lateral
