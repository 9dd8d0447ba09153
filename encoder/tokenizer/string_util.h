// Bridging std::string_view and absl::string_view (internal to
// encoder/tokenizer/).
//
// Debian's Abseil is built with its own absl::string_view class rather than
// an alias of std::string_view, and the two do not convert implicitly. The
// tokenizer's interface speaks std::string_view, so calls into Abseil (StrCat,
// lookups in string-keyed hash maps) go through these helpers.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lateral::tok {

inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename T>
decltype(auto) CatArg(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return ToAbsl(value);
  } else {
    return (value);
  }
}

// absl::StrCat that also accepts std::string_view arguments.
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(CatArg(args)...);
}

// Hashing and equality that let flat_hash_map<std::string, V> be searched
// with a std::string_view without building a std::string.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return absl::Hash<absl::string_view>()(ToAbsl(s)); }
};
struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringViewHash, StringViewEq>;

}  // namespace lateral::tok
