# ingest/text: encodings to UTF-8, NFC, sentence boundaries, chunking (part of lateral_ingest).
set(LATERAL_INGEST_TEXT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/encoding.cc
  ${CMAKE_CURRENT_LIST_DIR}/sentences.cc
  ${CMAKE_CURRENT_LIST_DIR}/chunker.cc
)
