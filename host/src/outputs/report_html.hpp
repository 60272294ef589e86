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
//    the report says how many were left out;
//  - the story order, borrowed device/tenant findings and superseded entries of the
//    view model (report_view.hpp); details as key/value lists;
//  - it reads at 360 to 1280 px without breaking a word that fits its line, and prints
//    (a print stylesheet: no sticky headers, cards not split, each user on a new page).
#pragma once

#include <ostream>

#include "outputs/report_view.hpp"

namespace hellotrace::host {

void write_html(const Report& r, std::ostream& out, const ReportMeta& meta);

}  // namespace hellotrace::host
