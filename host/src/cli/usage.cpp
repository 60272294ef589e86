#include "cli/usage.hpp"

#include <algorithm>

namespace hellotrace::cli {
namespace {

// Options more than one command takes, with the same meaning.
const OptionDoc kPluginDir{"--plugin-dir", "", "DIR",
                           "also load plugins from DIR (repeatable; before "
                           "HELLOTRACE_PLUGIN_PATH, the build tree and the install prefix)",
                           Complete::kDir};
const OptionDoc kTimezone{"--timezone",
                          "",
                          "ZONE",
                          "zone of times the exports print without one: UTC (default), +03:00, "
                          "-05:00",
                          Complete::kWords,
                          "UTC"};
const OptionDoc kQuiet{"--quiet", "-q", "", "no progress or per-file messages on stderr"};
const OptionDoc kProbe{"--probe", "", "NAME",
                       "also read a live system with this probe plugin (repeatable)",
                       Complete::kPlugin};
const OptionDoc kOption{"--option", "", "KEY=VALUE",
                        "an option for probe and action plugins, e.g. tcti=device:/dev/tpmrm0 "
                        "(repeatable)"};
const OptionDoc kNow{"--now", "", "TIME",
                     "reference time (ISO 8601) for time-dependent rules; default: the newest "
                     "timestamp in the inputs"};
const OptionDoc kRules{"--rules", "", "DIR", "also load rule files from DIR (repeatable)",
                       Complete::kDir};
const OptionDoc kUser{"--user", "", "UPN|SID", "only findings about this user"};
const OptionDoc kJsonList{"--json", "", "", "print the list as one JSON array"};

const std::vector<OptionDoc> kInputOptions = {
    kPluginDir,
    {"--parser", "", "NAME", "read every file with this parser instead of sniffing",
     Complete::kPlugin},
    kTimezone,
    {"--date-order", "", "ORDER",
     "day/month order of dates like 05/06/2024: dmy, mdy or ymd (default: decided per file "
     "from its dates; said on stderr when assumed)",
     Complete::kWords, "dmy mdy ymd"},
    {"--threads", "", "N", "parse N files at a time, 1 to 1024 (default: one per core)"},
    {"--max-field-bytes", "", "N",
     "keep at most N bytes of any one value an input brings (default 65536; the rest is cut, "
     "with a marker and one warning per file)"},
    kQuiet,
};

const std::vector<OptionDoc> kGeneralOptions = {
    {"--help", "-h", "", "print the help of the program or of a command and exit"},
    {"--version", "-V", "", "print the version (with a command: also the plugin API version)"},
};

const std::vector<CommandDoc> kCommands = {
    {"analyze",
     "PATH...",
     "read exported logs and report blockers (findings)",
     "Reads files and folders (recursively), routes each file to the parser that recognises "
     "it, applies the rules and prints the findings.",
     true,
     {
         {"--json", "", "FILE|-", "write findings as NDJSON (one finding per line; - for stdout)",
          Complete::kFile},
         {"--ecs", "", "FILE|-",
          "write findings as Elastic Common Schema documents, one per line (docs/SIEM.md: "
          "Elastic, Splunk and Sentinel recipes)",
          Complete::kFile},
         {"--csv", "", "FILE|-",
          "write findings as CSV for Excel (UTF-8 with BOM; a cell that would start a formula "
          "starts with an apostrophe)",
          Complete::kFile},
         {"--html", "", "FILE", "write the timeline report as one self-contained HTML file",
          Complete::kFile},
         {"--markdown", "", "FILE", "write the same report as Markdown (for ticket systems)",
          Complete::kFile},
         {"--redact", "", "",
          "replace UPNs, SIDs, DNs, account, device and key ids with stable pseudonyms in every "
          "output (with --db, raw events are not stored)"},
         {"--db", "", "FILE", "keep everything in an SQLite database (written atomically)",
          Complete::kFile},
         kNow,
         kUser,
         kRules,
         {"--fail-on", "", "SEV",
          "exit 1 when a finding of this severity or higher exists (critical, high, medium, "
          "info; default: never)",
          Complete::kWords, "critical high medium info"},
         kProbe,
         kOption,
     }},
    {"events",
     "PATH...",
     "print the normalized events as NDJSON",
     "Prints one normalized event per line (NDJSON) on stdout: time, source, kind, channel, "
     "provider, event_id, user, device, tenant, ngc_key_id, fields, origin.",
     true,
     {
         {"--db", "", "FILE", "also keep the events in an SQLite database", Complete::kFile},
     }},
    {"timeline",
     "PATH...",
     "print each user's enrollment story: phases, events, blockers",
     "Prints, for each user, the enrollment phases (done, failed, pending, unknown — unknown "
     "when no source covers a phase), the events in time order, and the blockers found.",
     true,
     {
         {"--user", "", "UPN|SID", "only this user"},
         kNow,
         kRules,
         {"--redact", "", "",
          "replace UPNs, SIDs, DNs, account, device and key ids with stable pseudonyms (as "
          "'analyze --redact'), e.g. to paste into a ticket"},
         {"--timesketch", "", "FILE|-",
          "also write the events as Timesketch JSONL (message, datetime, timestamp_desc; events "
          "without a time are left out; with -, instead of the text)",
          Complete::kFile},
         kProbe,
         kOption,
     }},
    {"plan",
     "PATH... --out DIR",
     "write a re-enrollment plan (PowerShell, Intune scripts) for the findings",
     "Analyzes the inputs like 'analyze', then lets each action plugin (or the one named with "
     "--action) turn the findings into artifacts under DIR: the re-enrollment plan as a "
     "PowerShell script that supports -WhatIf, Intune detect/remediate scripts, a Markdown "
     "version for humans.",
     true,
     {
         {"--out", "", "DIR",
          "folder for the artifacts (created; the files of an earlier plan in it are removed; a "
          "folder holding other files is refused)",
          Complete::kDir},
         {"--force", "", "", "write into a folder that holds other files (they are kept)"},
         {"--action", "", "NAME", "only this action plugin (default: every one loaded)",
          Complete::kPlugin},
         {"--option", "", "KEY=VALUE",
          "an option for the action and probe plugins, e.g. sync_server=AADC01 (repeatable)"},
         kNow,
         kUser,
         kRules,
         kProbe,
     }},
    {"probe",
     "NAME",
     "read a live system with a probe plugin (e.g. tpm-verifier) into events",
     "Runs the probe plugin NAME against the live system and prints its events as NDJSON (the "
     "format of 'hellotrace events'). Example, a TPM through the kernel's resource manager:"
     "\n\n  hellotrace probe tpm-verifier --option tcti=device:/dev/tpmrm0\n\n"
     "To analyze probe results with exported logs, use 'analyze PATH... --probe NAME'.",
     false,
     {
         kOption,
         {"--json", "", "FILE|-", "write the events to FILE (default: stdout)", Complete::kFile},
         kPluginDir,
         kTimezone,
         kQuiet,
     }},
    {"plugins",
     "",
     "list the loaded plugins",
     "Lists the loaded plugins (name, kind, version, formats, path) and any plugin file that "
     "was refused, with the reason.",
     false,
     {kJsonList, kPluginDir}},
    {"rules",
     "",
     "list the rule catalog, or check rule files (--validate PATH)",
     "Lists the rule catalog: every finding id, those a plugin computes (\"by\" in --json) "
     "too. With --validate, checks rule files (a file or a folder: rules, phase signals, "
     "summaries) and prints each problem as FILE:LINE: message; exit 2 when any is found.",
     false,
     {
         kJsonList,
         kRules,
         {"--validate", "", "PATH", "check the rule files at PATH (a file or a folder)",
          Complete::kPath},
     }},
};

const ProgramDoc kProgram{
    "hellotrace",
    "Windows Hello for Business (hybrid key trust) enrollment analyzer",
    "hellotrace reads what admins export (event logs, dsregcmd /status, Entra Connect output, "
    "msDS-KeyCredentialLink exports, TPM and policy exports, zipped bundles of them), turns "
    "every source into normalized events, ties them to people and devices, tells each user's "
    "enrollment story phase by phase and reports the blockers with evidence and the fix. "
    "Data goes to stdout; messages and progress (on a terminal) to stderr.",
    "0 success; 1 a finding at or above --fail-on; 2 a usage error, an input that could not "
    "be read at all, or no readable input.",
    "HELLOTRACE_PLUGIN_PATH: colon-separated folders searched for plugins after --plugin-dir. "
    "A plugin file or folder writable by group or others, or owned by another user, is "
    "refused.",
    "PREFIX/lib/hellotrace/plugins: the plugins (hellotrace-NAME.so). PREFIX/share/hellotrace/"
    "rules: the rule catalog. PREFIX/share/hellotrace/messages: the event message templates. "
    "PREFIX is the folder above the one holding the hellotrace binary."};

}  // namespace

const ProgramDoc& program() { return kProgram; }
const std::vector<CommandDoc>& commands() { return kCommands; }
const std::vector<OptionDoc>& input_options() { return kInputOptions; }
const std::vector<OptionDoc>& general_options() { return kGeneralOptions; }

const CommandDoc* find_command(std::string_view name) {
  for (const CommandDoc& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

const OptionDoc* find_option(const CommandDoc& command, std::string_view flag) {
  auto in = [&](const std::vector<OptionDoc>& list) -> const OptionDoc* {
    for (const OptionDoc& o : list)
      if (o.name == flag || (!o.alias.empty() && o.alias == flag)) return &o;
    return nullptr;
  };
  if (const OptionDoc* o = in(command.options)) return o;
  return command.reads_inputs ? in(kInputOptions) : nullptr;
}

std::string option_label(const OptionDoc& o) {
  std::string s(o.name);
  if (!o.value.empty()) s += " " + std::string(o.value);
  if (!o.alias.empty()) s += ", " + std::string(o.alias);
  return s;
}

std::string wrap(std::string_view text, size_t width, size_t indent, size_t first) {
  std::string out;
  const std::string pad(indent, ' ');
  size_t column = first;  // where the next character lands
  bool line_empty = true;
  size_t pos = 0;
  auto new_line = [&] {
    out += "\n" + pad;
    column = indent;
    line_empty = true;
  };
  while (pos < text.size()) {
    if (text[pos] == '\n') {  // "\n\n": a paragraph break
      while (pos < text.size() && text[pos] == '\n') ++pos;
      out += "\n";
      new_line();
      continue;
    }
    // An example line (a paragraph starting with two spaces) stays as it is.
    if (text.substr(pos).starts_with("  ")) {
      if (!line_empty) new_line();
      const size_t end = std::min(text.find('\n', pos), text.size());
      out += text.substr(pos, end - pos);
      column += end - pos;
      line_empty = false;
      pos = end;
      continue;
    }
    const size_t end = std::min(text.find_first_of(" \n", pos), text.size());
    const std::string_view word = text.substr(pos, end - pos);
    if (!line_empty && column + 1 + word.size() > width) new_line();
    if (!line_empty) out += ' ', ++column;
    out += word;
    column += word.size();
    line_empty = false;
    pos = end;
    if (pos < text.size() && text[pos] == ' ') ++pos;
  }
  return out;
}

namespace {

constexpr size_t kWidth = 92, kHelpColumn = 21;

void append_options(std::string& out, const std::vector<OptionDoc>& options) {
  for (const OptionDoc& o : options) {
    std::string line = "  " + option_label(o);
    line += line.size() + 2 <= kHelpColumn ? std::string(kHelpColumn - line.size(), ' ') : "  ";
    out += line + wrap(o.help, kWidth, kHelpColumn, line.size()) + "\n";
  }
}

}  // namespace

std::string main_help() {
  std::string out = std::string(kProgram.name) + " — " + std::string(kProgram.tagline) +
                    "\n\nUsage: hellotrace <command> [options]\n\nCommands:\n";
  for (const CommandDoc& c : kCommands) {
    std::string head = "  " + std::string(c.name);
    if (!c.args.empty()) head += " " + std::string(c.args.substr(0, c.args.find(' ')));
    head += head.size() + 2 <= 20 ? std::string(20 - head.size(), ' ') : "  ";
    out += head + std::string(c.summary) + "\n";
  }
  out +=
      "\nRun 'hellotrace <command> --help' for a command's options; '--version' prints the "
      "version.\n\nExit status: " +
      wrap(kProgram.exit_status, kWidth, 0, 13) + "\n";
  return out;
}

std::string command_help(const CommandDoc& c) {
  std::string out = "Usage: hellotrace " + std::string(c.name);
  if (!c.args.empty()) out += " " + std::string(c.args);
  out += " [options]\n\n" + wrap(c.description, kWidth - 8, 0, 0) + "\n";
  if (!c.options.empty()) {
    out += "\nOptions:\n";
    append_options(out, c.options);
  }
  if (c.reads_inputs) {
    out += "\nInput options:\n";
    append_options(out, kInputOptions);
  }
  return out;
}

}  // namespace hellotrace::cli
