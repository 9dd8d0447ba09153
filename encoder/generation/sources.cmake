set(LATERAL_GENERATION_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/generation_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/generator.cc
  ${CMAKE_CURRENT_LIST_DIR}/sampler.cc
)
