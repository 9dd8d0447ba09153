#include "encoder/generation/jinja/interpreter.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "encoder/generation/jinja/strings.h"

namespace lateral::jinja {
namespace {

using Kind = Value::Kind;

constexpr int kMaxValueDepth = 64;

const std::set<std::string>& FilterNames() {
  static const auto* names = new std::set<std::string>{
      "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "items", "join",
      "last", "length", "list", "lower", "map", "reject", "rejectattr", "replace", "reverse", "safe", "select",
      "selectattr", "string", "title", "tojson", "trim", "unique", "upper", "sum", "min", "max", "sort", "indent"};
  return *names;
}

const std::set<std::string>& TestNames() {
  static const auto* names = new std::set<std::string>{
      "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge", "gt",
      "in", "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas",
      "sequence", "string", "true", "undefined", "upper", "==", "!=", "<", "<=", ">", ">="};
  return *names;
}

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return v.is_tuple() ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kCallable: return "function";
  }
  return "object";
}

struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // The argument named `name` or at `index` (after any leading ones the
  // caller has taken), else `fallback`.
  Value Get(size_t index, const char* name, Value fallback = Value()) const {
    for (const auto& [k, v] : keyword) {
      if (k == name) return v;
    }
    if (index < positional.size()) return positional[index];
    return fallback;
  }
};

class Interpreter {
 public:
  Interpreter(const Template& tmpl, const RenderLimits& limits) : tmpl_(tmpl), limits_(limits) {}

  absl::StatusOr<std::string> Run(const Variables& variables) {
    frames_.emplace_back();
    for (const char* builtin : {"namespace", "range", "dict", "raise_exception", "strftime_now"}) {
      auto callable = std::make_shared<Callable>();
      callable->name = builtin;
      frames_[0].emplace_back(builtin, Value::Function(std::move(callable)));
    }
    for (const auto& [name, value] : variables) Assign(name, value);
    std::string out;
    LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(tmpl_.body, out));
    (void)flow;
    return out;
  }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  using Frame = std::vector<std::pair<std::string, Value>>;

  absl::Status Error(int line, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(tmpl_.origin, ":", line, ": ", message));
  }

  absl::Status Step(int line) {
    if (++steps_ > limits_.max_steps) {
      return Error(line, absl::StrCat("template evaluation exceeded ", limits_.max_steps,
                                      " steps (a runaway loop?)"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckString(int line, size_t size) const {
    if (size > limits_.max_output_bytes) {
      return Error(line, absl::StrCat("template output exceeds ", limits_.max_output_bytes, " bytes"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckCollection(int line, size_t size) const {
    if (size > limits_.max_collection_size) {
      return Error(line, absl::StrCat("a list of ", size, " elements exceeds the limit of ",
                                      limits_.max_collection_size));
    }
    return absl::OkStatus();
  }

  // Deeply nested values would make printing, comparing and freeing them
  // recurse without bound.
  absl::StatusOr<Value> CheckDepth(int line, Value v) const {
    if (v.depth() > kMaxValueDepth) {
      return Error(line, absl::StrCat("values nested deeper than ", kMaxValueDepth, " levels"));
    }
    return v;
  }

  static bool ContainsNamespace(const Value& v) {
    if (v.kind() == Kind::kNamespace) return true;
    if (v.is_list()) {
      for (const Value& item : v.list()) {
        if (ContainsNamespace(item)) return true;
      }
    }
    if (v.kind() == Kind::kDict) {
      for (const auto& [k, item] : v.dict()) {
        if (ContainsNamespace(item)) return true;
      }
    }
    if (v.kind() == Kind::kCallable) {
      for (const auto& [k, item] : v.callable()->closure) {
        if (ContainsNamespace(item)) return true;
      }
    }
    return false;
  }

  absl::Status UndefinedError(int line, const Value& v) const {
    return Error(line, v.string().empty() ? "undefined value" : v.string());
  }

  const Value* Lookup(const std::string& name) const {
    const size_t barrier = barriers_.empty() ? 0 : barriers_.back();
    for (size_t i = frames_.size(); i-- > barrier;) {
      for (const auto& [k, v] : frames_[i]) {
        if (k == name) return &v;
      }
    }
    if (barrier > 0) {
      for (const auto& [k, v] : frames_[0]) {
        if (k == name) return &v;
      }
    }
    return nullptr;
  }

  void Assign(const std::string& name, Value value) {
    Frame& frame = frames_.back();
    for (auto& [k, v] : frame) {
      if (k == name) {
        v = std::move(value);
        return;
      }
    }
    frame.emplace_back(name, std::move(value));
  }

  // ---- statements ----

  absl::StatusOr<Flow> Exec(const Body& body, std::string& out) {
    for (const NodePtr& node : body) {
      LATERAL_RETURN_IF_ERROR(Step(node->line));
      switch (node->kind) {
        case Node::Kind::kText:
          out += node->text;
          LATERAL_RETURN_IF_ERROR(CheckString(node->line, out.size()));
          break;
        case Node::Kind::kOutput: {
          LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*node->expr));
          out += ToPythonString(v);
          LATERAL_RETURN_IF_ERROR(CheckString(node->line, out.size()));
          break;
        }
        case Node::Kind::kIf: {
          bool taken = false;
          for (size_t i = 0; i < node->conditions.size() && !taken; ++i) {
            LATERAL_ASSIGN_OR_RETURN(Value cond, Eval(*node->conditions[i]));
            if (cond.Truthy()) {
              taken = true;
              LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(node->bodies[i], out));
              if (flow != Flow::kNormal) return flow;
            }
          }
          if (!taken) {
            LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(node->else_body, out));
            if (flow != Flow::kNormal) return flow;
          }
          break;
        }
        case Node::Kind::kFor:
          LATERAL_RETURN_IF_ERROR(ExecFor(*node, out));
          break;
        case Node::Kind::kSet: {
          LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*node->expr));
          if (node->attribute_target) {
            const Value* ns = Lookup(node->targets[0]);
            if (ns == nullptr || ns->kind() != Kind::kNamespace) {
              return Error(node->line, absl::StrCat("cannot assign attribute on non-namespace object '",
                                                    node->targets[0], "'"));
            }
            if (ContainsNamespace(v)) {
              // A namespace inside a namespace could form a cycle.
              return Error(node->line, "a namespace attribute cannot hold a namespace");
            }
            ValueDict& items = ns->mutable_namespace();
            bool found = false;
            for (auto& [k, existing] : items) {
              if (k.is_string() && k.string() == node->targets[1]) {
                existing = v;
                found = true;
              }
            }
            if (!found) items.emplace_back(Value::String(node->targets[1]), v);
          } else if (node->targets.size() == 1) {
            Assign(node->targets[0], std::move(v));
          } else {
            LATERAL_RETURN_IF_ERROR(Unpack(node->line, node->targets, v));
          }
          break;
        }
        case Node::Kind::kSetBlock: {
          std::string captured;
          LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(node->body, captured));
          (void)flow;
          Assign(node->targets[0], Value::String(std::move(captured)));
          break;
        }
        case Node::Kind::kMacro: {
          auto callable = std::make_shared<Callable>();
          callable->name = node->name;
          callable->macro = node.get();
          // A macro sees the variables of the scope it is defined in (a loop
          // variable, say) as they are now, as jinja2's closures do.
          const size_t barrier = barriers_.empty() ? 0 : barriers_.back();
          for (size_t i = std::max<size_t>(barrier, 1); i < frames_.size(); ++i) {
            for (const auto& kv : frames_[i]) {
              auto it = std::find_if(callable->closure.begin(), callable->closure.end(),
                                     [&](const auto& c) { return c.first == kv.first; });
              if (it != callable->closure.end()) {
                it->second = kv.second;
              } else {
                callable->closure.push_back(kv);
              }
            }
          }
          Assign(node->name, Value::Function(std::move(callable)));
          break;
        }
        case Node::Kind::kBreak: return Flow::kBreak;
        case Node::Kind::kContinue: return Flow::kContinue;
        case Node::Kind::kScope: {
          LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(node->body, out));
          if (flow != Flow::kNormal) return flow;
          break;
        }
      }
    }
    return Flow::kNormal;
  }

  absl::Status Unpack(int line, const std::vector<std::string>& targets, const Value& v) {
    if (!v.is_list()) {
      return Error(line, absl::StrCat("cannot unpack non-iterable ", TypeName(v), " object"));
    }
    if (v.list().size() != targets.size()) {
      return Error(line, absl::StrCat(v.list().size() < targets.size() ? "not enough" : "too many",
                                      " values to unpack (expected ", targets.size(), ")"));
    }
    for (size_t i = 0; i < targets.size(); ++i) Assign(targets[i], v.list()[i]);
    return absl::OkStatus();
  }

  absl::StatusOr<ValueList> Iterate(int line, const Value& v) {
    switch (v.kind()) {
      case Kind::kUndefined: return ValueList();
      case Kind::kList: return v.list();
      case Kind::kDict:
      case Kind::kNamespace: {
        ValueList keys;
        for (const auto& kv : v.dict()) keys.push_back(kv.first);
        return keys;
      }
      case Kind::kString: {
        ValueList chars;
        const std::vector<size_t> offsets = CodePointOffsets(v.string());
        for (size_t k = 0; k + 1 < offsets.size(); ++k) {
          chars.push_back(Value::String(v.string().substr(offsets[k], offsets[k + 1] - offsets[k])));
        }
        return chars;
      }
      default: return Error(line, absl::StrCat("'", TypeName(v), "' object is not iterable"));
    }
  }

  absl::Status ExecFor(const Node& node, std::string& out) {
    LATERAL_ASSIGN_OR_RETURN(Value iterable, Eval(*node.expr));
    LATERAL_ASSIGN_OR_RETURN(ValueList all, Iterate(node.line, iterable));
    ValueList items;
    if (node.filter != nullptr) {
      for (const Value& item : all) {
        frames_.emplace_back();
        absl::Status st = node.targets.size() == 1 ? (Assign(node.targets[0], item), absl::OkStatus())
                                                   : Unpack(node.line, node.targets, item);
        absl::StatusOr<Value> keep = st.ok() ? Eval(*node.filter) : absl::StatusOr<Value>(st);
        frames_.pop_back();
        if (!keep.ok()) return keep.status();
        if (keep->Truthy()) items.push_back(item);
      }
    } else {
      items = std::move(all);
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      LATERAL_RETURN_IF_ERROR(Step(node.line));
      frames_.emplace_back();
      ValueDict loop = {
          {Value::String("index"), Value::Int(i + 1)},
          {Value::String("index0"), Value::Int(i)},
          {Value::String("revindex"), Value::Int(n - i)},
          {Value::String("revindex0"), Value::Int(n - i - 1)},
          {Value::String("first"), Value::Bool(i == 0)},
          {Value::String("last"), Value::Bool(i + 1 == n)},
          {Value::String("length"), Value::Int(n)},
          {Value::String("depth"), Value::Int(1)},
          {Value::String("depth0"), Value::Int(0)},
          {Value::String("previtem"), i > 0 ? items[i - 1] : Value::Undefined("there is no previous item")},
          {Value::String("nextitem"), i + 1 < n ? items[i + 1] : Value::Undefined("there is no next item")},
      };
      Assign("loop", Value::Dict(std::move(loop)));
      absl::Status st = node.targets.size() == 1 ? (Assign(node.targets[0], items[i]), absl::OkStatus())
                                                 : Unpack(node.line, node.targets, items[i]);
      absl::StatusOr<Flow> flow = st.ok() ? Exec(node.body, out) : absl::StatusOr<Flow>(st);
      frames_.pop_back();
      if (!flow.ok()) return flow.status();
      if (*flow == Flow::kBreak) break;
    }
    if (n == 0) {
      LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(node.else_body, out));
      (void)flow;
    }
    return absl::OkStatus();
  }

  // ---- expressions ----

  absl::StatusOr<Value> Eval(const Expr& e) {
    LATERAL_RETURN_IF_ERROR(Step(e.line));
    switch (e.kind) {
      case Expr::Kind::kLiteral: return e.value;
      case Expr::Kind::kName: {
        const Value* v = Lookup(e.name);
        if (v == nullptr) return Value::Undefined(absl::StrCat("'", e.name, "' is undefined"));
        return *v;
      }
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        ValueList items;
        for (const ExprPtr& arg : e.args) {
          LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*arg));
          items.push_back(std::move(v));
        }
        return CheckDepth(e.line, Value::List(std::move(items), e.kind == Expr::Kind::kTuple));
      }
      case Expr::Kind::kDict: {
        ValueDict items;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          LATERAL_ASSIGN_OR_RETURN(Value key, Eval(*e.args[i]));
          LATERAL_ASSIGN_OR_RETURN(Value value, Eval(*e.args[i + 1]));
          if (key.is_list() && !key.is_tuple()) return Error(e.line, "unhashable type: 'list'");
          if (key.is_mapping()) return Error(e.line, "unhashable type: 'dict'");
          bool replaced = false;
          for (auto& kv : items) {
            if (kv.first.Equals(key)) {
              kv.second = value;
              replaced = true;
            }
          }
          if (!replaced) items.emplace_back(std::move(key), std::move(value));
        }
        return CheckDepth(e.line, Value::Dict(std::move(items)));
      }
      case Expr::Kind::kGetAttr: {
        LATERAL_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
        return GetAttr(e.line, obj, e.name);
      }
      case Expr::Kind::kGetItem: {
        LATERAL_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
        LATERAL_ASSIGN_OR_RETURN(Value key, Eval(*e.args[1]));
        return GetItem(e.line, obj, key);
      }
      case Expr::Kind::kSlice: return EvalSlice(e);
      case Expr::Kind::kCall: return EvalCall(e);
      case Expr::Kind::kFilter: {
        LATERAL_ASSIGN_OR_RETURN(Value subject, Eval(*e.args[0]));
        LATERAL_ASSIGN_OR_RETURN(Args args, EvalArgs(e, 1));
        return ApplyFilter(e.line, e.name, subject, args);
      }
      case Expr::Kind::kTest: {
        LATERAL_ASSIGN_OR_RETURN(Value subject, Eval(*e.args[0]));
        LATERAL_ASSIGN_OR_RETURN(Args args, EvalArgs(e, 1));
        LATERAL_ASSIGN_OR_RETURN(bool result, ApplyTest(e.line, e.name, subject, args));
        return Value::Bool(result != e.negated);
      }
      case Expr::Kind::kNot: {
        LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
        return Value::Bool(!v.Truthy());
      }
      case Expr::Kind::kNeg:
      case Expr::Kind::kPos: {
        LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
        if (v.is_undefined()) return UndefinedError(e.line, v);
        if (!v.is_number()) {
          return Error(e.line, absl::StrCat("bad operand type for unary ", e.kind == Expr::Kind::kNeg ? "-" : "+",
                                            ": '", TypeName(v), "'"));
        }
        if (e.kind == Expr::Kind::kPos) return v.kind() == Kind::kBool ? Value::Int(v.integer()) : v;
        if (v.kind() == Kind::kFloat) return Value::Float(-v.real());
        if (v.integer() == INT64_MIN) return Error(e.line, "integer overflow");
        return Value::Int(-v.integer());
      }
      case Expr::Kind::kBinary: {
        LATERAL_ASSIGN_OR_RETURN(Value a, Eval(*e.args[0]));
        LATERAL_ASSIGN_OR_RETURN(Value b, Eval(*e.args[1]));
        return Binary(e.line, e.name, a, b);
      }
      case Expr::Kind::kCompare: {
        LATERAL_ASSIGN_OR_RETURN(Value left, Eval(*e.args[0]));
        for (size_t i = 0; i < e.ops.size(); ++i) {
          LATERAL_ASSIGN_OR_RETURN(Value right, Eval(*e.args[i + 1]));
          LATERAL_ASSIGN_OR_RETURN(bool ok, Compare(e.line, e.ops[i], left, right));
          if (!ok) return Value::Bool(false);
          left = std::move(right);
        }
        return Value::Bool(true);
      }
      case Expr::Kind::kAnd: {
        LATERAL_ASSIGN_OR_RETURN(Value a, Eval(*e.args[0]));
        if (!a.Truthy()) return a;
        return Eval(*e.args[1]);
      }
      case Expr::Kind::kOr: {
        LATERAL_ASSIGN_OR_RETURN(Value a, Eval(*e.args[0]));
        if (a.Truthy()) return a;
        return Eval(*e.args[1]);
      }
      case Expr::Kind::kCondExpr: {
        LATERAL_ASSIGN_OR_RETURN(Value cond, Eval(*e.args[1]));
        if (cond.Truthy()) return Eval(*e.args[0]);
        if (e.args[2] == nullptr) return Value::Undefined("the inline if expression evaluated to false and no else section was defined");
        return Eval(*e.args[2]);
      }
    }
    return Error(e.line, "unknown expression");
  }

  absl::StatusOr<Args> EvalArgs(const Expr& e, size_t first) {
    Args args;
    for (size_t i = first; i < e.args.size(); ++i) {
      LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*e.args[i]));
      args.positional.push_back(std::move(v));
    }
    for (const auto& [name, expr] : e.kwargs) {
      LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*expr));
      args.keyword.emplace_back(name, std::move(v));
    }
    return args;
  }

  absl::StatusOr<Value> GetAttr(int line, const Value& obj, const std::string& name) {
    if (obj.is_undefined()) return UndefinedError(line, obj);
    if (obj.is_mapping()) {
      if (const Value* v = obj.Find(name)) return *v;
      return Value::Undefined(absl::StrCat("'", obj.kind() == Kind::kNamespace ? "Namespace" : "dict object",
                                           "' has no attribute '", name, "'"));
    }
    return Value::Undefined(absl::StrCat("'", TypeName(obj), " object' has no attribute '", name, "'"));
  }

  absl::StatusOr<Value> GetItem(int line, const Value& obj, const Value& key) {
    if (obj.is_undefined()) return UndefinedError(line, obj);
    if (obj.is_mapping()) {
      if (const Value* v = obj.Find(key)) return *v;
      return Value::Undefined(absl::StrCat("'", TypeName(obj) == "dict" ? "dict object" : TypeName(obj),
                                           "' has no attribute ", PythonRepr(key)));
    }
    if ((obj.is_list() || obj.is_string()) && key.is_number() && key.kind() != Kind::kFloat) {
      int64_t index = key.integer();
      if (obj.is_list()) {
        const int64_t n = static_cast<int64_t>(obj.list().size());
        if (index < 0) index += n;
        if (index < 0 || index >= n) return Value::Undefined(absl::StrCat(TypeName(obj), " index out of range"));
        return obj.list()[index];
      }
      const std::vector<size_t> offsets = CodePointOffsets(obj.string());
      const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
      if (index < 0) index += n;
      if (index < 0 || index >= n) return Value::Undefined("string index out of range");
      return Value::String(obj.string().substr(offsets[index], offsets[index + 1] - offsets[index]));
    }
    if (key.is_string()) return GetAttr(line, obj, key.string());
    return Value::Undefined(absl::StrCat("'", TypeName(obj), " object' has no attribute ", PythonRepr(key)));
  }

  absl::StatusOr<Value> EvalSlice(const Expr& e) {
    LATERAL_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
    std::optional<int64_t> bounds[3];
    for (int k = 0; k < 3; ++k) {
      if (e.args[k + 1] == nullptr) continue;
      LATERAL_ASSIGN_OR_RETURN(Value v, Eval(*e.args[k + 1]));
      if (v.is_none() || v.is_undefined()) continue;
      if (!v.is_number() || v.kind() == Kind::kFloat) {
        return Error(e.line, "slice indices must be integers or None");
      }
      bounds[k] = v.integer();
    }
    const int64_t step = bounds[2].value_or(1);
    if (step == 0) return Error(e.line, "slice step cannot be zero");
    if (obj.is_undefined()) return UndefinedError(e.line, obj);
    if (obj.is_list()) {
      ValueList out;
      for (int64_t i : SliceIndices(static_cast<int64_t>(obj.list().size()), bounds[0], bounds[1], step)) {
        out.push_back(obj.list()[i]);
      }
      return Value::List(std::move(out), obj.is_tuple());
    }
    if (obj.is_string()) {
      const std::vector<size_t> offsets = CodePointOffsets(obj.string());
      std::string out;
      for (int64_t i : SliceIndices(static_cast<int64_t>(offsets.size()) - 1, bounds[0], bounds[1], step)) {
        out.append(obj.string(), offsets[i], offsets[i + 1] - offsets[i]);
      }
      return Value::String(std::move(out));
    }
    return Error(e.line, absl::StrCat("'", TypeName(obj), "' object is not subscriptable"));
  }

  absl::StatusOr<Value> EvalCall(const Expr& e) {
    const Expr& callee = *e.args[0];
    if (callee.kind == Expr::Kind::kGetAttr) {
      LATERAL_ASSIGN_OR_RETURN(Value obj, Eval(*callee.args[0]));
      if (obj.is_undefined()) return UndefinedError(e.line, obj);
      if (obj.is_string() || obj.kind() == Kind::kDict || obj.is_list()) {
        LATERAL_ASSIGN_OR_RETURN(Args args, EvalArgs(e, 1));
        return CallMethod(e.line, obj, callee.name, args);
      }
      LATERAL_ASSIGN_OR_RETURN(Value fn, GetAttr(e.line, obj, callee.name));
      LATERAL_ASSIGN_OR_RETURN(Args args, EvalArgs(e, 1));
      return CallValue(e.line, fn, args);
    }
    LATERAL_ASSIGN_OR_RETURN(Value fn, Eval(callee));
    LATERAL_ASSIGN_OR_RETURN(Args args, EvalArgs(e, 1));
    return CallValue(e.line, fn, args);
  }

  absl::StatusOr<Value> CallValue(int line, const Value& fn, const Args& args) {
    if (fn.is_undefined()) return UndefinedError(line, fn);
    if (fn.kind() != Kind::kCallable) return Error(line, absl::StrCat("'", TypeName(fn), "' object is not callable"));
    const Callable& c = *fn.callable();
    if (c.macro != nullptr) return CallMacro(line, *c.macro, c.closure, args);
    if (c.name == "namespace" || c.name == "dict") {
      ValueDict items;
      if (!args.positional.empty()) {
        if (!args.positional[0].is_mapping() || args.positional.size() > 1) {
          return Error(line, absl::StrCat(c.name, "() takes at most one mapping argument"));
        }
        items = args.positional[0].dict();
      }
      for (const auto& [k, v] : args.keyword) {
        bool replaced = false;
        for (auto& kv : items) {
          if (kv.first.is_string() && kv.first.string() == k) {
            kv.second = v;
            replaced = true;
          }
        }
        if (!replaced) items.emplace_back(Value::String(k), v);
      }
      if (c.name == "dict") return CheckDepth(line, Value::Dict(std::move(items)));
      for (const auto& kv : items) {
        if (ContainsNamespace(kv.second)) return Error(line, "a namespace attribute cannot hold a namespace");
      }
      return CheckDepth(line, Value::Namespace(std::move(items)));
    }
    if (c.name == "range") {
      int64_t bounds[3] = {0, 0, 1};
      const size_t n = args.positional.size();
      if (n < 1 || n > 3) return Error(line, "range expected 1 to 3 arguments");
      for (size_t i = 0; i < n; ++i) {
        if (!args.positional[i].is_number() || args.positional[i].kind() == Kind::kFloat) {
          return Error(line, "range() arguments must be integers");
        }
      }
      if (n == 1) {
        bounds[1] = args.positional[0].integer();
      } else {
        bounds[0] = args.positional[0].integer();
        bounds[1] = args.positional[1].integer();
        if (n == 3) bounds[2] = args.positional[2].integer();
      }
      if (bounds[2] == 0) return Error(line, "range() arg 3 must not be zero");
      ValueList out;
      for (int64_t i = bounds[0]; bounds[2] > 0 ? i < bounds[1] : i > bounds[1]; i += bounds[2]) {
        if (out.size() >= limits_.max_collection_size) return CheckCollection(line, out.size() + 1);
        out.push_back(Value::Int(i));
      }
      return Value::List(std::move(out));
    }
    if (c.name == "raise_exception") {
      const Value msg = args.Get(0, "message");
      return Error(line, absl::StrCat("the template raised an error: ", ToPythonString(msg)));
    }
    if (c.name == "strftime_now") {
      const Value fmt = args.Get(0, "format");
      if (!fmt.is_string()) return Error(line, "strftime_now expects a format string");
      if (fmt.string().size() > 256) return Error(line, "strftime_now format is too long");
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char buf[1024];
      const size_t written = fmt.string().empty() ? 0 : std::strftime(buf, sizeof(buf), fmt.string().c_str(), &tm);
      return Value::String(std::string(buf, written));
    }
    return Error(line, absl::StrCat("'", c.name, "' is not callable"));
  }

  absl::StatusOr<Value> CallMacro(int line, const Node& macro, const Frame& closure, const Args& args) {
    if (static_cast<int>(barriers_.size()) >= limits_.max_call_depth) {
      return Error(line, absl::StrCat("macro calls nested deeper than ", limits_.max_call_depth));
    }
    if (args.positional.size() > macro.params.size()) {
      return Error(line, absl::StrCat("macro '", macro.name, "' takes not more than ", macro.params.size(),
                                      " argument(s)"));
    }
    for (const auto& [k, v] : args.keyword) {
      bool known = false;
      for (const auto& p : macro.params) known = known || p.first == k;
      if (!known) return Error(line, absl::StrCat("macro '", macro.name, "' takes no keyword argument '", k, "'"));
    }
    frames_.push_back(closure);
    barriers_.push_back(frames_.size() - 1);
    frames_.emplace_back();
    absl::StatusOr<std::string> result = [&]() -> absl::StatusOr<std::string> {
      for (size_t i = 0; i < macro.params.size(); ++i) {
        const std::string& name = macro.params[i].first;
        Value value;
        bool given = false;
        for (const auto& [k, v] : args.keyword) {
          if (k == name) {
            value = v;
            given = true;
          }
        }
        if (!given && i < args.positional.size()) {
          value = args.positional[i];
          given = true;
        }
        if (!given && macro.params[i].second != nullptr) {
          LATERAL_ASSIGN_OR_RETURN(value, Eval(*macro.params[i].second));
        } else if (!given) {
          value = Value::Undefined(absl::StrCat("parameter '", name, "' was not provided"));
        }
        Assign(name, std::move(value));
      }
      std::string out;
      LATERAL_ASSIGN_OR_RETURN(Flow flow, Exec(macro.body, out));
      (void)flow;
      return out;
    }();
    barriers_.pop_back();
    frames_.pop_back();
    frames_.pop_back();
    if (!result.ok()) return result.status();
    return Value::String(std::move(*result));
  }

  absl::StatusOr<Value> CallMethod(int line, const Value& obj, const std::string& name, const Args& args) {
    if (obj.is_string()) {
      const std::string& s = obj.string();
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const Value chars = args.Get(0, "chars", Value::None());
        if (!chars.is_none() && !chars.is_string()) return Error(line, absl::StrCat(name, " arg must be None or str"));
        return Value::String(Strip(s, chars.is_string() ? &chars.string() : nullptr, name != "rstrip",
                                   name != "lstrip"));
      }
      if (name == "upper" || name == "lower") return Value::String(CaseMap(s, name == "upper"));
      if (name == "startswith" || name == "endswith") {
        const Value arg = args.Get(0, "prefix");
        ValueList candidates = arg.is_list() ? arg.list() : ValueList{arg};
        for (const Value& c : candidates) {
          if (!c.is_string()) return Error(line, absl::StrCat(name, " first arg must be str or a tuple of str"));
          const std::string& p = c.string();
          const bool hit = name == "startswith" ? s.compare(0, p.size(), p) == 0 && s.size() >= p.size()
                                                : s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
          if (hit) return Value::Bool(true);
        }
        return Value::Bool(false);
      }
      if (name == "split" || name == "rsplit") {
        const Value sep = args.Get(0, "sep", Value::None());
        const Value max = args.Get(1, "maxsplit", Value::Int(-1));
        if (!max.is_number()) return Error(line, "maxsplit must be an integer");
        return Split(line, s, sep, max.integer(), name == "rsplit");
      }
      if (name == "replace") {
        const Value from = args.Get(0, "old");
        const Value to = args.Get(1, "new");
        const Value count = args.Get(2, "count", Value::Int(-1));
        if (!from.is_string() || !to.is_string() || !count.is_number()) {
          return Error(line, "replace() expects two strings and an optional count");
        }
        LATERAL_RETURN_IF_ERROR(CheckReplaceSize(line, s, from.string(), to.string()));
        return Value::String(ReplaceAll(s, from.string(), to.string(), count.integer()));
      }
      if (name == "title" || name == "capitalize") return ApplyFilter(line, name, obj, Args());
      if (name == "join") {
        LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, args.Get(0, "iterable")));
        std::string out;
        for (size_t i = 0; i < items.size(); ++i) {
          if (!items[i].is_string()) {
            return Error(line, absl::StrCat("sequence item ", i, ": expected str instance, ", TypeName(items[i]),
                                            " found"));
          }
          if (i > 0) out += s;
          out += items[i].string();
          LATERAL_RETURN_IF_ERROR(CheckString(line, out.size()));
        }
        return Value::String(std::move(out));
      }
      if (name == "count") {
        const Value sub = args.Get(0, "sub");
        if (!sub.is_string()) return Error(line, "count() expects a string");
        if (sub.string().empty()) return Value::Int(static_cast<int64_t>(CodePointCount(s)) + 1);
        int64_t n = 0;
        for (size_t p = s.find(sub.string()); p != std::string::npos; p = s.find(sub.string(), p + sub.string().size())) ++n;
        return Value::Int(n);
      }
      if (name == "find") {
        const Value sub = args.Get(0, "sub");
        if (!sub.is_string()) return Error(line, "find() expects a string");
        const size_t p = s.find(sub.string());
        return Value::Int(p == std::string::npos ? -1 : static_cast<int64_t>(CodePointCount(s.substr(0, p))));
      }
    } else if (obj.kind() == Kind::kDict) {
      if (name == "get") {
        const Value key = args.Get(0, "key");
        if (const Value* v = obj.Find(key)) return *v;
        return args.Get(1, "default", Value::None());
      }
      if (name == "items") return ApplyFilter(line, "items", obj, Args());
      if (name == "keys" || name == "values") {
        ValueList out;
        for (const auto& [k, v] : obj.dict()) out.push_back(name == "keys" ? k : v);
        return Value::List(std::move(out));
      }
    }
    LATERAL_ASSIGN_OR_RETURN(Value fn, GetAttr(line, obj, name));
    return CallValue(line, fn, args);
  }

  absl::Status CheckReplaceSize(int line, const std::string& s, const std::string& from, const std::string& to) {
    if (to.size() <= from.size()) return absl::OkStatus();
    const size_t occurrences = from.empty() ? CodePointCount(s) + 1 : s.size() / from.size();
    if (occurrences > 0 && (to.size() - from.size()) > limits_.max_output_bytes / occurrences) {
      // Only an upper bound; count exactly before refusing.
      size_t n = 0;
      if (from.empty()) {
        n = occurrences;
      } else {
        for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + from.size())) ++n;
      }
      return CheckString(line, s.size() + n * (to.size() - from.size()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value> Split(int line, const std::string& s, const Value& sep, int64_t maxsplit, bool from_right) {
    if (!sep.is_none() && !sep.is_string()) return Error(line, "must be str or None");
    if (sep.is_string() && sep.string().empty()) return Error(line, "empty separator");
    ValueList out;
    for (std::string& part : PySplit(s, sep.is_string() ? &sep.string() : nullptr, maxsplit, from_right)) {
      out.push_back(Value::String(std::move(part)));
    }
    return Value::List(std::move(out));
  }

  absl::StatusOr<Value> Binary(int line, const std::string& op, const Value& a, const Value& b) {
    if (op == "~") {
      std::string s = ToPythonString(a) + ToPythonString(b);
      LATERAL_RETURN_IF_ERROR(CheckString(line, s.size()));
      return Value::String(std::move(s));
    }
    if (a.is_undefined()) return UndefinedError(line, a);
    if (b.is_undefined()) return UndefinedError(line, b);
    auto unsupported = [&]() {
      return Error(line, absl::StrCat("unsupported operand type(s) for ", op, ": '", TypeName(a), "' and '",
                                      TypeName(b), "'"));
    };
    if (a.is_number() && b.is_number()) {
      const bool both_int = a.kind() != Kind::kFloat && b.kind() != Kind::kFloat;
      const int64_t x = a.integer();
      const int64_t y = b.integer();
      int64_t r = 0;
      if (op == "+") {
        if (!both_int) return Value::Float(a.real() + b.real());
        if (__builtin_add_overflow(x, y, &r)) return Error(line, "integer overflow");
        return Value::Int(r);
      }
      if (op == "-") {
        if (!both_int) return Value::Float(a.real() - b.real());
        if (__builtin_sub_overflow(x, y, &r)) return Error(line, "integer overflow");
        return Value::Int(r);
      }
      if (op == "*") {
        if (!both_int) return Value::Float(a.real() * b.real());
        if (__builtin_mul_overflow(x, y, &r)) return Error(line, "integer overflow");
        return Value::Int(r);
      }
      if (op == "/") {
        if (b.real() == 0) return Error(line, "division by zero");
        return Value::Float(a.real() / b.real());
      }
      if (op == "//" || op == "%") {
        if (both_int ? y == 0 : b.real() == 0) {
          return Error(line, op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
        }
        if (both_int) {
          if (x == INT64_MIN && y == -1) return op == "%" ? Value::Int(0) : absl::StatusOr<Value>(Error(line, "integer overflow"));
          int64_t q = x / y;
          int64_t m = x % y;
          if (m != 0 && ((m < 0) != (y < 0))) {
            --q;
            m += y;
          }
          return Value::Int(op == "//" ? q : m);
        }
        const double fx = a.real();
        const double fy = b.real();
        double m = std::fmod(fx, fy);
        if (m != 0 && ((m < 0) != (fy < 0))) m += fy;
        if (op == "%") return Value::Float(m);
        return Value::Float(std::floor(fx / fy));
      }
      if (op == "**") {
        if (both_int && y >= 0) {
          int64_t result = 1;
          int64_t base = x;
          int64_t exp = y;
          while (exp > 0) {
            if (exp & 1) {
              if (__builtin_mul_overflow(result, base, &result)) return Error(line, "integer overflow");
            }
            exp >>= 1;
            if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return Error(line, "integer overflow");
          }
          return Value::Int(result);
        }
        if (a.real() == 0 && b.real() < 0) return Error(line, "0.0 cannot be raised to a negative power");
        return Value::Float(std::pow(a.real(), b.real()));
      }
      return unsupported();
    }
    if (op == "+") {
      if (a.is_string() && b.is_string()) {
        LATERAL_RETURN_IF_ERROR(CheckString(line, a.string().size() + b.string().size()));
        return Value::String(a.string() + b.string());
      }
      if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
        LATERAL_RETURN_IF_ERROR(CheckCollection(line, a.list().size() + b.list().size()));
        ValueList items = a.list();
        items.insert(items.end(), b.list().begin(), b.list().end());
        return Value::List(std::move(items), a.is_tuple());
      }
      if (a.is_string()) {
        return Error(line, absl::StrCat("can only concatenate str (not \"", TypeName(b), "\") to str"));
      }
      if (a.is_list()) {
        return Error(line, absl::StrCat("can only concatenate ", TypeName(a), " (not \"", TypeName(b), "\") to ",
                                        TypeName(a)));
      }
      return unsupported();
    }
    if (op == "*") {
      const Value* seq = a.is_number() ? &b : &a;
      const Value* count = a.is_number() ? &a : &b;
      if (!count->is_number() || count->kind() == Kind::kFloat || !(seq->is_string() || seq->is_list())) {
        return unsupported();
      }
      const int64_t times = std::max<int64_t>(count->integer(), 0);
      if (seq->is_string()) {
        if (times > 0 && seq->string().size() > 0 && static_cast<uint64_t>(times) > limits_.max_output_bytes / seq->string().size()) {
          return CheckString(line, limits_.max_output_bytes + 1);
        }
        std::string out;
        for (int64_t i = 0; i < times; ++i) out += seq->string();
        return Value::String(std::move(out));
      }
      if (times > 0 && seq->list().size() > 0 && static_cast<uint64_t>(times) > limits_.max_collection_size / seq->list().size()) {
        return CheckCollection(line, limits_.max_collection_size + 1);
      }
      ValueList out;
      for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq->list().begin(), seq->list().end());
      return Value::List(std::move(out), seq->is_tuple());
    }
    if (op == "%" && a.is_string()) return Error(line, "string formatting with % is not supported");
    return unsupported();
  }

  absl::StatusOr<bool> Compare(int line, const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return a.Equals(b);
    if (op == "!=") return !a.Equals(b);
    if (op == "in" || op == "notin") {
      LATERAL_ASSIGN_OR_RETURN(bool found, Contains(line, b, a));
      return found == (op == "in");
    }
    if (a.is_undefined()) return UndefinedError(line, a);
    if (b.is_undefined()) return UndefinedError(line, b);
    int cmp;
    if (a.is_number() && b.is_number()) {
      cmp = a.real() < b.real() ? -1 : a.real() > b.real() ? 1 : 0;
      if (a.kind() != Kind::kFloat && b.kind() != Kind::kFloat) {
        cmp = a.integer() < b.integer() ? -1 : a.integer() > b.integer() ? 1 : 0;
      }
      if (std::isnan(a.real()) || std::isnan(b.real())) return false;
    } else if (a.is_string() && b.is_string()) {
      cmp = a.string().compare(b.string());
    } else {
      return Error(line, absl::StrCat("'", op, "' not supported between instances of '", TypeName(a), "' and '",
                                      TypeName(b), "'"));
    }
    if (op == "<") return cmp < 0;
    if (op == "<=") return cmp <= 0;
    if (op == ">") return cmp > 0;
    return cmp >= 0;
  }

  absl::StatusOr<bool> Contains(int line, const Value& container, const Value& item) {
    switch (container.kind()) {
      case Kind::kUndefined: return false;
      case Kind::kString:
        if (!item.is_string()) {
          return Error(line, absl::StrCat("'in <string>' requires string as left operand, not ", TypeName(item)));
        }
        return container.string().find(item.string()) != std::string::npos;
      case Kind::kList:
        for (const Value& v : container.list()) {
          if (v.Equals(item)) return true;
        }
        return false;
      case Kind::kDict:
      case Kind::kNamespace: return container.Find(item) != nullptr;
      default: return Error(line, absl::StrCat("argument of type '", TypeName(container), "' is not iterable"));
    }
  }

  absl::StatusOr<bool> ApplyTest(int line, const std::string& name, const Value& v, const Args& args) {
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is_none();
    if (name == "string") return v.is_string();
    if (name == "mapping") return v.is_mapping();
    if (name == "iterable") return v.is_list() || v.is_string() || v.is_mapping() || v.is_undefined();
    if (name == "sequence") return v.is_list() || v.is_string() || v.is_mapping();
    if (name == "number") return v.is_number();
    if (name == "integer") return v.kind() == Kind::kInt;
    if (name == "float") return v.kind() == Kind::kFloat;
    if (name == "boolean") return v.kind() == Kind::kBool;
    if (name == "true") return v.kind() == Kind::kBool && v.boolean();
    if (name == "false") return v.kind() == Kind::kBool && !v.boolean();
    if (name == "callable") return v.kind() == Kind::kCallable;
    if (name == "lower") return v.is_string() && CaseMap(v.string(), false) == v.string();
    if (name == "upper") return v.is_string() && CaseMap(v.string(), true) == v.string();
    if (name == "even" || name == "odd" || name == "divisibleby") {
      if (v.is_undefined()) return UndefinedError(line, v);
      if (!v.is_number() || v.kind() == Kind::kFloat) return Error(line, absl::StrCat("test '", name, "' needs an integer"));
      if (name == "divisibleby") {
        const Value d = args.Get(0, "num");
        if (!d.is_number() || d.kind() == Kind::kFloat || d.integer() == 0) {
          return Error(line, "divisibleby needs a non-zero integer");
        }
        return v.integer() % d.integer() == 0;
      }
      return (v.integer() % 2 == 0) == (name == "even");
    }
    const Value other = args.Get(0, "other");
    if (name == "eq" || name == "equalto" || name == "==") return v.Equals(other);
    if (name == "ne" || name == "!=") return !v.Equals(other);
    if (name == "sameas") {
      if (v.is_mapping() || v.is_list()) return v.Equals(other) && v.kind() == other.kind();
      return v.kind() == other.kind() && v.Equals(other);
    }
    if (name == "in") return Contains(line, other, v);
    if (name == "lt" || name == "<") return Compare(line, "<", v, other);
    if (name == "le" || name == "<=") return Compare(line, "<=", v, other);
    if (name == "gt" || name == ">") return Compare(line, ">", v, other);
    if (name == "ge" || name == ">=") return Compare(line, ">=", v, other);
    return Error(line, absl::StrCat("no test named '", name, "'"));
  }

  // Attribute lookup as jinja2's filters do it (dotted paths, items of lists).
  absl::StatusOr<Value> AttributePath(int line, const Value& item, const Value& attribute) {
    if (attribute.is_number()) return GetItem(line, item, attribute);
    if (!attribute.is_string()) return Error(line, "attribute must be a string");
    Value current = item;
    size_t pos = 0;
    const std::string& path = attribute.string();
    while (true) {
      const size_t dot = path.find('.', pos);
      const std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
      bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (current.is_undefined()) return current;
      if (numeric && part.size() < 18) {
        LATERAL_ASSIGN_OR_RETURN(current, GetItem(line, current, Value::Int(std::stoll(part))));
      } else {
        LATERAL_ASSIGN_OR_RETURN(current, GetItem(line, current, Value::String(part)));
      }
      if (dot == std::string::npos) return current;
      pos = dot + 1;
    }
  }

  absl::StatusOr<Value> ApplyFilter(int line, const std::string& name, const Value& v, const Args& args) {
    if (name == "default" || name == "d") {
      const Value fallback = args.Get(0, "default_value", Value::String(""));
      const bool boolean = args.Get(1, "boolean", Value::Bool(false)).Truthy();
      if (v.is_undefined() || (boolean && !v.Truthy())) return fallback;
      return v;
    }
    if (name == "length" || name == "count") {
      switch (v.kind()) {
        case Kind::kUndefined: return Value::Int(0);
        case Kind::kString: return Value::Int(static_cast<int64_t>(CodePointCount(v.string())));
        case Kind::kList: return Value::Int(static_cast<int64_t>(v.list().size()));
        case Kind::kDict:
        case Kind::kNamespace: return Value::Int(static_cast<int64_t>(v.dict().size()));
        default: return Error(line, absl::StrCat("object of type '", TypeName(v), "' has no len()"));
      }
    }
    if (name == "tojson") {
      const Value ensure_ascii = args.Get(0, "ensure_ascii", Value::Bool(false));
      const Value indent = args.Get(1, "indent", Value::None());
      const Value sort_keys = args.Get(3, "sort_keys", Value::Bool(false));
      if (ensure_ascii.Truthy()) return Error(line, "tojson(ensure_ascii=True) is not supported");
      if (!args.Get(2, "separators", Value::None()).is_none()) return Error(line, "tojson(separators=...) is not supported");
      int indent_width = -1;
      if (!indent.is_none()) {
        if (!indent.is_number() || indent.kind() == Kind::kFloat) return Error(line, "tojson indent must be an integer");
        indent_width = static_cast<int>(std::clamp<int64_t>(indent.integer(), 0, 64));
      }
      absl::StatusOr<std::string> json = ToJson(v, indent_width, sort_keys.Truthy());
      if (!json.ok()) return Error(line, std::string(json.status().message()));
      LATERAL_RETURN_IF_ERROR(CheckString(line, json->size()));
      return Value::String(std::move(*json));
    }
    if (name == "string") return v.is_string() ? v : Value::String(ToPythonString(v));
    if (name == "safe") return v;
    if (name == "e" || name == "escape") {
      std::string out;
      for (char c : ToPythonString(v)) {
        switch (c) {
          case '&': out += "&amp;"; break;
          case '<': out += "&lt;"; break;
          case '>': out += "&gt;"; break;
          case '"': out += "&#34;"; break;
          case '\'': out += "&#39;"; break;
          default: out += c;
        }
      }
      LATERAL_RETURN_IF_ERROR(CheckString(line, out.size()));
      return Value::String(std::move(out));
    }
    if (name == "lower" || name == "upper") return Value::String(CaseMap(ToPythonString(v), name == "upper"));
    if (name == "capitalize") {
      std::string s = CaseMap(ToPythonString(v), false);
      if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
      return Value::String(std::move(s));
    }
    if (name == "title") {
      std::string s = ToPythonString(v);
      bool start = true;
      for (char& c : s) {
        const bool alpha = std::isalpha(static_cast<unsigned char>(c));
        if (alpha) c = static_cast<char>(start ? std::toupper(c) : std::tolower(c));
        start = !alpha && !(c >= '0' && c <= '9') && c != '\'';
        if (static_cast<unsigned char>(c) >= 0x80) start = false;
      }
      return Value::String(std::move(s));
    }
    if (name == "trim") {
      const Value chars = args.Get(0, "chars", Value::None());
      const std::string s = ToPythonString(v);
      return Value::String(Strip(s, chars.is_string() ? &chars.string() : nullptr, true, true));
    }
    if (name == "replace") {
      const std::string s = ToPythonString(v);
      const Value from = args.Get(0, "old");
      const Value to = args.Get(1, "new");
      const Value count = args.Get(2, "count", Value::None());
      const std::string f = ToPythonString(from);
      const std::string t = ToPythonString(to);
      LATERAL_RETURN_IF_ERROR(CheckReplaceSize(line, s, f, t));
      return Value::String(ReplaceAll(s, f, t, count.is_number() ? count.integer() : -1));
    }
    if (name == "first" || name == "last") {
      if (v.is_undefined()) return Value::Undefined("No first item, sequence was empty.");
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      if (items.empty()) return Value::Undefined(absl::StrCat("No ", name, " item, sequence was empty."));
      return name == "first" ? items.front() : items.back();
    }
    if (name == "join") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      const Value sep = args.Get(0, "d", Value::String(""));
      const Value attribute = args.Get(1, "attribute", Value::None());
      std::string out;
      for (size_t i = 0; i < items.size(); ++i) {
        Value item = items[i];
        if (!attribute.is_none()) {
          LATERAL_ASSIGN_OR_RETURN(item, AttributePath(line, item, attribute));
        }
        if (i > 0) out += ToPythonString(sep);
        out += ToPythonString(item);
        LATERAL_RETURN_IF_ERROR(CheckString(line, out.size()));
      }
      return Value::String(std::move(out));
    }
    if (name == "items") {
      if (v.is_undefined()) return Value::List({});
      if (!v.is_mapping()) return Error(line, "Can only get item pairs from a mapping.");
      ValueList out;
      for (const auto& [k, val] : v.dict()) out.push_back(Value::List({k, val}, true));
      return CheckDepth(line, Value::List(std::move(out)));
    }
    if (name == "list") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      return Value::List(std::move(items));
    }
    if (name == "reverse") {
      if (v.is_string()) {
        const std::vector<size_t> offsets = CodePointOffsets(v.string());
        std::string out;
        for (size_t k = offsets.size() - 1; k-- > 0;) out.append(v.string(), offsets[k], offsets[k + 1] - offsets[k]);
        return Value::String(std::move(out));
      }
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      std::reverse(items.begin(), items.end());
      return Value::List(std::move(items));
    }
    if (name == "unique") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      ValueList out;
      for (const Value& item : items) {
        bool seen = false;
        for (const Value& o : out) seen = seen || o.Equals(item);
        if (!seen) out.push_back(item);
      }
      return Value::List(std::move(out));
    }
    if (name == "sort" || name == "min" || name == "max") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      const bool reverse = name == "sort" && args.Get(0, "reverse", Value::Bool(false)).Truthy();
      const Value attribute = args.Get(name == "sort" ? 2 : 1, "attribute", Value::None());
      std::vector<std::pair<Value, Value>> keyed;
      for (const Value& item : items) {
        Value key = item;
        if (!attribute.is_none()) {
          LATERAL_ASSIGN_OR_RETURN(key, AttributePath(line, item, attribute));
        }
        if (key.is_string()) key = Value::String(CaseMap(key.string(), false));
        keyed.emplace_back(key, item);
      }
      absl::Status failure;
      std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
        absl::StatusOr<bool> less = Compare(line, "<", x.first, y.first);
        if (!less.ok()) {
          if (failure.ok()) failure = less.status();
          return false;
        }
        return *less;
      });
      LATERAL_RETURN_IF_ERROR(failure);
      if (name == "min" || name == "max") {
        if (keyed.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
        // The first of the smallest / largest, as Python's min() and max().
        size_t best = name == "min" ? 0 : keyed.size() - 1;
        while (name == "max" && best > 0 && keyed[best - 1].first.Equals(keyed[best].first)) --best;
        return keyed[best].second;
      }
      ValueList out;
      for (auto& kv : keyed) out.push_back(kv.second);
      if (reverse) std::reverse(out.begin(), out.end());
      return Value::List(std::move(out));
    }
    if (name == "sum") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      const Value attribute = args.Get(0, "attribute", Value::None());
      Value total = args.Get(1, "start", Value::Int(0));
      for (const Value& item : items) {
        Value x = item;
        if (!attribute.is_none()) {
          LATERAL_ASSIGN_OR_RETURN(x, AttributePath(line, item, attribute));
        }
        LATERAL_ASSIGN_OR_RETURN(total, Binary(line, "+", total, x));
      }
      return total;
    }
    if (name == "int") {
      const Value fallback = args.Get(0, "default", Value::Int(0));
      if (v.kind() == Kind::kFloat) {
        if (!std::isfinite(v.real()) || std::fabs(v.real()) > 9.2e18) return fallback;
        return Value::Int(static_cast<int64_t>(v.real()));
      }
      if (v.is_number()) return Value::Int(v.integer());
      if (v.is_string()) {
        const std::string s = Strip(v.string(), nullptr, true, true);
        char* end = nullptr;
        errno = 0;
        const long long parsed = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return Value::Int(parsed);
        const double f = std::strtod(s.c_str(), &end);
        if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(f) && std::fabs(f) < 9.2e18) {
          return Value::Int(static_cast<int64_t>(f));
        }
      }
      return fallback;
    }
    if (name == "float") {
      const Value fallback = args.Get(0, "default", Value::Float(0.0));
      if (v.is_number()) return Value::Float(v.real());
      if (v.is_string()) {
        const std::string s = Strip(v.string(), nullptr, true, true);
        char* end = nullptr;
        const double f = std::strtod(s.c_str(), &end);
        if (!s.empty() && end == s.c_str() + s.size()) return Value::Float(f);
      }
      return fallback;
    }
    if (name == "abs") {
      if (!v.is_number()) return Error(line, absl::StrCat("bad operand type for abs(): '", TypeName(v), "'"));
      if (v.kind() == Kind::kFloat) return Value::Float(std::fabs(v.real()));
      if (v.integer() == INT64_MIN) return Error(line, "integer overflow");
      return Value::Int(std::llabs(v.integer()));
    }
    if (name == "indent") {
      const Value width = args.Get(0, "width", Value::Int(4));
      const bool first = args.Get(1, "first", Value::Bool(false)).Truthy();
      const bool blank = args.Get(2, "blank", Value::Bool(false)).Truthy();
      const std::string pad = width.is_string() ? width.string()
                                                : std::string(std::clamp<int64_t>(width.integer(), 0, 256), ' ');
      const std::string s = ToPythonString(v);
      std::string out;
      size_t pos = 0;
      bool first_line = true;
      while (pos <= s.size()) {
        size_t nl = s.find('\n', pos);
        const std::string line_text = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if ((!first_line || first) && (blank || !line_text.empty())) out += pad;
        out += line_text;
        LATERAL_RETURN_IF_ERROR(CheckString(line, out.size()));
        if (nl == std::string::npos) break;
        out += '\n';
        pos = nl + 1;
        first_line = false;
      }
      return Value::String(std::move(out));
    }
    if (name == "map") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      ValueList out;
      const Value attribute = args.Get(99, "attribute", Value::None());
      if (!attribute.is_none()) {
        const Value fallback = args.Get(99, "default", Value());
        for (const Value& item : items) {
          LATERAL_ASSIGN_OR_RETURN(Value x, AttributePath(line, item, attribute));
          out.push_back(x.is_undefined() && !fallback.is_undefined() ? fallback : x);
        }
        return Value::List(std::move(out));
      }
      if (args.positional.empty() || !args.positional[0].is_string()) return Error(line, "map() needs a filter name or attribute=");
      const std::string filter = args.positional[0].string();
      if (!FilterNames().count(filter) || filter == "map") return Error(line, absl::StrCat("no filter named '", filter, "'"));
      Args rest;
      rest.positional.assign(args.positional.begin() + 1, args.positional.end());
      rest.keyword = args.keyword;
      for (const Value& item : items) {
        LATERAL_ASSIGN_OR_RETURN(Value x, ApplyFilter(line, filter, item, rest));
        out.push_back(std::move(x));
      }
      return Value::List(std::move(out));
    }
    if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
      LATERAL_ASSIGN_OR_RETURN(ValueList items, Iterate(line, v));
      const bool by_attr = name == "selectattr" || name == "rejectattr";
      const bool keep_if = name == "select" || name == "selectattr";
      size_t k = 0;
      Value attribute;
      if (by_attr) {
        if (args.positional.empty()) return Error(line, absl::StrCat(name, "() needs an attribute"));
        attribute = args.positional[k++];
      }
      std::string test;
      if (k < args.positional.size()) {
        if (!args.positional[k].is_string()) return Error(line, "test name must be a string");
        test = args.positional[k++].string();
        if (!TestNames().count(test)) return Error(line, absl::StrCat("no test named '", test, "'"));
      }
      Args test_args;
      test_args.positional.assign(args.positional.begin() + k, args.positional.end());
      ValueList out;
      for (const Value& item : items) {
        Value subject = item;
        if (by_attr) {
          LATERAL_ASSIGN_OR_RETURN(subject, AttributePath(line, item, attribute));
        }
        bool pass;
        if (test.empty()) {
          pass = subject.Truthy();
        } else {
          LATERAL_ASSIGN_OR_RETURN(pass, ApplyTest(line, test, subject, test_args));
        }
        if (pass == keep_if) out.push_back(item);
      }
      return Value::List(std::move(out));
    }
    return Error(line, absl::StrCat("no filter named '", name, "'"));
  }

  const Template& tmpl_;
  const RenderLimits& limits_;
  std::vector<Frame> frames_;
  std::vector<size_t> barriers_;
  int64_t steps_ = 0;
};

absl::Status ValidateExpr(const std::string& origin, const Expr& e) {
  if (e.kind == Expr::Kind::kFilter && !FilterNames().count(e.name)) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ":", e.line, ": no filter named '", e.name, "'"));
  }
  if (e.kind == Expr::Kind::kTest && !TestNames().count(e.name)) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ":", e.line, ": no test named '", e.name, "'"));
  }
  for (const ExprPtr& arg : e.args) {
    if (arg != nullptr) LATERAL_RETURN_IF_ERROR(ValidateExpr(origin, *arg));
  }
  for (const auto& kv : e.kwargs) LATERAL_RETURN_IF_ERROR(ValidateExpr(origin, *kv.second));
  return absl::OkStatus();
}

absl::Status ValidateBody(const std::string& origin, const Body& body) {
  for (const NodePtr& node : body) {
    for (const Expr* e : {node->expr.get(), node->filter.get()}) {
      if (e != nullptr) LATERAL_RETURN_IF_ERROR(ValidateExpr(origin, *e));
    }
    for (const ExprPtr& c : node->conditions) LATERAL_RETURN_IF_ERROR(ValidateExpr(origin, *c));
    for (const auto& p : node->params) {
      if (p.second != nullptr) LATERAL_RETURN_IF_ERROR(ValidateExpr(origin, *p.second));
    }
    for (const Body& b : node->bodies) LATERAL_RETURN_IF_ERROR(ValidateBody(origin, b));
    LATERAL_RETURN_IF_ERROR(ValidateBody(origin, node->body));
    LATERAL_RETURN_IF_ERROR(ValidateBody(origin, node->else_body));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const Template& tmpl) { return ValidateBody(tmpl.origin, tmpl.body); }

absl::StatusOr<std::string> Render(const Template& tmpl, const Variables& variables, const RenderLimits& limits) {
  Interpreter interpreter(tmpl, limits);
  return interpreter.Run(variables);
}

}  // namespace lateral::jinja
