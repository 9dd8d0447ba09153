#include "common/blas_threading.h"

#include <cblas.h>

#include <mutex>

namespace lateral {

void SetUpBlasThreading() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

}  // namespace lateral
