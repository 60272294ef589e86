// Cuts a PowerShell console session — a Start-Transcript file or a paste of the
// console — into the output of each command. A reader may rely on: blocks come out in
// file order, each a run of whole lines of the original (its 1-based first and last
// line given), starting at the command's prompt line (output pasted before the first
// prompt is a block too); transcript banners and the "Transcript started…" lines are in
// no block; a command without output gives no block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::console {

struct Block {
  uint64_t first_line = 0;  // 1-based, in the decoded text (= the file's lines)
  uint64_t last_line = 0;
  std::string command;  // the prompt's command, "" for output before any prompt
  std::string text;     // lines first..last joined with "\n", ending with "\n"
};

struct Session {
  std::string banner;     // the transcript banner's title, "" for a paste
  uint64_t prompts = 0;   // prompt lines, with or without a command
  uint64_t commands = 0;  // prompt lines with a command
  std::vector<Block> blocks;
};

// `text` is decoded UTF-8 (hellotrace::text::decode).
Session split(std::string_view text);

// How sure it is that `text` (a file's decoded start) is a console session holding
// several commands' output: 0 (not one) to 100. One command's output with its prompt
// scores 0: the parser of that output reads it whole, as always.
int score(std::string_view text);

}  // namespace hellotrace::console
