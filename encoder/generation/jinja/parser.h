// Parses Jinja template source into a tree, with jinja2's whitespace rules as
// Hugging Face configures them for chat templates (trim_blocks, lstrip_blocks,
// `-`/`+` whitespace control, one trailing newline dropped, \r\n -> \n).
//
// Parse() owns the returned tree; the interpreter (jinja/interpreter.h) walks
// it. Errors are InvalidArgument "ORIGIN:LINE: message". Nesting depth and
// source size are bounded, so hostile source cannot exhaust the stack.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "encoder/generation/jinja/value.h"

namespace lateral::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,    // value
    kName,       // name
    kList,       // args
    kTuple,      // args
    kDict,       // args: key, value, key, value...
    kGetAttr,    // args[0] . name
    kGetItem,    // args[0] [ args[1] ]
    kSlice,      // args[0] [ args[1] : args[2] : args[3] ]  (null = omitted)
    kCall,       // args[0] ( args[1..], kwargs )
    kFilter,     // args[0] | name ( args[1..], kwargs )
    kTest,       // args[0] is [not] name ( args[1..] ); negated
    kNot,        // not args[0]
    kNeg,        // - args[0]
    kPos,        // + args[0]
    kBinary,     // args[0] op args[1]  (+ - * / // % ** ~)
    kCompare,    // args[0] ops[0] args[1] ops[1] args[2] ...  (== != < <= > >= in notin)
    kAnd,        // args[0] and args[1]
    kOr,         // args[0] or args[1]
    kCondExpr,   // args[0] if args[1] else args[2] (args[2] null = undefined)
  };
  Kind kind;
  int line = 0;
  Value value;
  std::string name;
  bool negated = false;
  std::vector<ExprPtr> args;
  std::vector<std::string> ops;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // conditions[i] -> bodies[i]; else_body
    kFor,       // for targets in expr [if filter]: body; else_body
    kSet,       // set targets = expr   or   set target.attr = expr
    kSetBlock,  // set target %} body {% endset
    kMacro,     // macro name(params) body
    kBreak,
    kContinue,
    kScope,     // body rendered as is ({% generation %})
  };
  Kind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body body;
  Body else_body;
  std::vector<std::string> targets;  // for/set names; kSet with attribute: {ns, attr}
  bool attribute_target = false;
  std::string name;                                    // macro
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro parameters and defaults
};

struct Template {
  std::string origin;
  Body body;
};

absl::StatusOr<std::shared_ptr<const Template>> Parse(const std::string& source, const std::string& origin);

}  // namespace lateral::jinja
