// EventData from the rendered message: Event Viewer "Save As… CSV/Text", "Copy details as
// text", Get-WinEvent | Format-List and Select …,Message | Export-Csv keep only the
// message Windows rendered from the provider's template and the event's values. The
// catalog holds those templates as data (messages/*.json, one file per provider, with
// %n where the n-th EventData value was inserted) and reads the values back, named as
// in the .evtx, so rules on event fields work on such exports too.
//
// A message in another language matches no English template: the catalog tells its
// language (messages/languages.json) so that readers can say so instead of misreading.
// Loading never throws: problems are collected with file and line, and the templates
// that loaded stay usable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <hellotrace/eventlog/record.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::eventmessage {

struct Problem {
  std::string file;
  uint64_t line = 0;  // 1-based, 0 when not known
  std::string message;
  std::string text() const;  // "file:line: message"
};

enum class Outcome {
  kRecovered,      // a template matched: `data` holds the values
  kNoTemplate,     // no template for this provider and id (nothing a rule reads)
  kOtherLanguage,  // no template matched and the text is not English: `language`
  kNoMatch         // templates exist but none matched (another build's wording?)
};

struct Recovery {
  Outcome outcome = Outcome::kNoTemplate;
  std::vector<eventlog::DataItem> data;  // named values in manifest order
  std::string provider;                  // provider of the template that matched
  std::string language;                  // kOtherLanguage: "de-DE" or "Cyrillic script"
};

// A real message text a template file carries, with the fields it must give.
struct Example {
  std::string file, provider;
  uint32_t event_id = 0;
  std::string text;
  std::vector<eventlog::DataItem> fields;
};

class Catalog {
 public:
  Catalog();
  ~Catalog();
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;

  // Every *.json of `dir`: provider template files and languages.json.
  void load_dir(const std::filesystem::path& dir);
  // One file's text (JSON with // comments); `name` is used in problems.
  void load_text(std::string_view json_text, const std::string& name);

  const std::vector<Problem>& problems() const;
  const std::vector<Example>& examples() const;
  size_t template_count() const;

  // The values of `message`. `provider` may be the full name, the name without
  // "Microsoft-Windows-", or empty (Select TimeCreated,Id,Message exports): then every
  // provider with a template for the id is tried.
  Recovery recover(std::string_view provider, uint32_t event_id, std::string_view message) const;

  // The language of a message: "" when it reads as English or cannot be told, else a
  // culture ("de-DE") or a script ("Cyrillic script").
  std::string language_of(std::string_view message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The messages/ folder of the source tree (tests, fuzzing, a build run in place); an
// installed hellotrace passes share/hellotrace/messages as the run option messages_dir.
std::filesystem::path source_messages_dir();

}  // namespace hellotrace::eventmessage
