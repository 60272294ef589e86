// Rules as data: files under rules/ (JSON with comments) that say which events
// show a blocker, which events show the state of an enrollment phase ("phases"), and
// which fields summarize an event of a kind in the timeline ("summaries"). A reader
// may rely on: rules are checked when loaded (every problem reported with file and
// line, a bad rule or phase signal is not used); matching an event is a pure function
// of the event; one Finding per rule and subject collects all matching events as
// evidence; phase signals are tried in file order (files sorted by name).
#pragma once

#include <filesystem>
#include <hellotrace/event.hpp>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/finding.hpp"
#include "engine/phase.hpp"

namespace re2 {
class RE2;
}

namespace hellotrace::host {

struct FieldCondition {
  std::string field;
  std::shared_ptr<re2::RE2> pattern;  // must match (partial match; anchor with ^$)
};

struct Matcher {
  std::vector<std::string> kinds;    // any of; empty = any kind
  std::vector<int64_t> event_ids;    // any of; empty = any
  std::vector<std::string> sources;  // plugin names; empty = any
  std::vector<FieldCondition> all;   // every one must match
  std::vector<FieldCondition> none;  // "unless": none may match (an absent field does not)
  // "subject": the event's subject names at least one of these facts ("user_sid",
  // "user_upn", "user_dn", "user_sam", "device_name", "device_id"); empty = no condition.
  std::vector<std::string> subject;
};

// "phases": an event matching `match` shows `phase` in `state`; `note` is the timeline's
// text for it, where {Field} is that field's value, {A|B} the first of the fields
// present, {A|'text'} a field or else the text, and {event_id} the event's id.
struct PhaseRule {
  Phase phase = Phase::kPolicy;
  PhaseState state = PhaseState::kUnknown;
  std::vector<Matcher> match;  // any of
  std::string note;
  std::string file;
  size_t line = 0;
};

// "state": the rule reports a condition a later observation can clear. Each matching
// event is a failed observation, each `cleared_by` event a passing one, of the check
// this rule is about, keyed by the person and/or device (`per`); only the latest
// observation at or before --now decides (timeline.cpp).
struct StateSpec {
  enum class Per { kUserDevice, kUser, kDevice } per = Per::kUserDevice;
  std::vector<Matcher> cleared_by;  // any of
};

// "advice": text per code found in one of `fields` (e.g. an error code), appended to
// the finding as details.advice and put first in its remediation.
struct Advice {
  std::vector<std::string> fields;
  std::map<std::string, std::string> by_code;  // normalized code → text
};

// "explained_by": another finding about the same person that says why this one
// happens; `note` may use {name} for that finding's details.name.
struct Explanation {
  std::string rule, note;
};

struct Rule {
  std::string id, title, severity, category;
  std::vector<Matcher> match;              // any of
  std::vector<std::string> evidence;       // field names quoted in the excerpt
  std::vector<std::string> suppressed_by;  // ids that, matching the same event, win
  std::vector<std::string> yields_to;      // ids that, firing for the same user/device, win
  std::optional<StateSpec> state;
  std::optional<Advice> advice;
  std::vector<Explanation> explained_by;
  std::string summary;  // may use {user}, {device}
  std::string remediation, documentation;
  // "by": the plugin (or engine module) that computes this finding; such a rule has no
  // "match" and only declares the id with its title, severity and remediation.
  std::string by;
  std::string file;
  size_t line = 0;
};

// A code as rules compare it: lower case, HRESULTs in 0x%08x form whether written as
// hex with or without 0x and leading zeros, or as a (negative) decimal.
std::string normalize_code(std::string_view code);

struct RuleProblem {
  std::string file;
  size_t line = 0;
  std::string message;
  std::string text() const;  // "FILE:LINE: message"
};

class RuleSet {
 public:
  // Loads every *.json / *.jsonc file of a folder (sorted), or one file.
  void load(const std::filesystem::path& path);
  void load_text(std::string_view text, const std::string& file_name);
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<RuleProblem>& problems() const { return problems_; }
  // Rules that match this event (after suppression).
  std::vector<const Rule*> match(const Event& e) const;
  // Rules with a state whose `cleared_by` matches this event.
  std::vector<const Rule*> clears(const Event& e) const;
  const Rule* find(std::string_view id) const;

  const std::vector<PhaseRule>& phase_rules() const { return phases_; }
  // Phase rules that match this event, in file order.
  std::vector<const PhaseRule*> phases(const Event& e) const;
  // The fields that summarize an event of `kind` in the timeline; null when no file
  // names them (the summary then is the event's first fields).
  const std::vector<std::string>* summary_fields(std::string_view kind) const;

 private:
  void load_phases(const nlohmann::json& list, std::string_view text, const std::string& file);
  void load_summaries(const nlohmann::json& map, std::string_view text, const std::string& file);

  std::vector<Rule> rules_;
  std::vector<RuleProblem> problems_;
  std::vector<PhaseRule> phases_;
  std::map<std::string, std::vector<std::string>, std::less<>> summaries_;
};

// A phase rule's note for an event (the {…} slots filled).
std::string phase_note(const PhaseRule& rule, const Event& e);

// Collects findings from events, one per rule and subject.
class FindingCollector {
 public:
  explicit FindingCollector(const RuleSet& rules) : rules_(rules) {}
  // Returns the rules that matched (after suppression).
  std::vector<const Rule*> observe(const Event& e);
  // The finding each of these rules makes of the event (thread-safe: no state); add()
  // them to collect. observe() is match(), findings_of() and add().
  static std::vector<Finding> findings_of(const Event& e, const std::vector<const Rule*>& hits);
  // Adds a finding made by code (analyzers); merges with an existing one.
  void add(Finding f);
  std::vector<Finding> take();  // sorted: severity, rule, user

  static std::string excerpt(const Event& e, const std::vector<std::string>& names);
  static Evidence evidence_of(const Event& e, const std::vector<std::string>& names);

 private:
  const RuleSet& rules_;
  std::map<std::string, Finding> findings_;
  static constexpr size_t kMaxEvidence = 50;
};

// Identity key of a subject used to group findings: user, then device.
std::string subject_key(const Subject& s);

// Merges `from`'s details into `into` (advice per code is kept for every code).
void merge_details(Finding& into, const Finding& from);

}  // namespace hellotrace::host
