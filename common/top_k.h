// A fixed-size best-first list for small k (a handful to a few dozen): the
// selection used where a scan meets many candidates and keeps the best few
// (probed cells per vector, top centroids per query token). After the first
// few entries almost every candidate fails one comparison with the current
// k-th score, which beats a heap or partial_sort over the whole scan.
#pragma once

#include <cstdint>

namespace lateral {

// Inserts (score, id) into `scores`/`ids`, k entries sorted by descending
// score, when it beats the k-th entry (ties keep the earlier entry). The
// caller fills the lists with -infinity scores before the scan. Returns
// whether it was inserted.
inline bool InsertTopK(float score, uint32_t id, float* scores, uint32_t* ids, int64_t k) {
  if (!(score > scores[k - 1])) return false;
  int64_t pos = k - 1;
  while (pos > 0 && scores[pos - 1] < score) {
    scores[pos] = scores[pos - 1];
    ids[pos] = ids[pos - 1];
    --pos;
  }
  scores[pos] = score;
  ids[pos] = id;
  return true;
}

}  // namespace lateral
