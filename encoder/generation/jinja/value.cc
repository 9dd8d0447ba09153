#include "encoder/generation/jinja/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lateral::jinja {
namespace {

const ValueList& EmptyList() {
  static const ValueList* empty = new ValueList();
  return *empty;
}
const ValueDict& EmptyDict() {
  static const ValueDict* empty = new ValueDict();
  return *empty;
}

// Length of the UTF-8 sequence starting with `lead`, or 1 for an invalid byte.
size_t SequenceLength(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

void AppendJsonString(const std::string& s, std::string& out) {
  out += '"';
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

absl::Status AppendJson(const Value& v, int indent, bool sort_keys, int depth, std::string& out) {
  if (depth > 256) return absl::InvalidArgumentError("tojson: nesting too deep");
  switch (v.kind()) {
    case Value::Kind::kNone: out += "null"; return absl::OkStatus();
    case Value::Kind::kBool: out += v.boolean() ? "true" : "false"; return absl::OkStatus();
    case Value::Kind::kInt: out += std::to_string(v.integer()); return absl::OkStatus();
    case Value::Kind::kFloat: {
      const double f = v.real();
      if (std::isnan(f)) out += "NaN";
      else if (std::isinf(f)) out += f > 0 ? "Infinity" : "-Infinity";
      else out += FormatPythonFloat(f);
      return absl::OkStatus();
    }
    case Value::Kind::kString: AppendJsonString(v.string(), out); return absl::OkStatus();
    case Value::Kind::kList: {
      const ValueList& items = v.list();
      if (items.empty()) { out += "[]"; return absl::OkStatus(); }
      out += '[';
      const std::string inner = indent >= 0 ? "\n" + std::string((depth + 1) * indent, ' ') : "";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += indent >= 0 ? "," : ", ";
        out += inner;
        absl::Status st = AppendJson(items[i], indent, sort_keys, depth + 1, out);
        if (!st.ok()) return st;
      }
      if (indent >= 0) out += "\n" + std::string(depth * indent, ' ');
      out += ']';
      return absl::OkStatus();
    }
    case Value::Kind::kDict: {
      std::vector<const std::pair<Value, Value>*> items;
      for (const auto& kv : v.dict()) items.push_back(&kv);
      if (items.empty()) { out += "{}"; return absl::OkStatus(); }
      if (sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) {
          return ToPythonString(a->first) < ToPythonString(b->first);
        });
      }
      out += '{';
      const std::string inner = indent >= 0 ? "\n" + std::string((depth + 1) * indent, ' ') : "";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += indent >= 0 ? "," : ", ";
        out += inner;
        const Value& key = items[i]->first;
        if (key.is_string()) {
          AppendJsonString(key.string(), out);
        } else if (key.is_none()) {
          out += "\"null\"";
        } else if (key.kind() == Value::Kind::kBool) {
          out += key.boolean() ? "\"true\"" : "\"false\"";
        } else if (key.is_number()) {
          out += '"';
          absl::Status st = AppendJson(key, -1, false, depth + 1, out);
          if (!st.ok()) return st;
          out += '"';
        } else {
          return absl::InvalidArgumentError("tojson: keys must be str, int, float, bool or None");
        }
        out += ": ";
        absl::Status st = AppendJson(items[i]->second, indent, sort_keys, depth + 1, out);
        if (!st.ok()) return st;
      }
      if (indent >= 0) out += "\n" + std::string(depth * indent, ' ');
      out += '}';
      return absl::OkStatus();
    }
    case Value::Kind::kUndefined:
      return absl::InvalidArgumentError("tojson: Object of type Undefined is not JSON serializable");
    case Value::Kind::kNamespace:
      return absl::InvalidArgumentError("tojson: Object of type Namespace is not JSON serializable");
    case Value::Kind::kCallable:
      return absl::InvalidArgumentError("tojson: a function is not JSON serializable");
  }
  return absl::OkStatus();
}

}  // namespace

Value Value::Undefined(std::string hint) {
  Value v;
  v.string_ = std::move(hint);
  return v;
}
Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}
Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = i;
  return v;
}
Value Value::Float(double f) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = f;
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(s);
  return v;
}
Value Value::List(ValueList items, bool tuple) {
  Value v;
  v.kind_ = Kind::kList;
  v.tuple_ = tuple;
  for (const Value& item : items) v.depth_ = std::max(v.depth_, item.depth_);
  ++v.depth_;
  v.list_ = std::make_shared<ValueList>(std::move(items));
  return v;
}
Value Value::Dict(ValueDict items) {
  Value v;
  v.kind_ = Kind::kDict;
  for (const auto& [key, value] : items) v.depth_ = std::max({v.depth_, key.depth_, value.depth_});
  ++v.depth_;
  v.dict_ = std::make_shared<ValueDict>(std::move(items));
  return v;
}
Value Value::Namespace(ValueDict items) {
  Value v = Dict(std::move(items));
  v.kind_ = Kind::kNamespace;
  return v;
}
Value Value::Function(std::shared_ptr<const Callable> callable) {
  Value v;
  v.kind_ = Kind::kCallable;
  v.callable_ = std::move(callable);
  return v;
}

const ValueList& Value::list() const { return list_ ? *list_ : EmptyList(); }
const ValueDict& Value::dict() const { return dict_ ? *dict_ : EmptyDict(); }
ValueDict& Value::mutable_namespace() const { return *dict_; }

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return bool_;
    case Kind::kInt: return int_ != 0;
    case Kind::kFloat: return float_ != 0;
    case Kind::kString: return !string_.empty();
    case Kind::kList: return !list().empty();
    case Kind::kDict: return !dict().empty();
    case Kind::kNamespace:
    case Kind::kCallable: return true;
  }
  return false;
}

bool Value::Equals(const Value& other) const {
  if (is_number() && other.is_number()) {
    if (kind_ == Kind::kFloat || other.kind_ == Kind::kFloat) return real() == other.real();
    return integer() == other.integer();
  }
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone: return true;
    case Kind::kString: return string_ == other.string_;
    case Kind::kList: {
      if (tuple_ != other.tuple_ || list().size() != other.list().size()) return false;
      for (size_t i = 0; i < list().size(); ++i) {
        if (!list()[i].Equals(other.list()[i])) return false;
      }
      return true;
    }
    case Kind::kDict: {
      if (dict().size() != other.dict().size()) return false;
      for (const auto& [k, v] : dict()) {
        const Value* o = other.Find(k);
        if (o == nullptr || !v.Equals(*o)) return false;
      }
      return true;
    }
    case Kind::kNamespace: return dict_ == other.dict_;
    case Kind::kCallable: return callable_ == other.callable_;
    default: return false;
  }
}

const Value* Value::Find(const Value& key) const {
  if (!is_mapping()) return nullptr;
  for (const auto& kv : dict()) {
    if (kv.first.Equals(key)) return &kv.second;
  }
  return nullptr;
}

const Value* Value::Find(const std::string& key) const {
  if (!is_mapping()) return nullptr;
  for (const auto& kv : dict()) {
    if (kv.first.is_string() && kv.first.string() == key) return &kv.second;
  }
  return nullptr;
}

std::string FormatPythonFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  // Shortest scientific form that reads back as the same double.
  int precision = 0;
  for (; precision < 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string sci(buf);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(sci.c_str() + e_pos + 1);
  const int decpt = exponent + 1;
  std::string out = sign;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(-decpt, '0') + digits;
    } else if (decpt >= static_cast<int>(digits.size())) {
      out += digits + std::string(decpt - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, decpt) + "." + digits.substr(decpt);
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  }
  return out;
}

std::string PythonRepr(const Value& value) {
  if (!value.is_string()) return ToPythonString(value);
  const std::string& s = value.string();
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += quote;
  return out;
}

std::string ToPythonString(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined: return "";
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return value.boolean() ? "True" : "False";
    case Value::Kind::kInt: return std::to_string(value.integer());
    case Value::Kind::kFloat: return FormatPythonFloat(value.real());
    case Value::Kind::kString: return value.string();
    case Value::Kind::kList: {
      std::string out = value.is_tuple() ? "(" : "[";
      const ValueList& items = value.list();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ", ";
        out += items[i].is_undefined() ? "Undefined" : PythonRepr(items[i]);
      }
      if (value.is_tuple() && items.size() == 1) out += ",";
      out += value.is_tuple() ? ")" : "]";
      return out;
    }
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      std::string out = value.kind() == Value::Kind::kNamespace ? "<Namespace {" : "{";
      bool first = true;
      for (const auto& [k, v] : value.dict()) {
        if (!first) out += ", ";
        first = false;
        out += PythonRepr(k) + ": " + (v.is_undefined() ? "Undefined" : PythonRepr(v));
      }
      out += value.kind() == Value::Kind::kNamespace ? "}>" : "}";
      return out;
    }
    case Value::Kind::kCallable: return "<function>";
  }
  return "";
}

absl::StatusOr<std::string> ToJson(const Value& value, int indent, bool sort_keys) {
  std::string out;
  absl::Status st = AppendJson(value, indent, sort_keys, 0, out);
  if (!st.ok()) return st;
  return out;
}

size_t CodePointCount(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += SequenceLength(s, i)) ++n;
  return n;
}

std::vector<size_t> CodePointOffsets(const std::string& s) {
  std::vector<size_t> offsets;
  size_t i = 0;
  for (; i < s.size(); i += SequenceLength(s, i)) offsets.push_back(i);
  offsets.push_back(s.size());
  return offsets;
}

}  // namespace lateral::jinja
