#include "console_split.hpp"

#include <algorithm>
#include <array>
#include <hellotrace/text/text.hpp>

namespace hellotrace::console {

namespace {

using text::icontains;
using text::istarts_with;
using text::trim;

// The title line under a transcript banner's row of stars, as Windows PowerShell 5.1
// and PowerShell 7 write it in English and German ("nStart der …" is how some German
// builds print it, a stray "n" included).
constexpr std::array kBannerTitles = {
    std::string_view("Windows PowerShell transcript start"),
    std::string_view("Windows PowerShell transcript end"),
    std::string_view("PowerShell transcript start"),
    std::string_view("PowerShell transcript end"),
    std::string_view("Start der Windows PowerShell-Aufzeichnung"),
    std::string_view("Ende der Windows PowerShell-Aufzeichnung"),
    std::string_view("Start der PowerShell-Aufzeichnung"),
    std::string_view("Ende der PowerShell-Aufzeichnung"),
};

// Lines Start-/Stop-Transcript print into the transcript itself.
constexpr std::array kTranscriptNotices = {
    std::string_view("Transcript started, output file is"),
    std::string_view("Transcript stopped, output file is"),
    std::string_view("Die Aufzeichnung wurde gestartet. Die Ausgabedatei ist"),
    std::string_view("Die Aufzeichnung wurde beendet. Die Ausgabedatei ist"),
};

constexpr size_t kMaxBannerLines = 40;

bool is_star_row(std::string_view line) {
  line = trim(line);
  return line.size() >= 10 && line.find_first_not_of('*') == std::string_view::npos;
}

// "Command start time: 20250324214012" (-IncludeInvocationHeader), in any language:
// a label, a colon, and the transcript's 14-digit time stamp.
bool is_stamp_line(std::string_view line) {
  line = trim(line);
  const size_t colon = line.rfind(": ");
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view stamp = trim(line.substr(colon + 1));
  return stamp.size() == 14 &&
         std::all_of(stamp.begin(), stamp.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string banner_title(std::string_view line) {
  line = trim(line);
  for (std::string_view t : kBannerTitles)
    if (icontains(line, t) && line.size() <= t.size() + 2) return std::string(t);
  return is_stamp_line(line) ? std::string(line.substr(0, line.rfind(':'))) : std::string();
}

bool is_notice(std::string_view line) {
  line = trim(line);
  return std::any_of(kTranscriptNotices.begin(), kTranscriptNotices.end(),
                     [&](std::string_view n) { return istarts_with(line, n); });
}

// A prompt line: "PS C:\Users\x> cmd", "PS> cmd", "[server]: PS C:\> cmd" (a remote
// session), "PS AD:\> cmd", or cmd.exe's "C:\Users\x>cmd". Returns whether it is one
// and the command typed after it.
bool is_prompt(std::string_view line, std::string& command) {
  std::string_view s = line;
  if (!s.empty() && s.front() == '[') {  // "[server]: "
    const size_t close = s.find("]: ");
    if (close == std::string_view::npos || close > 260) return false;
    s.remove_prefix(close + 3);
  }
  size_t gt = std::string_view::npos;
  if (s.rfind("PS>", 0) == 0) {
    gt = 2;
  } else if (s.rfind("PS ", 0) == 0) {
    gt = s.find('>', 3);
    if (gt == std::string_view::npos || gt > 263 || gt == 3) return false;
  } else if (s.size() >= 4 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':' &&
             s[2] == '\\') {
    gt = s.find('>', 3);
    // cmd.exe: only with a command right after '>', so a path in output is no prompt.
    if (gt == std::string_view::npos || gt > 260 || gt + 1 >= s.size() || s[gt + 1] == ' ')
      return false;
  } else {
    return false;
  }
  const std::string_view path = s.substr(0, gt);
  if (path.find_first_of("\t\"<|") != std::string_view::npos) return false;
  command = std::string(trim(s.substr(gt + 1)));
  return true;
}

}  // namespace

Session split(std::string_view decoded) {
  Session out;
  const std::vector<text::Line> lines = text::split_lines(decoded);
  Block current;
  bool open = false;
  bool prompted = false;  // the current block starts at a prompt line
  auto close = [&] {
    if (!open) return;
    open = false;
    // Trailing blank lines belong to no block; a prompt with nothing after it is no block.
    while (current.last_line >= current.first_line &&
           trim(lines[current.last_line - 1].text).empty())
      --current.last_line;
    const bool has_output = prompted ? current.last_line > current.first_line
                                     : current.last_line >= current.first_line;
    if (!has_output) return;
    for (uint64_t n = current.first_line; n <= current.last_line; ++n) {
      current.text += lines[n - 1].text;
      current.text += '\n';
    }
    out.blocks.push_back(std::move(current));
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const text::Line& line = lines[i];
    if (is_star_row(line.text) && i + 1 < lines.size()) {
      const std::string title = banner_title(lines[i + 1].text);
      if (!title.empty()) {
        // A banner is a few "Label: value" lines; one whose closing row of stars does
        // not come soon is no banner (unless the file ends first: a cut transcript).
        size_t end = i + 2;
        while (end < lines.size() && end <= i + kMaxBannerLines && !is_star_row(lines[end].text))
          ++end;
        if (end >= lines.size() || is_star_row(lines[end].text)) {
          close();
          if (out.banner.empty() && !is_stamp_line(lines[i + 1].text)) out.banner = title;
          i = end;  // the closing row of stars (or the end of the file)
          continue;
        }
      }
    }
    if (is_notice(line.text)) {
      close();
      continue;
    }
    std::string command;
    if (is_prompt(line.text, command)) {
      close();
      ++out.prompts;
      if (!command.empty()) ++out.commands;
      current = Block{line.number, line.number, command, {}};
      open = prompted = true;
      continue;
    }
    if (!open) {
      if (trim(line.text).empty()) continue;
      current = Block{line.number, line.number, {}, {}};
      open = true;
      prompted = false;
    }
    current.last_line = line.number;
  }
  close();
  return out;
}

int score(std::string_view decoded) {
  const Session s = split(decoded);
  if (!s.banner.empty()) return 100;
  return s.commands >= 2 ? 100 : 0;
}

}  // namespace hellotrace::console
