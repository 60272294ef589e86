#include "ps_tokenizer.hpp"

namespace pstest {
namespace {

// Length of a single-quote character at s[i] (1 for ', 3 for U+2018..U+201B), or 0.
size_t single_quote_at(const std::string& s, size_t i) {
  if (i < s.size() && s[i] == '\'') return 1;
  if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
      static_cast<unsigned char>(s[i + 1]) == 0x80) {
    const unsigned char c = static_cast<unsigned char>(s[i + 2]);
    if (c >= 0x98 && c <= 0x9B) return 3;
  }
  return 0;
}

// Length of a double-quote character at s[i] (1 for ", 3 for U+201C..U+201E), or 0.
size_t double_quote_at(const std::string& s, size_t i) {
  if (i < s.size() && s[i] == '"') return 1;
  if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
      static_cast<unsigned char>(s[i + 1]) == 0x80) {
    const unsigned char c = static_cast<unsigned char>(s[i + 2]);
    if (c >= 0x9C && c <= 0x9E) return 3;
  }
  return 0;
}

bool is_newline(char c) { return c == '\n' || c == '\r'; }

// PowerShell starts a comment with '#' only at the start of a token.
bool starts_token(const std::string& s, size_t i) {
  if (i == 0) return true;
  const char p = s[i - 1];
  return p == ' ' || p == '\t' || is_newline(p) || p == ';' || p == '(' || p == ')' || p == '{' ||
         p == '}' || p == '|' || p == '=' || p == ',';
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Code:
      return "code";
    case Kind::SingleQuoted:
      return "single-quoted";
    case Kind::DoubleQuoted:
      return "double-quoted";
    case Kind::HereSingle:
      return "here-string(single)";
    case Kind::HereDouble:
      return "here-string(double)";
    case Kind::Comment:
      return "comment";
  }
  return "?";
}

std::vector<Token> tokenize(const std::string& script, std::string* error) {
  std::vector<Token> out;
  size_t i = script.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  size_t line = 1;
  std::string code;
  size_t code_line = 1;
  const auto flush_code = [&] {
    if (!code.empty()) out.push_back({Kind::Code, code, "", code_line});
    code.clear();
  };
  const auto fail = [&](const std::string& m) {
    if (error && error->empty()) *error = m + " (line " + std::to_string(line) + ")";
  };
  const auto count_lines = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k)
      if (script[k] == '\n') ++line;
  };
  while (i < script.size()) {
    const size_t start = i;
    const size_t start_line = line;
    size_t sq = single_quote_at(script, i), dq = double_quote_at(script, i);
    // Here-strings: @' or @" followed by end of line; closed by a line starting '@ / "@.
    if (script[i] == '@' && (single_quote_at(script, i + 1) || double_quote_at(script, i + 1))) {
      const bool single = single_quote_at(script, i + 1) != 0;
      const size_t ql = single ? single_quote_at(script, i + 1) : double_quote_at(script, i + 1);
      size_t j = i + 1 + ql;
      while (j < script.size() && (script[j] == ' ' || script[j] == '\t')) ++j;
      if (j < script.size() && is_newline(script[j])) {
        flush_code();
        size_t end = std::string::npos;
        for (size_t k = j; k < script.size(); ++k) {
          if (script[k] != '\n') continue;
          const size_t q = single ? single_quote_at(script, k + 1) : double_quote_at(script, k + 1);
          if (q && k + 1 + q < script.size() && script[k + 1 + q] == '@') {
            end = k + 2 + q;
            break;
          }
        }
        if (end == std::string::npos) {
          fail("unterminated here-string");
          end = script.size();
        }
        count_lines(i, end);
        out.push_back({single ? Kind::HereSingle : Kind::HereDouble, script.substr(i, end - i), "",
                       start_line});
        i = end;
        continue;
      }
    }
    if (sq) {
      flush_code();
      std::string value;
      size_t j = i + sq;
      bool closed = false;
      while (j < script.size()) {
        if (const size_t q = single_quote_at(script, j)) {
          if (const size_t q2 = single_quote_at(script, j + q)) {  // doubled: one quote
            value += script.substr(j, q);
            j += q + q2;
            continue;
          }
          j += q;
          closed = true;
          break;
        }
        value += script[j++];
      }
      if (!closed) fail("unterminated single-quoted string");
      count_lines(i, j);
      out.push_back({Kind::SingleQuoted, script.substr(i, j - i), value, start_line});
      i = j;
      continue;
    }
    if (dq) {
      flush_code();
      size_t j = i + dq;
      bool closed = false;
      while (j < script.size()) {
        if (script[j] == '`') {  // escape: the next character is literal
          j += 2;
          continue;
        }
        if (const size_t q = double_quote_at(script, j)) {
          if (const size_t q2 = double_quote_at(script, j + q)) {
            j += q + q2;
            continue;
          }
          j += q;
          closed = true;
          break;
        }
        ++j;
      }
      if (!closed) fail("unterminated double-quoted string");
      j = std::min(j, script.size());
      count_lines(i, j);
      out.push_back({Kind::DoubleQuoted, script.substr(i, j - i), "", start_line});
      i = j;
      continue;
    }
    if (script.compare(i, 2, "<#") == 0) {
      flush_code();
      size_t end = script.find("#>", i + 2);
      if (end == std::string::npos) {
        fail("unterminated block comment");
        end = script.size();
      } else {
        end += 2;
      }
      count_lines(i, end);
      out.push_back({Kind::Comment, script.substr(i, end - i), "", start_line});
      i = end;
      continue;
    }
    if (script[i] == '#' && starts_token(script, i)) {
      flush_code();
      size_t end = i;
      while (end < script.size() && !is_newline(script[end])) ++end;
      out.push_back({Kind::Comment, script.substr(i, end - i), "", start_line});
      i = end;
      continue;
    }
    if (code.empty()) code_line = line;
    if (script[i] == '`' && i + 1 < script.size()) {  // escaped character in code
      code += script.substr(i, 2);
      count_lines(i, i + 2);
      i += 2;
      continue;
    }
    if (script[i] == '\n') ++line;
    code += script[i++];
    (void)start;
  }
  flush_code();
  return out;
}

}  // namespace pstest
