// Which Snowball stemmer analyses a word, from the document's language tag and
// the word's script. Used only by the Analyzer (index/lexical/analyzer.cc);
// the rules are part of the analyser identity "bm25-analyzer-v1", so changing
// them needs a new identity version.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <unicode/uscript.h>

namespace lateral::lexical_internal {

// What a language tag says about stemming.
struct LanguageProfile {
  // The Snowball algorithm for the tag's language ("english"), or "" when
  // Snowball has none ("vi", "zh") or the tag is empty or unknown.
  std::string stemmer;
  // The scripts the language is written in (ICU likely-script data, or the
  // table for Snowball languages). Empty when the tag is empty or unknown.
  std::vector<UScriptCode> scripts;
  // Whether words get sub-word trigrams: false for Vietnamese, whose
  // space-separated syllables carry no inflection for trigrams to recover
  // (measured: trigrams cost vi 0.03 nDCG@10 on xquad-r).
  bool subword_trigrams = true;
};

// Parses the primary language subtag of a BCP-47 tag ("pt-BR", "pt_BR" -> pt),
// case-insensitively, and resolves it. Never fails: unknown tags give an empty
// profile.
LanguageProfile ResolveLanguage(std::string_view tag);

// The stemmer for a word of `script` that is not written in one of its
// language's scripts (or whose language is unknown): "" for none.
const char* DefaultStemmerForScript(UScriptCode script);

}  // namespace lateral::lexical_internal
