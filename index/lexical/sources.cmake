# The lexical analyser (part of lateral_index): ICU segmentation, NFKC case
# folding, Snowball stemming.
set(LATERAL_INDEX_LEXICAL_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/analyzer.cc
  ${CMAKE_CURRENT_LIST_DIR}/stemmer_choice.cc
)
