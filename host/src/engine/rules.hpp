// Rules as data: files under rules/ (JSON with comments) that say which events
// show a blocker. A reader may rely on: rules are checked when loaded (every
// problem reported with file and line, a bad rule is not used); matching an event
// is a pure function of the event; one Finding per rule and subject collects all
// matching events as evidence.
#pragma once

#include <filesystem>
#include <hellotrace/event.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/finding.hpp"

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

 private:
  std::vector<Rule> rules_;
  std::vector<RuleProblem> problems_;
};

// Collects findings from events, one per rule and subject.
class FindingCollector {
 public:
  explicit FindingCollector(const RuleSet& rules) : rules_(rules) {}
  // Returns the rules that matched (after suppression).
  std::vector<const Rule*> observe(const Event& e);
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
