set(LATERAL_INGEST_WALK_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/binary_sniff.cc
  ${CMAKE_CURRENT_LIST_DIR}/file_walker.cc
  ${CMAKE_CURRENT_LIST_DIR}/glob.cc
  ${CMAKE_CURRENT_LIST_DIR}/ignore_rules.cc)
