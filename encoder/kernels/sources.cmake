# encoder/kernels/: runtime-dispatched bf16 / int8 matrix and elementwise kernels (portable,
# AVX2+FMA, AVX-512 BF16+VNNI tiers) and their scalar oracles. Included by
# encoder/CMakeLists.txt into lateral_encoder.
set(LATERAL_KERNELS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/bf16_gemm.cc
  ${CMAKE_CURRENT_LIST_DIR}/elementwise.cc
  ${CMAKE_CURRENT_LIST_DIR}/int8_gemm.cc
  ${CMAKE_CURRENT_LIST_DIR}/kernel_tier.cc
  ${CMAKE_CURRENT_LIST_DIR}/precision.cc
  ${CMAKE_CURRENT_LIST_DIR}/q4_gemm.cc
  ${CMAKE_CURRENT_LIST_DIR}/reference_kernels.cc
)
