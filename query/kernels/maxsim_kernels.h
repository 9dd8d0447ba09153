// SIMD late-interaction kernels for the exact stage of search.
//
// MaxSimKernel(Q, D) = sum_i max_j q_i . d_j, the same value as NaiveMaxSim
// (query/maxsim.h) to float rounding, without BLAS call overhead on the small
// matrices search scores (32 query tokens x 30-300 document tokens).
// Dispatches on ActiveSimdLevel(). Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace lateral {

// query [nq, dim], document [nd, dim], row-major float32. nd == 0 scores 0.
float MaxSimKernel(const float* query, int64_t nq, const float* document, int64_t nd, int dim);

}  // namespace lateral
