set(LATERAL_COLBERT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/colbert_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/colbert_encoder.cc
)
