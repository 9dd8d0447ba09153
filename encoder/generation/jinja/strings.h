// Python's str semantics on UTF-8 strings, for the Jinja interpreter: the
// whitespace str.isspace() knows, strip / lower / upper / replace / split /
// rsplit, and slice index normalisation. Code points, not bytes, are the
// unit wherever Python counts characters; invalid UTF-8 bytes count as one
// character each and pass through unchanged. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lateral::jinja {

// str.isspace() for one code point.
bool IsPySpace(uint32_t cp);
// str.strip / lstrip / rstrip; `chars` null strips whitespace.
std::string Strip(const std::string& s, const std::string* chars, bool left, bool right);
// str.upper() / str.lower(): Unicode full case mapping (ß -> SS).
std::string CaseMap(std::string s, bool upper);
// str.replace(from, to, count); count < 0 replaces all.
std::string ReplaceAll(const std::string& s, const std::string& from, const std::string& to, int64_t count);
// The indices a Python slice [start:stop:step] selects from a sequence of
// `length` (step != 0).
std::vector<int64_t> SliceIndices(int64_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                                  int64_t step);
// str.split(sep, maxsplit) / str.rsplit; `sep` null splits on whitespace runs,
// else it must be non-empty. maxsplit < 0: no limit.
std::vector<std::string> PySplit(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right);

}  // namespace lateral::jinja
