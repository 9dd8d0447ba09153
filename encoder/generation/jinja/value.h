// Values of the Jinja subset that chat templates use, with Python's semantics.
//
// A Value is what a template expression evaluates to: undefined (jinja2's
// default Undefined: renders as "", falsy, iterates as empty), none, bool,
// int, float, string (UTF-8; lengths and indices count code points as Python
// does), list (or tuple), dict (insertion-ordered), namespace (the only
// mutable kind, shared by reference) and callables (builtins and macros).
// Lists and dicts are immutable once built and shared, so copying a Value is
// cheap. Built by the interpreter (jinja/interpreter.h) and by callers that
// pass variables in (ChatTemplate).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::jinja {

class Value;
struct Callable;  // defined by the interpreter

using ValueList = std::vector<Value>;
using ValueDict = std::vector<std::pair<Value, Value>>;  // insertion order, unique keys

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() = default;  // undefined
  static Value Undefined(std::string hint = "");
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(ValueList items, bool tuple = false);
  static Value Dict(ValueDict items);
  static Value Namespace(ValueDict items);
  static Value Function(std::shared_ptr<const Callable> callable);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_mapping() const { return kind_ == Kind::kDict || kind_ == Kind::kNamespace; }
  bool is_tuple() const { return kind_ == Kind::kList && tuple_; }

  // Nesting depth: 0 for scalars, 1 + the deepest element for lists and dicts
  // (as of construction; namespaces may change later).
  int depth() const { return depth_; }
  bool boolean() const { return bool_; }
  int64_t integer() const { return kind_ == Kind::kBool ? (bool_ ? 1 : 0) : int_; }
  double real() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(integer()); }
  const std::string& string() const { return string_; }  // kString; for undefined, the hint
  const ValueList& list() const;
  const ValueDict& dict() const;        // kDict or kNamespace
  ValueDict& mutable_namespace() const;  // kNamespace only
  const std::shared_ptr<const Callable>& callable() const { return callable_; }

  // Python truthiness (undefined is false).
  bool Truthy() const;
  // Python ==, with 1 == 1.0 == True; undefined equals only undefined.
  bool Equals(const Value& other) const;
  // Dict / namespace lookup; nullptr when absent.
  const Value* Find(const Value& key) const;
  const Value* Find(const std::string& key) const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool bool_ = false;
  bool tuple_ = false;
  int depth_ = 0;
  int64_t int_ = 0;
  double float_ = 0;
  std::string string_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<const Callable> callable_;
};

// Python's str(): what `{{ value }}` prints (None, True, 1.5, ['a', 1], ...).
std::string ToPythonString(const Value& value);
// Python's repr() of a str: 'it\'s' -> "it's" quoted as Python would.
std::string PythonRepr(const Value& value);
// Python's repr() of a float (shortest round-trip, 1.0, 1e+20, inf, nan).
std::string FormatPythonFloat(double value);
// json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=...) as
// transformers' tojson filter calls it; indent < 0 means None. Undefined and
// callables are not serialisable (an error, as in Python).
absl::StatusOr<std::string> ToJson(const Value& value, int indent, bool sort_keys);
// Number of code points of a UTF-8 string (an invalid byte counts as one).
size_t CodePointCount(const std::string& s);
// Byte offsets of each code point start, plus s.size() at the end.
std::vector<size_t> CodePointOffsets(const std::string& s);

}  // namespace lateral::jinja
