// The commands and options of `hellotrace`, as data: the one source of `--help`, of which
// options each command accepts (any other is a usage error), of the man page
// (hellotrace.1) and of the bash and zsh completions, which cli/docgen.cpp writes at build
// time. Adding an option: an entry in usage.cpp (a shared one is a named constant there),
// a branch in parse_args() (main.cpp) that reads it into Options. CliUsage.* tests that
// every option of this table parses and shows in its command's --help.
//
// Prose fields are paragraphs: words separated by single spaces, "\n\n" between
// paragraphs, wrapped when printed. A paragraph that begins with two spaces is an
// example line, printed as it is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::cli {

// What a shell may offer as an option's value.
enum class Complete { kNone, kFile, kDir, kPath, kWords, kPlugin };

struct OptionDoc {
  std::string_view name;   // "--json"
  std::string_view alias;  // "-q", or empty
  std::string_view value;  // "FILE|-"; empty for a switch
  std::string_view help;
  Complete complete = Complete::kNone;
  std::string_view words = {};  // kWords: the values, space-separated
};

struct CommandDoc {
  std::string_view name;         // "analyze"
  std::string_view args;         // "PATH...", shown after the name
  std::string_view summary;      // one line in the command list
  std::string_view description;  // under the command's Usage line
  bool reads_inputs;             // also takes input_options()
  std::vector<OptionDoc> options;
};

// What a man page says besides the commands (also the end of the main --help).
struct ProgramDoc {
  std::string_view name, tagline, description, exit_status, environment, files;
};

const ProgramDoc& program();
const std::vector<CommandDoc>& commands();
// Options of every command that reads inputs (analyze, events, timeline, plan).
const std::vector<OptionDoc>& input_options();
// --help and --version, which every command takes.
const std::vector<OptionDoc>& general_options();

const CommandDoc* find_command(std::string_view name);
// The option named `flag` (name or alias) as `command` takes it, or nullptr.
const OptionDoc* find_option(const CommandDoc& command, std::string_view flag);

// `hellotrace --help` and `hellotrace COMMAND --help`.
std::string main_help();
std::string command_help(const CommandDoc& command);

// "--json FILE|-", "--quiet, -q".
std::string option_label(const OptionDoc& o);
// `text` filled to `width` columns: the first line starts at column `first` (what the
// caller printed before it), every other line is indented by `indent`.
std::string wrap(std::string_view text, size_t width, size_t indent, size_t first);

}  // namespace hellotrace::cli
