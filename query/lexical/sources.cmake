# BM25 search over lexical postings and fusion of ranked lists (part of lateral_query).
set(LATERAL_QUERY_LEXICAL_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/bm25_searcher.cc
  ${CMAKE_CURRENT_LIST_DIR}/fusion.cc
)
