#include "encoder/generation/jinja/parser.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral::jinja {
namespace {

constexpr size_t kMaxSourceBytes = 1 << 20;
constexpr int kMaxDepth = 64;

struct Token {
  enum class Type { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEof };
  Type type;
  std::string text;
  int64_t integer = 0;
  double real = 0;
  int line = 0;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Python's "unicode-escape" decoding, which jinja2 applies to string literals.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    auto hex = [&](int digits) -> bool {
      uint32_t cp = 0;
      for (int k = 1; k <= digits; ++k) {
        if (i + k >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + k]))) return false;
        const char h = s[i + k];
        cp = cp * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
      }
      AppendUtf8(cp, out);
      i += digits;
      return true;
    };
    switch (c) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x':
        if (!hex(2)) out += "\\x";
        break;
      case 'u':
        if (!hex(4)) out += "\\u";
        break;
      case 'U':
        if (!hex(8)) out += "\\U";
        break;
      default:
        if (c >= '0' && c <= '7') {
          uint32_t cp = c - '0';
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k) {
            cp = cp * 8 + (s[++i] - '0');
          }
          AppendUtf8(cp, out);
        } else {
          out += '\\';
          out += c;
        }
    }
  }
  return out;
}

class Lexer {
 public:
  Lexer(const std::string& source, const std::string& origin) : origin_(origin) {
    src_.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        src_ += '\n';
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        src_ += source[i];
      }
    }
    if (!src_.empty() && src_.back() == '\n') src_.pop_back();  // keep_trailing_newline=False
  }

  absl::StatusOr<std::vector<Token>> Run() {
    const size_t n = src_.size();
    size_t pos = 0;
    bool line_starting = true;
    while (pos < n) {
      size_t start = pos;
      while (true) {
        start = src_.find('{', start);
        if (start == std::string::npos || start + 1 >= n) {
          start = std::string::npos;
          break;
        }
        const char t = src_[start + 1];
        if (t == '{' || t == '%' || t == '#') break;
        ++start;
      }
      if (start == std::string::npos) {
        Emit(Token::Type::kText, src_.substr(pos));
        break;
      }
      std::string text = src_.substr(pos, start - pos);
      const char type = src_[start + 1];
      size_t p = start + 2;
      char sign = 0;
      if (p < n && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
      if (sign == '-') {
        size_t end = text.size();
        while (end > 0 && IsSpace(text[end - 1])) --end;
        text.resize(end);
      } else if (sign != '+' && type != '{') {
        const size_t nl = text.rfind('\n');
        const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if (l_pos > 0 || line_starting) {
          bool blank = true;
          for (size_t k = l_pos; k < text.size(); ++k) blank = blank && (text[k] == ' ' || text[k] == '\t');
          if (blank) text.resize(l_pos);
        }
      }
      if (!text.empty()) Emit(Token::Type::kText, text);
      Advance(pos, start);
      if (type == '#') {
        LATERAL_RETURN_IF_ERROR(Comment(p, pos));
      } else if (type == '%' && IsRaw(p)) {
        LATERAL_RETURN_IF_ERROR(Raw(p, pos));
      } else {
        LATERAL_RETURN_IF_ERROR(Tag(type == '%', p, pos));
      }
      line_starting = pos > 0 && src_[pos - 1] == '\n';
    }
    Token eof;
    eof.type = Token::Type::kEof;
    eof.line = line_;
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  absl::Status Error(int line, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(origin_, ":", line, ": ", message));
  }

  void Emit(Token::Type type, std::string text) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.line = line_;
    tokens_.push_back(std::move(t));
  }

  // Moves `pos` to `to`, counting lines.
  void Advance(size_t& pos, size_t to) {
    for (size_t k = pos; k < to && k < src_.size(); ++k) line_ += src_[k] == '\n';
    pos = to;
  }

  // After a block or comment end marker at `p`: `-` strips all following
  // whitespace, `+` keeps it, otherwise trim_blocks drops one newline.
  size_t AfterEnd(size_t p, char sign) const {
    if (sign == '-') {
      while (p < src_.size() && IsSpace(src_[p])) ++p;
    } else if (sign != '+' && p < src_.size() && src_[p] == '\n') {
      ++p;
    }
    return p;
  }

  absl::Status Comment(size_t p, size_t& pos) {
    const size_t end = src_.find("#}", p);
    if (end == std::string::npos) return Error(line_, "missing end of comment tag");
    const char sign = end > p && (src_[end - 1] == '-' || src_[end - 1] == '+') ? src_[end - 1] : 0;
    Advance(pos, AfterEnd(end + 2, sign));
    return absl::OkStatus();
  }

  bool IsRaw(size_t p) const {
    while (p < src_.size() && IsSpace(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    if (p < src_.size() && IsIdentChar(src_[p])) return false;
    while (p < src_.size() && IsSpace(src_[p])) ++p;
    return src_.compare(p, 2, "%}") == 0 || src_.compare(p, 3, "-%}") == 0;
  }

  absl::Status Raw(size_t p, size_t& pos) {
    p = src_.find("%}", p);
    const char open_sign = src_[p - 1] == '-' ? '-' : 0;
    p = AfterEnd(p + 2, open_sign);
    // The body runs to the first {% endraw %}.
    size_t search = p;
    while (true) {
      const size_t tag = src_.find("{%", search);
      if (tag == std::string::npos) return Error(line_, "missing end of raw directive");
      size_t q = tag + 2;
      char sign = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) sign = src_[q++];
      while (q < src_.size() && IsSpace(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") == 0) {
        q += 6;
        while (q < src_.size() && IsSpace(src_[q])) ++q;
        char end_sign = 0;
        if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) end_sign = src_[q++];
        if (src_.compare(q, 2, "%}") == 0) {
          std::string body = src_.substr(p, tag - p);
          if (sign == '-') {
            while (!body.empty() && IsSpace(body.back())) body.pop_back();
          }
          if (!body.empty()) Emit(Token::Type::kText, body);
          Advance(pos, AfterEnd(q + 2, end_sign));
          return absl::OkStatus();
        }
      }
      search = tag + 2;
    }
  }

  absl::Status Tag(bool block, size_t p, size_t& pos) {
    Emit(block ? Token::Type::kBlockBegin : Token::Type::kVarBegin, "");
    Advance(pos, p);
    const size_t n = src_.size();
    int balance = 0;
    std::string previous_op;
    while (true) {
      while (pos < n && IsSpace(src_[pos])) Advance(pos, pos + 1);
      if (pos >= n) return Error(line_, block ? "unexpected end of template; expected '%}'" : "unexpected end of template; expected '}}'");
      if (balance == 0) {
        if (block && (src_.compare(pos, 3, "-%}") == 0 || src_.compare(pos, 3, "+%}") == 0)) {
          Emit(Token::Type::kBlockEnd, "");
          Advance(pos, AfterEnd(pos + 3, src_[pos]));
          return absl::OkStatus();
        }
        if (block && src_.compare(pos, 2, "%}") == 0) {
          Emit(Token::Type::kBlockEnd, "");
          Advance(pos, AfterEnd(pos + 2, 0));
          return absl::OkStatus();
        }
        if (!block && src_.compare(pos, 3, "-}}") == 0) {
          Emit(Token::Type::kVarEnd, "");
          Advance(pos, AfterEnd(pos + 3, '-'));
          return absl::OkStatus();
        }
        if (!block && src_.compare(pos, 2, "}}") == 0) {
          Emit(Token::Type::kVarEnd, "");
          Advance(pos, pos + 2);
          return absl::OkStatus();
        }
      }
      const char c = src_[pos];
      if (IsIdentStart(c)) {
        size_t e = pos;
        while (e < n && IsIdentChar(src_[e])) ++e;
        Emit(Token::Type::kName, src_.substr(pos, e - pos));
        Advance(pos, e);
        previous_op.clear();
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        LATERAL_RETURN_IF_ERROR(Number(pos, previous_op == "."));
        previous_op.clear();
      } else if (c == '\'' || c == '"') {
        size_t e = pos + 1;
        while (e < n && src_[e] != c) e += src_[e] == '\\' ? 2 : 1;
        if (e >= n) return Error(line_, "unterminated string literal");
        Emit(Token::Type::kString, Unescape(src_.substr(pos + 1, e - pos - 1)));
        Advance(pos, e + 1);
        previous_op.clear();
      } else {
        static const char* kOps[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]",
                                     "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};
        std::string op;
        for (const char* candidate : kOps) {
          if (src_.compare(pos, std::char_traits<char>::length(candidate), candidate) == 0) {
            op = candidate;
            break;
          }
        }
        if (op.empty()) return Error(line_, absl::StrCat("unexpected char '", std::string(1, c), "'"));
        if (op == "(" || op == "[" || op == "{") ++balance;
        if (op == ")" || op == "]" || op == "}") {
          if (balance == 0) return Error(line_, absl::StrCat("unexpected '", op, "'"));
          --balance;
        }
        Emit(Token::Type::kOp, op);
        Advance(pos, pos + op.size());
        previous_op = op;
      }
    }
  }

  absl::Status Number(size_t& pos, bool integer_only) {
    const size_t n = src_.size();
    auto digits = [&](size_t e) {
      while (e < n && (std::isdigit(static_cast<unsigned char>(src_[e])) ||
                       (src_[e] == '_' && e + 1 < n && std::isdigit(static_cast<unsigned char>(src_[e + 1]))))) {
        ++e;
      }
      return e;
    };
    size_t e = digits(pos);
    bool is_float = false;
    if (!integer_only) {
      if (e + 1 < n && src_[e] == '.' && std::isdigit(static_cast<unsigned char>(src_[e + 1]))) {
        e = digits(e + 1);
        is_float = true;
      }
      if (e < n && (src_[e] == 'e' || src_[e] == 'E')) {
        size_t x = e + 1;
        if (x < n && (src_[x] == '+' || src_[x] == '-')) ++x;
        if (x < n && std::isdigit(static_cast<unsigned char>(src_[x]))) {
          e = digits(x);
          is_float = true;
        }
      }
    }
    std::string text;
    for (size_t k = pos; k < e; ++k) {
      if (src_[k] != '_') text += src_[k];
    }
    Token t;
    t.line = line_;
    t.text = text;
    errno = 0;
    if (is_float) {
      t.type = Token::Type::kFloat;
      t.real = std::strtod(text.c_str(), nullptr);
    } else {
      t.type = Token::Type::kInt;
      t.integer = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) return Error(line_, absl::StrCat("integer literal ", text, " is too large"));
    }
    tokens_.push_back(std::move(t));
    Advance(pos, e);
    return absl::OkStatus();
  }

  std::string src_;
  const std::string& origin_;
  std::vector<Token> tokens_;
  int line_ = 1;
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::string& origin) : tokens_(std::move(tokens)), origin_(origin) {}

  absl::StatusOr<Body> ParseTemplate() {
    std::string end;
    LATERAL_ASSIGN_OR_RETURN(Body body, ParseBody({}, "", 0, &end));
    return body;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    int& depth;
  };

  const Token& Peek(size_t ahead = 0) const {
    const size_t k = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[k];
  }
  bool IsOp(const char* op, size_t ahead = 0) const {
    return Peek(ahead).type == Token::Type::kOp && Peek(ahead).text == op;
  }
  bool IsName(const char* name, size_t ahead = 0) const {
    return Peek(ahead).type == Token::Type::kName && Peek(ahead).text == name;
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  absl::Status Error(int line, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(origin_, ":", line, ": ", message));
  }
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Token::Type::kEof: return "end of template";
      case Token::Type::kBlockEnd: return "end of statement block";
      case Token::Type::kVarEnd: return "end of print statement";
      case Token::Type::kText: return "template text";
      case Token::Type::kString: return "string";
      default: return absl::StrCat("'", t.text, "'");
    }
  }
  absl::Status Unexpected(const char* expected) const {
    return Error(Peek().line, absl::StrCat("expected ", expected, ", got ", Describe(Peek())));
  }
  absl::Status ExpectOp(const char* op) {
    if (!IsOp(op)) return Unexpected(absl::StrCat("'", op, "'").c_str());
    Next();
    return absl::OkStatus();
  }
  absl::Status ExpectBlockEnd() {
    if (Peek().type != Token::Type::kBlockEnd) return Unexpected("end of statement block");
    Next();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ExpectName() {
    if (Peek().type != Token::Type::kName) return Unexpected("a name");
    return Next().text;
  }

  static bool Contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v) {
      if (x == s) return true;
    }
    return false;
  }

  // Parses nodes until a block tag whose keyword is in `ends` (left at the
  // keyword, which is stored in *end) or, when `ends` is empty, the end.
  absl::StatusOr<Body> ParseBody(const std::vector<std::string>& ends, const std::string& opener, int open_line,
                                 std::string* end) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return Error(Peek().line, "blocks nested too deeply");
    Body body;
    while (true) {
      const Token& t = Peek();
      if (t.type == Token::Type::kEof) {
        if (ends.empty()) return body;
        return Error(open_line, absl::StrCat("unexpected end of template: '", opener, "' block opened here is never closed (expected '", ends.back(), "')"));
      }
      if (t.type == Token::Type::kText) {
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::kText;
        node->line = t.line;
        node->text = t.text;
        body.push_back(std::move(node));
        Next();
        continue;
      }
      if (t.type == Token::Type::kVarBegin) {
        Next();
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::kOutput;
        node->line = t.line;
        LATERAL_ASSIGN_OR_RETURN(node->expr, ParseTupleExpression());
        if (Peek().type != Token::Type::kVarEnd) return Unexpected("end of print statement");
        Next();
        body.push_back(std::move(node));
        continue;
      }
      if (t.type != Token::Type::kBlockBegin) return Unexpected("template text, '{{' or '{%'");
      Next();
      if (Peek().type != Token::Type::kName) return Unexpected("a statement name");
      const std::string keyword = Peek().text;
      if (Contains(ends, keyword)) {
        *end = keyword;
        return body;
      }
      LATERAL_ASSIGN_OR_RETURN(NodePtr node, ParseStatement());
      body.push_back(std::move(node));
    }
  }

  absl::StatusOr<NodePtr> ParseStatement() {
    const Token& kw = Next();
    const int line = kw.line;
    const std::string keyword = kw.text;
    auto node = std::make_unique<Node>();
    node->line = line;
    std::string end;
    if (keyword == "if") {
      node->kind = Node::Kind::kIf;
      while (true) {
        LATERAL_ASSIGN_OR_RETURN(ExprPtr cond, ParseExpression(true));
        LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
        LATERAL_ASSIGN_OR_RETURN(Body body, ParseBody({"elif", "else", "endif"}, "if", line, &end));
        node->conditions.push_back(std::move(cond));
        node->bodies.push_back(std::move(body));
        Next();  // the keyword
        if (end == "elif") continue;
        if (end == "else") {
          LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
          LATERAL_ASSIGN_OR_RETURN(node->else_body, ParseBody({"endif"}, "if", line, &end));
          Next();
        }
        break;
      }
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      return node;
    }
    if (keyword == "for") {
      node->kind = Node::Kind::kFor;
      LATERAL_ASSIGN_OR_RETURN(node->targets, ParseTargets());
      if (!IsName("in")) return Unexpected("'in'");
      Next();
      LATERAL_ASSIGN_OR_RETURN(node->expr, ParseExpression(false));
      if (IsName("if")) {
        Next();
        LATERAL_ASSIGN_OR_RETURN(node->filter, ParseExpression(false));
      }
      if (IsName("recursive")) return Error(Peek().line, "recursive for loops are not supported");
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      ++loop_depth_;
      LATERAL_ASSIGN_OR_RETURN(node->body, ParseBody({"else", "endfor"}, "for", line, &end));
      --loop_depth_;
      Next();
      if (end == "else") {
        LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
        LATERAL_ASSIGN_OR_RETURN(node->else_body, ParseBody({"endfor"}, "for", line, &end));
        Next();
      }
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      return node;
    }
    if (keyword == "set") {
      LATERAL_ASSIGN_OR_RETURN(std::string target, ExpectName());
      node->targets.push_back(target);
      if (IsOp(".")) {
        Next();
        LATERAL_ASSIGN_OR_RETURN(std::string attr, ExpectName());
        node->targets.push_back(attr);
        node->attribute_target = true;
      } else {
        while (IsOp(",")) {
          Next();
          LATERAL_ASSIGN_OR_RETURN(std::string more, ExpectName());
          node->targets.push_back(more);
        }
      }
      if (IsOp("=")) {
        Next();
        node->kind = Node::Kind::kSet;
        LATERAL_ASSIGN_OR_RETURN(node->expr, ParseTupleExpression());
        LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
        return node;
      }
      if (node->attribute_target || node->targets.size() != 1) return Unexpected("'='");
      node->kind = Node::Kind::kSetBlock;
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      LATERAL_ASSIGN_OR_RETURN(node->body, ParseBody({"endset"}, "set", line, &end));
      Next();
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      return node;
    }
    if (keyword == "macro") {
      node->kind = Node::Kind::kMacro;
      LATERAL_ASSIGN_OR_RETURN(node->name, ExpectName());
      LATERAL_RETURN_IF_ERROR(ExpectOp("("));
      while (!IsOp(")")) {
        LATERAL_ASSIGN_OR_RETURN(std::string param, ExpectName());
        ExprPtr def;
        if (IsOp("=")) {
          Next();
          LATERAL_ASSIGN_OR_RETURN(def, ParseExpression(true));
        }
        node->params.emplace_back(param, std::move(def));
        if (!IsOp(",")) break;
        Next();
      }
      LATERAL_RETURN_IF_ERROR(ExpectOp(")"));
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      const int saved_loops = loop_depth_;
      loop_depth_ = 0;
      LATERAL_ASSIGN_OR_RETURN(node->body, ParseBody({"endmacro"}, "macro", line, &end));
      loop_depth_ = saved_loops;
      Next();
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      return node;
    }
    if (keyword == "break" || keyword == "continue") {
      if (loop_depth_ == 0) return Error(line, absl::StrCat("'", keyword, "' outside of a loop"));
      node->kind = keyword == "break" ? Node::Kind::kBreak : Node::Kind::kContinue;
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      return node;
    }
    if (keyword == "generation") {
      node->kind = Node::Kind::kScope;
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      LATERAL_ASSIGN_OR_RETURN(node->body, ParseBody({"endgeneration"}, "generation", line, &end));
      Next();
      LATERAL_RETURN_IF_ERROR(ExpectBlockEnd());
      return node;
    }
    return Error(line, absl::StrCat("unknown or unsupported tag '", keyword, "'"));
  }

  absl::StatusOr<std::vector<std::string>> ParseTargets() {
    std::vector<std::string> targets;
    const bool paren = IsOp("(");
    if (paren) Next();
    while (true) {
      LATERAL_ASSIGN_OR_RETURN(std::string name, ExpectName());
      targets.push_back(name);
      if (!IsOp(",")) break;
      Next();
    }
    if (paren) LATERAL_RETURN_IF_ERROR(ExpectOp(")"));
    return targets;
  }

  ExprPtr Make(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  // An expression, or an unparenthesised tuple `a, b` (print and set).
  absl::StatusOr<ExprPtr> ParseTupleExpression() {
    const int line = Peek().line;
    LATERAL_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(true));
    if (!IsOp(",")) return first;
    ExprPtr tuple = Make(Expr::Kind::kTuple, line);
    tuple->args.push_back(std::move(first));
    while (IsOp(",")) {
      Next();
      if (Peek().type == Token::Type::kBlockEnd || Peek().type == Token::Type::kVarEnd) break;
      LATERAL_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
      tuple->args.push_back(std::move(item));
    }
    return tuple;
  }

  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return Error(Peek().line, "expression nested too deeply");
    if (!with_condexpr) return ParseOr();
    const int line = Peek().line;
    LATERAL_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
    while (IsName("if")) {
      Next();
      ExprPtr node = Make(Expr::Kind::kCondExpr, line);
      LATERAL_ASSIGN_OR_RETURN(ExprPtr cond, ParseOr());
      ExprPtr otherwise;
      if (IsName("else")) {
        Next();
        LATERAL_ASSIGN_OR_RETURN(otherwise, ParseExpression(true));
      }
      node->args.push_back(std::move(expr));
      node->args.push_back(std::move(cond));
      node->args.push_back(std::move(otherwise));
      expr = std::move(node);
    }
    return expr;
  }

  absl::StatusOr<ExprPtr> ParseOr() {
    LATERAL_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (IsName("or")) {
      ExprPtr node = Make(Expr::Kind::kOr, Next().line);
      LATERAL_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      node->args.push_back(std::move(left));
      node->args.push_back(std::move(right));
      left = std::move(node);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseAnd() {
    LATERAL_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (IsName("and")) {
      ExprPtr node = Make(Expr::Kind::kAnd, Next().line);
      LATERAL_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      node->args.push_back(std::move(left));
      node->args.push_back(std::move(right));
      left = std::move(node);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseNot() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return Error(Peek().line, "expression nested too deeply");
    if (IsName("not")) {
      ExprPtr node = Make(Expr::Kind::kNot, Next().line);
      LATERAL_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
      node->args.push_back(std::move(operand));
      return node;
    }
    return ParseCompare();
  }

  absl::StatusOr<ExprPtr> ParseCompare() {
    const int line = Peek().line;
    LATERAL_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
    ExprPtr node = Make(Expr::Kind::kCompare, line);
    node->args.push_back(std::move(first));
    while (true) {
      std::string op;
      if (Peek().type == Token::Type::kOp &&
          (Peek().text == "==" || Peek().text == "!=" || Peek().text == "<" || Peek().text == "<=" ||
           Peek().text == ">" || Peek().text == ">=")) {
        op = Next().text;
      } else if (IsName("in")) {
        Next();
        op = "in";
      } else if (IsName("not") && IsName("in", 1)) {
        Next();
        Next();
        op = "notin";
      } else {
        break;
      }
      LATERAL_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
      node->ops.push_back(op);
      node->args.push_back(std::move(operand));
    }
    if (node->ops.empty()) return std::move(node->args[0]);
    return node;
  }

  template <typename Sub>
  absl::StatusOr<ExprPtr> ParseBinary(std::initializer_list<const char*> ops, Sub sub) {
    LATERAL_ASSIGN_OR_RETURN(ExprPtr left, (this->*sub)());
    while (true) {
      const char* matched = nullptr;
      for (const char* op : ops) {
        if (IsOp(op)) matched = op;
      }
      if (matched == nullptr) break;
      ExprPtr node = Make(Expr::Kind::kBinary, Next().line);
      node->name = matched;
      LATERAL_ASSIGN_OR_RETURN(ExprPtr right, (this->*sub)());
      node->args.push_back(std::move(left));
      node->args.push_back(std::move(right));
      left = std::move(node);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseMath1() { return ParseBinary({"+", "-"}, &Parser::ParseConcat); }
  absl::StatusOr<ExprPtr> ParseConcat() { return ParseBinary({"~"}, &Parser::ParseMath2); }
  absl::StatusOr<ExprPtr> ParseMath2() { return ParseBinary({"*", "/", "//", "%"}, &Parser::ParsePow); }
  absl::StatusOr<ExprPtr> ParsePow() { return ParseBinary({"**"}, &Parser::ParseUnaryWithFilter); }
  absl::StatusOr<ExprPtr> ParseUnaryWithFilter() { return ParseUnary(true); }

  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return Error(Peek().line, "expression nested too deeply");
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      const bool neg = Peek().text == "-";
      node = Make(neg ? Expr::Kind::kNeg : Expr::Kind::kPos, Next().line);
      LATERAL_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
      node->args.push_back(std::move(operand));
    } else {
      LATERAL_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    LATERAL_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (!with_filter) return node;
    while (true) {
      if (IsOp("|")) {
        const int line = Next().line;
        LATERAL_ASSIGN_OR_RETURN(std::string name, ExpectName());
        ExprPtr filter = Make(Expr::Kind::kFilter, line);
        filter->name = name;
        filter->args.push_back(std::move(node));
        if (IsOp("(")) LATERAL_RETURN_IF_ERROR(ParseCallArgs(*filter));
        node = std::move(filter);
      } else if (IsName("is")) {
        const int line = Next().line;
        ExprPtr test = Make(Expr::Kind::kTest, line);
        if (IsName("not")) {
          Next();
          test->negated = true;
        }
        LATERAL_ASSIGN_OR_RETURN(test->name, ExpectName());
        test->args.push_back(std::move(node));
        if (IsOp("(")) {
          LATERAL_RETURN_IF_ERROR(ParseCallArgs(*test));
        } else {
          const Token& t = Peek();
          const bool starts_arg = (t.type == Token::Type::kName && t.text != "else" && t.text != "or" &&
                                   t.text != "and" && t.text != "if" && t.text != "is" && t.text != "in" &&
                                   t.text != "not") ||
                                  t.type == Token::Type::kString || t.type == Token::Type::kInt ||
                                  t.type == Token::Type::kFloat || (t.type == Token::Type::kOp && (t.text == "[" || t.text == "{"));
          if (starts_arg) {
            LATERAL_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
            LATERAL_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
            test->args.push_back(std::move(arg));
          }
        }
        node = std::move(test);
      } else if (IsOp("(")) {
        ExprPtr call = Make(Expr::Kind::kCall, Peek().line);
        call->args.push_back(std::move(node));
        LATERAL_RETURN_IF_ERROR(ParseCallArgs(*call));
        node = std::move(call);
      } else {
        break;
      }
    }
    return node;
  }

  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node) {
    while (true) {
      if (IsOp(".")) {
        const int line = Next().line;
        if (Peek().type == Token::Type::kName) {
          ExprPtr attr = Make(Expr::Kind::kGetAttr, line);
          attr->name = Next().text;
          attr->args.push_back(std::move(node));
          node = std::move(attr);
        } else if (Peek().type == Token::Type::kInt) {
          ExprPtr item = Make(Expr::Kind::kGetItem, line);
          ExprPtr index = Make(Expr::Kind::kLiteral, line);
          index->value = Value::Int(Next().integer);
          item->args.push_back(std::move(node));
          item->args.push_back(std::move(index));
          node = std::move(item);
        } else {
          return Unexpected("an attribute name");
        }
      } else if (IsOp("[")) {
        const int line = Next().line;
        ExprPtr parts[3];
        int part = 0;
        bool slice = false;
        while (true) {
          if (!IsOp(":") && !IsOp("]")) {
            LATERAL_ASSIGN_OR_RETURN(parts[part], ParseExpression(true));
          }
          if (IsOp(":") && part < 2) {
            Next();
            slice = true;
            ++part;
            continue;
          }
          break;
        }
        LATERAL_RETURN_IF_ERROR(ExpectOp("]"));
        if (!slice && parts[0] == nullptr) return Error(line, "expected a subscript");
        ExprPtr sub = Make(slice ? Expr::Kind::kSlice : Expr::Kind::kGetItem, line);
        sub->args.push_back(std::move(node));
        sub->args.push_back(std::move(parts[0]));
        if (slice) {
          sub->args.push_back(std::move(parts[1]));
          sub->args.push_back(std::move(parts[2]));
        }
        node = std::move(sub);
      } else if (IsOp("(")) {
        ExprPtr call = Make(Expr::Kind::kCall, Peek().line);
        call->args.push_back(std::move(node));
        LATERAL_RETURN_IF_ERROR(ParseCallArgs(*call));
        node = std::move(call);
      } else {
        return node;
      }
    }
  }

  absl::Status ParseCallArgs(Expr& call) {
    LATERAL_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      if (IsOp("*") || IsOp("**")) return Error(Peek().line, "*args and **kwargs are not supported");
      if (Peek().type == Token::Type::kName && IsOp("=", 1)) {
        std::string name = Next().text;
        Next();
        LATERAL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        call.kwargs.emplace_back(std::move(name), std::move(value));
      } else {
        if (!call.kwargs.empty()) return Error(Peek().line, "positional argument follows keyword argument");
        LATERAL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        call.args.push_back(std::move(value));
      }
      if (!IsOp(",")) break;
      Next();
    }
    return ExpectOp(")");
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return Error(Peek().line, "expression nested too deeply");
    const Token& t = Peek();
    const int line = t.line;
    switch (t.type) {
      case Token::Type::kName: {
        ExprPtr node = Make(Expr::Kind::kLiteral, line);
        if (t.text == "true" || t.text == "True") {
          node->value = Value::Bool(true);
        } else if (t.text == "false" || t.text == "False") {
          node->value = Value::Bool(false);
        } else if (t.text == "none" || t.text == "None") {
          node->value = Value::None();
        } else {
          node->kind = Expr::Kind::kName;
          node->name = t.text;
        }
        Next();
        return node;
      }
      case Token::Type::kString: {
        std::string s;
        while (Peek().type == Token::Type::kString) s += Next().text;
        ExprPtr node = Make(Expr::Kind::kLiteral, line);
        node->value = Value::String(std::move(s));
        return node;
      }
      case Token::Type::kInt:
      case Token::Type::kFloat: {
        ExprPtr node = Make(Expr::Kind::kLiteral, line);
        node->value = t.type == Token::Type::kInt ? Value::Int(t.integer) : Value::Float(t.real);
        Next();
        return node;
      }
      case Token::Type::kOp:
        if (t.text == "(") {
          Next();
          if (IsOp(")")) {
            Next();
            return Make(Expr::Kind::kTuple, line);
          }
          LATERAL_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(true));
          if (IsOp(")")) {
            Next();
            return first;
          }
          ExprPtr tuple = Make(Expr::Kind::kTuple, line);
          tuple->args.push_back(std::move(first));
          while (IsOp(",")) {
            Next();
            if (IsOp(")")) break;
            LATERAL_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
            tuple->args.push_back(std::move(item));
          }
          LATERAL_RETURN_IF_ERROR(ExpectOp(")"));
          return tuple;
        }
        if (t.text == "[") {
          Next();
          ExprPtr list = Make(Expr::Kind::kList, line);
          while (!IsOp("]")) {
            LATERAL_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
            list->args.push_back(std::move(item));
            if (!IsOp(",")) break;
            Next();
          }
          LATERAL_RETURN_IF_ERROR(ExpectOp("]"));
          return list;
        }
        if (t.text == "{") {
          Next();
          ExprPtr dict = Make(Expr::Kind::kDict, line);
          while (!IsOp("}")) {
            LATERAL_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
            LATERAL_RETURN_IF_ERROR(ExpectOp(":"));
            LATERAL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
            dict->args.push_back(std::move(key));
            dict->args.push_back(std::move(value));
            if (!IsOp(",")) break;
            Next();
          }
          LATERAL_RETURN_IF_ERROR(ExpectOp("}"));
          return dict;
        }
        break;
      default:
        break;
    }
    return Unexpected("an expression");
  }

  std::vector<Token> tokens_;
  const std::string& origin_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const Template>> Parse(const std::string& source, const std::string& origin) {
  if (source.size() > kMaxSourceBytes) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": template source is ", source.size(),
                                                   " bytes; the limit is ", kMaxSourceBytes));
  }
  Lexer lexer(source, origin);
  LATERAL_ASSIGN_OR_RETURN(std::vector<Token> tokens, lexer.Run());
  Parser parser(std::move(tokens), origin);
  auto tmpl = std::make_shared<Template>();
  tmpl->origin = origin;
  LATERAL_ASSIGN_OR_RETURN(tmpl->body, parser.ParseTemplate());
  return std::shared_ptr<const Template>(std::move(tmpl));
}

}  // namespace lateral::jinja
