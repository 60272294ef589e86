// The support report: one self-contained HTML file a support engineer attaches to a
// ticket. A reader may rely on:
//  - no network: inline CSS and inline SVG only, no script, no external font, image,
//    stylesheet or link other than documentation links; a strict Content-Security-Policy
//    meta tag (default-src 'none'; style-src 'unsafe-inline'; img-src data:);
//  - every value that comes from the inputs is escaped for HTML text and attribute
//    context (& < > " '), invalid UTF-8 becomes U+FFFD and control characters are
//    replaced, also inside SVG <text>/<title>; no input value lands in a URL, style or
//    script context, except documentation links, which are links only when they start
//    with https:// and hold no space, quote or angle bracket (else they are shown as text);
//  - the document title is built from counts only, never from input values;
//  - times are UTC, ISO 8601 with "Z"; the timeline axis says UTC+00:00;
//  - content: summary (users, blockers by severity, what to do next), identity
//    conflicts, then per user the phase strip, an SVG timeline (one lane per source,
//    a mark per event, evidence of blockers in red, phase times marked), the event
//    table and the blockers with remediation; then tenant/device-wide blockers and the
//    Entra Connect sync state. Large inputs are capped (marks per lane, table rows) and
//    the report says how many were left out.
#pragma once

#include <array>
#include <cstdint>
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

void write_html(const Report& r, std::ostream& out, const ReportMeta& meta);

// Helpers shared by the HTML and Markdown renderings (exposed for tests).
namespace report_detail {

// "2025-03-04T10:00:00Z", with a fraction only when there is one ("…00.25Z"); "" for
// HT_NO_TIME.
std::string time_utc(int64_t ticks);
// "udr.evtx record 41", "dsreg.txt:53", "file offset 0x1f", or the file.
std::string where(std::string_view file, const Position& p);
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
std::array<size_t, 5> severity_counts(const Report& r);

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

}  // namespace hellotrace::host
