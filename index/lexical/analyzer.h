// The lexical analyser: turns UTF-8 text into the terms that BM25 indexes and
// searches. Indexing (ingest/, through the collection store) and querying
// (cli/, query/lexical/) call the same Analyze(), so a query term and a
// document term meet exactly when they are the same word after analysis.
//
// Pipeline, per word:
//   1. ICU word segmentation over the UTF-8 bytes (utext_openUTF8). ICU's word
//      BreakIterator is dictionary based for Chinese, Japanese, Thai, Lao,
//      Khmer and Burmese, so text without spaces still splits into words.
//      Only word-like segments are kept (letters, numbers, ideographs, kana);
//      spaces and punctuation are dropped.
//   2. NFKC with full Unicode case folding (ICU's NFKC_Casefold): fullwidth
//      "ＡＢＣ" becomes "abc", "Straße" and "STRASSE" both become "strasse".
//   3. Snowball stemming (libstemmer) of letter words. The stemmer is chosen
//      per word from the word's script and the language tag: a word written in
//      one of the tag's scripts uses the tag's stemmer (none if Snowball has
//      none for it, e.g. "vi", "zh"); a word in another script, or any word
//      when the tag is empty, uses that script's default stemmer (Cyrillic ->
//      russian, Greek -> greek, Arabic -> arabic, Devanagari -> hindi,
//      Armenian -> armenian, Tamil -> tamil; Latin -> none, as the script says
//      too little about the language: measured, see stemmer_choice.cc). So a
//      Russian query tagged "en" by mistake still gets Russian stems.
//   4. Sub-word trigrams (on by default): every letter word of 4 or more
//      characters also yields the character trigrams of its case-folded,
//      unstemmed form as terms "#xyz", so inflections the stemmer misses,
//      compounds, Arabic clitics and Turkish suffixes still share terms with
//      the query. Not for Chinese/Japanese dictionary words (ideographs and
//      kana), and not for isolating languages, whose words have no inflection
//      to recover: Vietnamese (by tag) and Thai, Lao, Khmer, Burmese (by
//      script).
//   5. CJK bigrams (on by default): inside every run of adjacent Chinese or
//      Japanese words (ideographs, kana), each pair of neighbouring characters
//      is also a term, so a query that the dictionary segments differently
//      from the document (short queries have little context; a typo or a
//      missing character changes the split) still shares terms with it.
//   6. Optional: diacritic folding for Latin, Greek and Cyrillic letters.
//      Measured on xquad-r and left off: no overall gain, Vietnamese loses.
// Terms are never empty, contain no NUL byte and are at most kMaxTermBytes
// long (longer ones are cut at a UTF-8 character boundary).
//
// Identity() names every setting that changes the output; a collection
// stores it and rebuilds the analyser with FromIdentity(), so queries are
// analysed like the documents were. The segmentation dictionaries come with
// ICU; a different ICU version may split some CJK/Thai words differently
// (not captured by the identity).
//
// Thread safety: Analyze() and Terms() are const and may run concurrently on
// many threads. ICU BreakIterators and Snowball stemmers are not thread-safe,
// so each call borrows a private set (a BreakIterator clone and lazily created
// stemmers, each with a bounded cache of recent stems) from a small pool owned
// by the Analyzer; the pool grows to the number of concurrent callers.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/lexical_types.h"

namespace lateral {

struct AnalyzerOptions {
  // Snowball stemming (see the file comment for how the stemmer is chosen).
  bool stemming = true;
  // Strips combining diacritics from Latin, Greek and Cyrillic letters after
  // stemming ("café" -> "cafe"). Never touches other scripts, whose vowel
  // signs are combining marks but carry meaning.
  bool fold_diacritics = false;
  // Overlapping character bigrams over runs of Chinese/Japanese words (see
  // the file comment, step 5). Measured (benchmarks/lexical): the UDHR
  // known-item set, zh nDCG@10 0.8326 -> 0.9045 (ja unchanged at 0.9825);
  // xquad-r zh questions 0.8224 -> 0.8096, still far above FTS5 and Xapian.
  bool cjk_bigrams = true;
  // Character trigrams of letter words (see the file comment, step 4).
  // Measured on xquad-r (benchmarks/lexical, k1 1.2, b 0.75): same-language
  // nDCG@10 0.7759 -> 0.80, up on every language where it applies (ar +0.043,
  // de +0.049, tr +0.048, el +0.028, zh +0.021 from Latin words, ...).
  bool subword_trigrams = true;
};

struct AnalyzedToken {
  std::string term;
  // The word's bytes in the input: input.substr(byte_begin, byte_end - byte_begin).
  // A sub-word trigram carries the offsets of its whole word; a CJK bigram its
  // own two characters (which may lie in two adjacent words).
  uint32_t byte_begin = 0;
  uint32_t byte_end = 0;
};

class Analyzer {
 public:
  // Longest term in bytes; longer words are truncated at a character boundary.
  static constexpr size_t kMaxTermBytes = 255;

  // Fails only if ICU cannot create its word BreakIterator or normaliser
  // (missing ICU data).
  static absl::StatusOr<std::unique_ptr<Analyzer>> Create(const AnalyzerOptions& options);
  // Rebuilds the analyser that produced `identity` (a value of Identity()).
  // InvalidArgument for any identity this version does not know.
  static absl::StatusOr<std::unique_ptr<Analyzer>> FromIdentity(std::string_view identity);
  static absl::StatusOr<AnalyzerOptions> ParseIdentity(std::string_view identity);

  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Stable text naming the analysis rules and options, e.g.
  // "bm25-analyzer-v1;stem=1;fold=0;cjkbigram=1;trigram=1".
  std::string Identity() const;
  const AnalyzerOptions& options() const { return options_; }

  // The analysed tokens of `utf8` in text order (a word's trigrams and
  // bigrams follow the word). `language` is a BCP-47 tag
  // ("de", "pt-BR", "pt_BR", "zh-Hant") or "" when unknown. Invalid UTF-8 is
  // read as U+FFFD (which is not a word), never an error. Inputs over 2 GiB are
  // analysed in pieces cut at a character boundary.
  std::vector<AnalyzedToken> Analyze(std::string_view utf8, std::string_view language) const;

  // Distinct terms of Analyze() with their counts, in order of first
  // occurrence (deterministic); length is the number of tokens. Cheaper than
  // Analyze() (no offsets kept).
  LexicalTerms Terms(std::string_view utf8, std::string_view language) const;

  // Just the terms, in text order, repeats kept: what a query is searched with.
  std::vector<std::string> QueryTerms(std::string_view utf8, std::string_view language) const;

 private:
  struct Scratch;
  struct Shared;

  Analyzer(const AnalyzerOptions& options, std::unique_ptr<Shared> shared);

  // Calls emit(term, byte_begin, byte_end) for every token.
  template <typename Emit>
  void ForEachToken(std::string_view utf8, std::string_view language, Emit&& emit) const;

  std::unique_ptr<Scratch> AcquireScratch() const;
  void ReleaseScratch(std::unique_ptr<Scratch> scratch) const;

  AnalyzerOptions options_;
  std::unique_ptr<Shared> shared_;
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Scratch>> pool_;  // guarded by pool_mu_
};

}  // namespace lateral
