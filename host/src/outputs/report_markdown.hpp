// The support report as Markdown (GitHub-flavoured tables), for ticket systems that
// take text. Same content as the HTML report (report_html.hpp): summary, what to do
// next, per user a phase table, a compact text timeline and an event table, the
// blockers with remediation in the story order of report_view.hpp (a consequence as a
// quoted block under its cause), details as a list; tenant/device-wide blockers and
// the sync state.
// A reader may rely on: values from the inputs never break the layout — in table cells
// `|` and `\` are escaped, backticks, `<`, `>`, `&`, `*`, `_`, `[`, `]` are escaped or
// entity-encoded, newlines become `<br>`; outside tables the same escaping applies, so
// no input value becomes a link, an HTML tag or code; documentation links are links only
// when they pass report_detail::safe_https_url. Invalid UTF-8 becomes U+FFFD.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "outputs/report_view.hpp"

namespace hellotrace::host {

void write_markdown(const Report& r, std::ostream& out, const ReportMeta& meta);

namespace report_detail {
// Escapes text for a Markdown table cell (also safe in running text).
std::string md_escape(std::string_view s, size_t max_bytes = 1000);
// A code span (`…`): backticks become ', newlines spaces, | is escaped for tables.
std::string md_code(std::string_view s, size_t max_bytes = 200);
}  // namespace report_detail

}  // namespace hellotrace::host
