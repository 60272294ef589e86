// The option table (host/src/cli/usage.hpp) against what the program and the generated
// man page and completions do with it: an option in the table that the parser does not
// read, or that --help, the man page or the completion leaves out, fails here.
#include "cli/usage.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "cli_run.hpp"

namespace {

using hellotrace::cli::CommandDoc;
using hellotrace::cli::OptionDoc;

// A value the option accepts, by what its help calls the value.
std::string sample_value(const OptionDoc& o) {
  static const std::map<std::string_view, std::string> kSamples = {
      {"N", "64"},      {"ZONE", "+02:00"},
      {"ORDER", "dmy"}, {"KEY=VALUE", "k=v"},
      {"SEV", "high"},  {"TIME", "2024-01-01T00:00:00Z"},
      {"FILE|-", "-"},  {"UPN|SID", "a@contoso.com"}};
  const auto it = kSamples.find(o.value);
  return it != kSamples.end() ? it->second : "/tmp";
}

std::vector<const OptionDoc*> options_of(const CommandDoc& c) {
  std::vector<const OptionDoc*> list;
  for (const OptionDoc& o : c.options) list.push_back(&o);
  if (c.reads_inputs)
    for (const OptionDoc& o : hellotrace::cli::input_options()) list.push_back(&o);
  return list;
}

// "\-\-json" as roff writes "--json".
std::string roff_name(std::string_view name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

std::string generated(const std::string& rel) {
  const fs::path p = fs::path(HT_BINARY_DIR) / "share" / rel;
  EXPECT_TRUE(fs::exists(p)) << p;
  return slurp(p);
}

}  // namespace

TEST(CliUsage, EveryOptionOfTheTableParsesAndShowsInItsCommandsHelp) {
  for (const CommandDoc& c : hellotrace::cli::commands()) {
    const Outcome help = run(std::string(c.name) + " --help");
    EXPECT_EQ(help.exit_code, 0) << c.name << ": " << help.err;
    for (const OptionDoc* o : options_of(c)) {
      for (std::string_view flag : {o->name, o->alias}) {
        if (flag.empty()) continue;
        std::string args = std::string(c.name) + " " + std::string(flag);
        if (!o->value.empty()) args += " " + quote(sample_value(*o));
        const Outcome r = run(args + " --help");
        EXPECT_EQ(r.exit_code, 0) << "hellotrace " << args << ": " << r.err;
        EXPECT_TRUE(r.err.empty()) << "hellotrace " << args << ": " << r.err;
      }
      EXPECT_NE(help.out.find(hellotrace::cli::option_label(*o)), std::string::npos)
          << c.name << " --help lacks " << o->name << ":\n"
          << help.out;
    }
  }
}

TEST(CliUsage, MainHelpListsEveryCommand) {
  const Outcome r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const CommandDoc& c : hellotrace::cli::commands())
    EXPECT_NE(r.out.find("\n  " + std::string(c.name) + " "), std::string::npos) << c.name;
}

TEST(CliUsage, WrapFillsLinesAndKeepsExampleLines) {
  using hellotrace::cli::wrap;
  EXPECT_EQ(wrap("aaa bbb ccc", 7, 2, 0), "aaa bbb\n  ccc");
  EXPECT_EQ(wrap("aaa bbb", 10, 4, 8), "aaa\n    bbb");  // the first line starts at 8
  EXPECT_EQ(wrap("see:\n\n  x --y z\n\nend", 80, 0, 0), "see:\n\n  x --y z\n\nend");
  EXPECT_EQ(wrap("averyveryverylongword x", 5, 0, 0), "averyveryverylongword\nx");
}

TEST(CliUsage, ManPageDocumentsEveryCommandAndOption) {
  const std::string man = generated("man/man1/hellotrace.1");
  ASSERT_FALSE(man.empty());
  EXPECT_EQ(man.find("\n.TH HELLOTRACE 1 "), man.find('\n'));
  for (const CommandDoc& c : hellotrace::cli::commands()) {
    EXPECT_NE(man.find(".SS \"" + std::string(c.name)), std::string::npos) << c.name;
    for (const OptionDoc* o : options_of(c))
      EXPECT_NE(man.find("\\fB" + roff_name(o->name) + "\\fR"), std::string::npos) << o->name;
  }
  // groff (man's formatter) reads it without a warning, where it is installed.
  if (fs::exists("/usr/bin/groff")) {
    const fs::path page = fs::path(HT_BINARY_DIR) / "share/man/man1/hellotrace.1";
    FILE* p = ::popen(
        ("/usr/bin/groff -man -Tutf8 -ww -z " + quote(page.string()) + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << out;
    EXPECT_EQ(out, "");
  }
}

// Runs the generated bash completion as bash would for the words typed so far (the last
// one being completed) and returns what it offers, one per line.
std::string complete_bash(const std::string& words) {
  const std::string script =
      "source " + quote(HT_BINARY_DIR "/share/bash-completion/completions/hellotrace") +
      "\nCOMP_WORDS=(" + words + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n" +
      "_hellotrace\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  const fs::path file =
      fs::temp_directory_path() / ("hellotrace-compl-" + std::to_string(::getpid()));
  std::ofstream(file) << script;
  FILE* p = ::popen(("cd /tmp && bash " + quote(file.string()) + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  fs::remove(file);
  return out;
}

TEST(CliUsage, BashCompletionOffersCommandsOptionsAndValues) {
  EXPECT_NE(complete_bash("hellotrace ti").find("timeline\n"), std::string::npos);
  const std::string analyze = complete_bash("hellotrace analyze --fail");
  EXPECT_EQ(analyze, "--fail-on\n");
  EXPECT_EQ(complete_bash("hellotrace analyze x --fail-on h"), "high\n");
  EXPECT_EQ(complete_bash("hellotrace --quiet timeline --date-order m"), "mdy\n");
  // Options of one command are not offered for another.
  EXPECT_EQ(complete_bash("hellotrace timeline --htm"), "\n");
  EXPECT_NE(complete_bash("hellotrace analyze --htm"), "\n");
  // Every option of every command, as the table has it.
  for (const CommandDoc& c : hellotrace::cli::commands()) {
    const std::string offered = complete_bash("hellotrace " + std::string(c.name) + " -");
    for (const OptionDoc* o : options_of(c))
      EXPECT_NE(offered.find(std::string(o->name) + "\n"), std::string::npos)
          << c.name << " " << o->name;
  }
}

TEST(CliUsage, ZshCompletionNamesEveryOption) {
  const std::string zsh = generated("zsh/vendor-completions/_hellotrace");
  EXPECT_EQ(zsh.rfind("#compdef hellotrace\n", 0), 0u);
  for (const CommandDoc& c : hellotrace::cli::commands())
    for (const OptionDoc* o : options_of(c))
      EXPECT_NE(zsh.find(std::string(o->name) + "["), std::string::npos) << o->name;
  if (fs::exists("/usr/bin/zsh")) {
    const int rc = std::system(
        ("/usr/bin/zsh -n " + quote(HT_BINARY_DIR "/share/zsh/vendor-completions/_hellotrace"))
            .c_str());
    EXPECT_EQ(rc, 0);
  }
}
