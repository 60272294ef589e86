// A small PowerShell tokenizer for the tests: it splits a script into the pieces
// that matter for injection (code, single-quoted strings, double-quoted strings,
// here-strings, comments) the way PowerShell's tokenizer does, including the
// typographic quotes PowerShell accepts (U+2018..U+201B single, U+201C..U+201E double).
// It is written independently of the generator so a quoting bug shows up as a value
// landing in a Code or DoubleQuoted token.
#pragma once

#include <string>
#include <vector>

namespace pstest {

enum class Kind { Code, SingleQuoted, DoubleQuoted, HereSingle, HereDouble, Comment };

struct Token {
  Kind kind;
  std::string raw;    // as written, delimiters included
  std::string value;  // SingleQuoted: the string PowerShell reads (quotes undoubled)
  size_t line;        // 1-based line of the start
};

// Tokenizes `script` (a leading UTF-8 BOM is skipped). An unterminated string or
// block comment becomes a token up to the end; `error` then says so.
std::vector<Token> tokenize(const std::string& script, std::string* error = nullptr);

const char* kind_name(Kind k);

}  // namespace pstest
