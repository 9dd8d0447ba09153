// One scheduler owns the cores: oneTBB. OpenBLAS's own threads would
// oversubscribe them (and spin in sched_yield) when a BLAS call runs inside
// a TBB task, so every module that calls BLAS first makes it single-threaded.
#pragma once

namespace lateral {

// Sets OpenBLAS to one thread, once per process; cheap to call before every
// BLAS call. Thread-safe.
void SetUpBlasThreading();

}  // namespace lateral
