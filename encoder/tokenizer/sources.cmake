# encoder/tokenizer/: text <-> token ids (tokenizer.json byte-level BPE and
# SentencePiece). Included by encoder/CMakeLists.txt into lateral_encoder.
set(LATERAL_TOKENIZER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/added_tokens.cc
  ${CMAKE_CURRENT_LIST_DIR}/bpe_model.cc
  ${CMAKE_CURRENT_LIST_DIR}/byte_level.cc
  ${CMAKE_CURRENT_LIST_DIR}/hf_tokenizer.cc
  ${CMAKE_CURRENT_LIST_DIR}/llama3_splitter.cc
  ${CMAKE_CURRENT_LIST_DIR}/normalizer.cc
  ${CMAKE_CURRENT_LIST_DIR}/piece_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/pretokenizer.cc
  ${CMAKE_CURRENT_LIST_DIR}/regex_splitter.cc
  ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_adapter.cc
  ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_tokenizer.cc
  ${CMAKE_CURRENT_LIST_DIR}/splitter.cc
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer.cc
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/utf8.cc
)
