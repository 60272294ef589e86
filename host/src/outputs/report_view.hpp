// The report view model: what the HTML, Markdown and terminal renderings of a Report
// show and in which order, worked out once so the three tell the same story. A reader
// may rely on:
//  - story order: a finding that explains another (the consequence lists the cause's
//    rule in details.explained_by, as rules' "explained_by" and the key-sync reasoning
//    write it) comes first, the consequence right after it one level deeper; trees are
//    ordered by their most severe finding, then by the Report's own order (severity,
//    rule, subject); a cycle of explanations is cut, never followed;
//  - a user's findings are their own, plus the device-wide findings of the devices the
//    user was seen on, plus any user-less finding that explains one of those (a
//    suspended sync scheduler under the user whose key it holds back); those borrowed
//    findings are marked `own = false` and still listed with the tenant-wide ones;
//  - a timeline entry that a later observation superseded is never marked as evidence
//    of a blocker: it is kSuperseded, with the event that superseded it;
//  - finding details become key/value rows (nested objects flattened, lists joined,
//    ISO times shortened); values stay raw text for each renderer to escape.
// Renderers keep only their syntax: escaping, layout, caps of their own.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "engine/timeline.hpp"

#ifndef HELLOTRACE_VERSION
#define HELLOTRACE_VERSION "0.0.0"
#endif

namespace hellotrace::host {

// What the report says about its own making.
struct ReportMeta {
  std::string version = HELLOTRACE_VERSION;  // hellotrace version
  int64_t generated = HT_NO_TIME;            // when the report was written (UTC ticks)
  int64_t now = HT_NO_TIME;                  // reference time; HT_NO_TIME: Report::now
  size_t input_files = 0;                    // files read
  bool redacted = false;                     // redact() was applied
};

// One finding in story order.
struct FindingItem {
  size_t finding = 0;  // index into the findings ordered
  int depth = 0;       // 0: a cause or a finding on its own; n: under the item of depth n-1 above
  int cause = -1;      // index of the finding that explains this one (-1: none shown)
  bool own = true;     // false: a device or tenant finding shown in a user's section
};

// Story order of `which` (indices into `findings`), see above.
std::vector<FindingItem> story_order(const std::vector<Finding>& findings,
                                     const std::vector<size_t>& which);

// A finding's details as rows ("eta", "2025-03-04T10:30:00Z"); at most `max_rows`, the
// last row then says how many were left out.
struct DetailRow {
  std::string key, value;
};
std::vector<DetailRow> detail_rows(const Finding& f, size_t max_rows = 20);

// How a timeline entry shows.
enum class EntryMark { kPlain, kEvidence, kSuperseded };

namespace report_detail {

// "2025-03-04T10:00:00Z", with a fraction only when there is one ("…00.25Z"); "" for
// HT_NO_TIME.
std::string time_utc(int64_t ticks);
// Valid UTF-8 (U+FFFD for bad bytes), control characters other than tab/newline
// replaced by U+FFFD, at most `max_bytes` (cut on a character boundary, then "…").
std::string clean(std::string_view s, size_t max_bytes = std::string::npos);
// A documentation link that may be rendered as a link: https://, printable ASCII,
// no space, quote, backslash or angle bracket.
bool safe_https_url(std::string_view url);
// True when the timeline entry is quoted as evidence by a finding.
struct EvidenceIndex {
  explicit EvidenceIndex(const Report& r);
  bool contains(const TimelineEntry& e) const;
  std::vector<std::string> keys;  // sorted
};
// Blockers grouped by rule, most severe and most widespread first.
struct Remedy {
  std::string rule, severity, title, remediation, documentation;
  size_t findings = 0, subjects = 0;
};
std::vector<Remedy> top_remedies(const Report& r);
// Findings that are not about any user of Report::users (tenant- or device-wide).
std::vector<size_t> unattached_findings(const Report& r);
// Counts per severity: critical, high, medium, info, other.
std::array<size_t, 5> severity_counts(const std::vector<Finding>& findings);
inline std::array<size_t, 5> severity_counts(const Report& r) {
  return severity_counts(r.findings);
}

// A fleet's report summarizes: at most kMaxUsersListed rows in the users table and
// kMaxUsersDetailed users with a section of their own, and the sections stop once the
// report holds kDetailBudgetBytes; what is left out is said. With each section capped
// too (event rows, evidence, cell sizes), an HTML or Markdown report stays under
// about 40 MiB whatever the input (docs/CLI.md, Safety).
inline constexpr size_t kMaxUsersListed = 2000;
inline constexpr size_t kMaxUsersDetailed = 200;
inline constexpr uint64_t kDetailBudgetBytes = 32ull << 20;
// Which users (indices into Report::users), in which order: all, in name order, when
// there are at most `max`; else the first `max` by worst blocker (most severe first,
// then most blockers), then name.
std::vector<size_t> users_first(const Report& r, size_t max);
// Blocked users (a finding of high severity or worse) among `users`.
size_t blocked_users(const Report& r, const std::vector<size_t>& users);

// Passes bytes on to another stream buffer, counting them (the reports' byte budget).
class CountingBuf : public std::streambuf {
 public:
  explicit CountingBuf(std::streambuf* to) : to_(to) {}
  uint64_t bytes() const { return bytes_; }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    ++bytes_;
    return to_->sputc(static_cast<char>(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    bytes_ += static_cast<uint64_t>(n);
    return to_->sputn(s, n);
  }
  int sync() override { return to_->pubsync(); }

 private:
  std::streambuf* to_;
  uint64_t bytes_ = 0;
};
const char* const kSeverities[] = {"critical", "high", "medium", "info"};

}  // namespace report_detail

// The view of one Report (which it references: keep the Report alive).
class ReportView {
 public:
  explicit ReportView(const Report& r);
  const Report& report() const { return r_; }
  // "(unknown)" for -1, "(unnamed)" for an identity without a name.
  std::string display(int identity) const;
  // The user's findings in story order, borrowed ones included (see above).
  std::vector<FindingItem> user_findings(size_t user) const;
  // Findings about no user of the report, in story order.
  std::vector<FindingItem> unattached() const;
  // Users (indices into Report::users) whose section shows finding `f`.
  const std::vector<size_t>& shown_for(size_t f) const { return shown_for_[f]; }
  EntryMark mark(const TimelineEntry& e) const;
  // Phases of a user counted by state, indexed by PhaseState.
  std::array<size_t, 4> phase_counts(size_t user) const;

 private:
  std::vector<size_t> findings_of(size_t user) const;
  const Report& r_;
  report_detail::EvidenceIndex evidence_;
  std::vector<size_t> tenant_;  // findings naming no user and no device
  std::map<std::string, std::vector<size_t>> device_findings_;  // "name:pc-0142" / "id:…"
  std::vector<std::vector<size_t>> shown_for_;                  // per finding
};

}  // namespace hellotrace::host
