#include "encoder/generation/stop_strings.h"

#include <algorithm>

namespace lateral {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

namespace {

// Earliest position of a complete stop string in `text`, or npos.
size_t EarliestMatch(const std::string& text, const std::vector<std::string>& stops, std::string* which) {
  size_t best = std::string::npos;
  for (const std::string& stop : stops) {
    const size_t at = text.find(stop);
    if (at != std::string::npos && (best == std::string::npos || at < best)) {
      best = at;
      *which = stop;
    }
  }
  return best;
}

// Earliest position p < limit where text[p:] is a proper prefix of a stop
// string (a stop that may still complete), or `limit`.
size_t EarliestPartial(const std::string& text, const std::vector<std::string>& stops, size_t limit) {
  size_t longest = 0;
  for (const std::string& stop : stops) longest = std::max(longest, stop.size());
  const size_t from = text.size() >= longest ? text.size() - longest + 1 : 0;
  for (size_t p = from; p < limit; ++p) {
    const size_t tail = text.size() - p;
    for (const std::string& stop : stops) {
      if (tail < stop.size() && stop.compare(0, tail, text, p, tail) == 0) return p;
    }
  }
  return limit;
}

}  // namespace

std::string StopStringMatcher::Push(std::string_view text) {
  if (stopped_) return "";
  pending_.append(text.data(), text.size());
  std::string which;
  const size_t match = EarliestMatch(pending_, stops_, &which);
  // A longer stop string starting earlier may still complete, so a complete
  // match only decides once nothing before it is pending.
  const size_t partial = EarliestPartial(pending_, stops_, match == std::string::npos ? pending_.size() : match);
  if (match != std::string::npos && partial == match) {
    stopped_ = true;
    matched_ = which;
    std::string out = pending_.substr(0, match);
    pending_.clear();
    return out;
  }
  std::string out = pending_.substr(0, partial);
  pending_.erase(0, partial);
  return out;
}

std::string StopStringMatcher::Finish() {
  if (stopped_) return "";
  // Partial candidates can no longer complete; a complete match held back
  // behind them now decides.
  std::string which;
  const size_t match = EarliestMatch(pending_, stops_, &which);
  std::string out = match == std::string::npos ? std::move(pending_) : pending_.substr(0, match);
  if (match != std::string::npos) {
    stopped_ = true;
    matched_ = which;
  }
  pending_.clear();
  return out;
}

}  // namespace lateral
