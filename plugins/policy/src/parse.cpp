// Registry exports → policy.setting (one per WHfB value) and policy.export (one per file:
// which policy areas the export covers, so that "covered and not set" can be told from
// "not exported").
#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/regfile/regfile.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <map>
#include <set>
#include <vector>

#include "policy.hpp"

namespace hellotrace::policy {

namespace {

namespace rf = regfile;
using text::iequals;
using text::istarts_with;

constexpr std::string_view kGpoTail = "SOFTWARE\\Policies\\Microsoft\\PassportForWork";
constexpr std::string_view kIntuneRoot =
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork";

std::vector<std::string_view> split_key(std::string_view k) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= k.size(); ++i)
    if (i == k.size() || k[i] == '\\') {
      if (i > start) out.push_back(k.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

std::string join(const std::vector<std::string_view>& parts, size_t from, char sep) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += sep;
    out += parts[i];
  }
  return out;
}

bool is_sid(std::string_view s) { return istarts_with(s, "S-1-"); }

// The GPO PassportForWork key for a user hive root ("HKEY_USERS\S-1-…"), machine, or HKCU.
std::string gpo_key(std::string_view hive) {
  return std::string(hive) + "\\" + std::string(kGpoTail);
}

// Area ids as written in policy.export's Covers field.
std::string area_id(std::string_view source, std::string_view scope, std::string_view sid) {
  if (source == "intune") return "intune";
  if (scope == "machine") return "gpo.machine";
  return sid.empty() ? "gpo.user" : "gpo.user:" + std::string(sid);
}

}  // namespace

std::optional<Area> classify(std::string_view key) {
  const auto parts = split_key(key);
  const auto tail = split_key(kGpoTail);  // SOFTWARE Policies Microsoft PassportForWork
  auto gpo_at = [&](size_t at) {          // does the GPO key start at parts[at]?
    if (parts.size() < at + tail.size()) return false;
    for (size_t i = 0; i < tail.size(); ++i)
      if (!iequals(parts[at + i], tail[i])) return false;
    return true;
  };
  if (parts.empty()) return std::nullopt;
  Area a;
  if (iequals(parts[0], "HKEY_LOCAL_MACHINE") && gpo_at(1)) {
    a = {"gpo", "machine", "", "", join(parts, 1 + tail.size(), '\\')};
    return a;
  }
  if (iequals(parts[0], "HKEY_CURRENT_USER") && gpo_at(1)) {
    a = {"gpo", "user", "", "", join(parts, 1 + tail.size(), '\\')};
    return a;
  }
  if (iequals(parts[0], "HKEY_USERS") && parts.size() > 1 && gpo_at(2)) {
    // Only a real user's hive names the person; .DEFAULT and service SIDs do not.
    const bool person =
        istarts_with(parts[1], "S-1-5-21-") && !text::icontains(parts[1], "_Classes");
    a = {"gpo", "user", person ? std::string(parts[1]) : "", "",
         join(parts, 2 + tail.size(), '\\')};
    return a;
  }
  if (!rf::key_within(key, kIntuneRoot)) return std::nullopt;
  // HKLM\SOFTWARE\Microsoft\Policies\PassportForWork\{TenantId}\Device\Policies\…
  //                                                  \{TenantId}\{UserSid}\Policies\…
  // and tenant-less areas such as …\PassportForWork\Biometrics (device-wide CSP nodes).
  const size_t base = split_key(kIntuneRoot).size();
  a.source = "intune";
  a.scope = "machine";
  if (parts.size() > base) {
    if (auto tenant = text::normalize_guid(parts[base])) {
      a.tenant = *tenant;
      size_t next = base + 1;
      if (parts.size() > next && is_sid(parts[next])) {
        a.scope = "user";
        a.sid = std::string(parts[next]);
        ++next;
      } else if (parts.size() > next && iequals(parts[next], "Device")) {
        ++next;
      }
      if (parts.size() > next && iequals(parts[next], "Policies")) ++next;
      a.sub = join(parts, next, '\\');
      return a;
    }
  }
  a.sub = join(parts, base, '\\');
  return a;
}

std::string setting_name(const Area& area, std::string_view name) {
  const std::string value_name = name.empty() ? "(Default)" : std::string(name);
  if (area.sub.empty()) {
    // The Group Policy key holds "Use Windows Hello for Business" as Enabled; the CSP
    // node is UsePassportForWork. Both become one setting so their precedence applies.
    if (area.source == "gpo" && iequals(name, "Enabled")) return "UsePassportForWork";
    if (area.source == "intune" && iequals(name, "UsePassportForWork")) return "UsePassportForWork";
    // Windows does not read UsePassportForWork from the Group Policy key (scripts that
    // write it there are a common mistake): keep it apart from the real setting.
    if (area.source == "gpo" && iequals(name, "UsePassportForWork"))
      return "GpoKey.UsePassportForWork";
    return value_name;
  }
  if (iequals(area.sub, "ExcludeSecurityDevices") && iequals(name, "TPM12")) return "ExcludeTPM12";
  std::string sub = area.sub;
  std::replace(sub.begin(), sub.end(), '\\', '.');
  if (iequals(sub, "PINComplexity")) sub = "PINComplexity";
  return sub + "." + value_name;
}

int sniff(std::span<const uint8_t> prefix, std::string_view /*file_name*/) {
  const std::string t = text::decode(prefix);
  const bool whfb = text::icontains(t, "PassportForWork");
  if (is_gpresult(t))  // no other plugin reads RSoP; it names policies, not keys
    return whfb || text::icontains(t, "Windows Hello for Business") ? 95 : 85;
  switch (rf::detect_format(t)) {
    case rf::Format::kRegedit5:
    case rf::Format::kRegedit4:
      return whfb ? 95 : 60;  // no other plugin reads .reg files
    case rf::Format::kRegQuery:
      return whfb ? 90 : 50;
    case rf::Format::kPsItemProperty:
      // Get-ItemProperty of other keys is some other plugin's business, if anyone's.
      return whfb ? 85 : 0;
    default:
      return 0;
  }
}

void parse(const sdk::Source& source, sdk::EventSink& out) {
  if (is_gpresult(text::decode(source.data.first(std::min<size_t>(source.data.size(), 8192)))))
    return parse_gpresult(source, text::decode_reporting(source.data, out), out);
  const rf::Result r = rf::parse_bytes(source.data);
  const std::string path(source.path);
  auto at_line = [](uint64_t line) {
    Position p;
    if (line) p.line = line;
    return p;
  };
  for (const auto& p : r.problems) {
    const std::string where = p.line ? fmt::format("{} line {}", path, p.line) : path;
    out.warning(at_line(p.line), fmt::format("{}: {}", where, p.message));
  }
  if (r.format == rf::Format::kUnknown) return;

  // Apply the file in order as an import would: a [-key] removes the values listed
  // before it under that key, `"name"=-` removes one value, a repeated value replaces
  // the earlier one. What is left is what the export says is set.
  struct Live {
    const rf::Entry* e;
    std::string key;  // canonical
    bool alive = true;
  };
  std::vector<Live> values;
  std::map<std::string, size_t> by_name;  // lower(key) + '\n' + lower(name) → index
  std::vector<std::string> keys;          // canonical keys the file lists (or queried)
  size_t deletions = 0;
  for (const auto& q : r.queried) keys.push_back(rf::canonical_key(q));
  for (const auto& e : r.entries) {
    const std::string key = rf::canonical_key(e.key);
    const std::string id = text::to_lower(key) + '\n' + text::to_lower(e.name);
    switch (e.kind) {
      case rf::EntryKind::kKey:
      case rf::EntryKind::kQueryError:
        keys.push_back(key);
        break;
      case rf::EntryKind::kDeletedKey:
        ++deletions;
        for (auto& v : values)
          if (v.alive && rf::key_within(v.key, key)) v.alive = false;
        break;
      case rf::EntryKind::kDeletedValue:
        ++deletions;
        if (auto it = by_name.find(id); it != by_name.end()) values[it->second].alive = false;
        break;
      case rf::EntryKind::kValue:
        if (auto it = by_name.find(id); it != by_name.end()) values[it->second].alive = false;
        by_name[id] = values.size();
        values.push_back({&e, key});
        break;
    }
  }
  if (deletions)
    out.info(at_line(1), fmt::format("{}: {} deletion(s) ([-key] or \"name\"=-): this is an "
                                     "import script rather than an export; deleted values are "
                                     "not reported as set",
                                     path, deletions));

  size_t settings = 0;
  std::set<std::string> user_sids;
  for (const auto& v : values) {
    if (!v.alive) continue;
    const auto area = classify(v.key);
    if (!area) continue;
    const rf::Entry& e = *v.e;
    Event ev;
    ev.kind = "policy.setting";
    ev.origin.line = e.line;
    ev.subject.user_sid = area->sid;
    ev.subject.tenant_id = area->tenant;
    const std::string setting = setting_name(*area, e.name);
    ev.add("Source", area->source);
    ev.add("Scope", area->scope);
    ev.add("Setting", setting);
    ev.add("Value", text::sanitize_utf8(e.data));
    ev.add("Path", text::sanitize_utf8(v.key));
    ev.add("ValueName", text::sanitize_utf8(e.name));
    ev.add("Type", e.type.empty() ? "unknown" : e.type);
    if (area->source == "intune") ev.add("TenantId", area->tenant);
    ev.add("Format", rf::format_name(r.format));
    if (setting == "GpoKey.UsePassportForWork")
      out.info(at_line(e.line),
               fmt::format("{} line {}: UsePassportForWork under the Group Policy key is not read "
                           "by Windows (the Group Policy value is Enabled)",
                           path, e.line));
    if (!area->sid.empty()) user_sids.insert(area->sid);
    ++settings;
    out.emit(ev);
  }

  // Which policy areas the export covers: an area is covered when the file lists its
  // key or a key below it, or when an export root (a listed key whose parent is not
  // listed: what regedit /e or reg query /s was pointed at) is the area key or above
  // it, since the whole subtree was then exported and the area's absence is a fact.
  auto listed = [&](std::string_view k) {
    return std::any_of(keys.begin(), keys.end(),
                       [&](const std::string& x) { return iequals(x, k); });
  };
  std::vector<std::string> roots;
  for (const auto& k : keys) {
    const size_t slash = k.rfind('\\');
    if ((slash == std::string::npos || !listed(std::string_view(k).substr(0, slash))) &&
        std::none_of(roots.begin(), roots.end(),
                     [&](const std::string& x) { return iequals(x, k); }))
      roots.push_back(k);
  }
  std::vector<std::pair<std::string, std::string>> areas = {
      // area id → area key
      {"gpo.machine", gpo_key("HKEY_LOCAL_MACHINE")},
      {"gpo.user", gpo_key("HKEY_CURRENT_USER")},
      {"intune", std::string(kIntuneRoot)}};
  for (const auto& k : keys) {  // user hives the file shows
    const auto parts = split_key(k);
    if (parts.size() > 1 && iequals(parts[0], "HKEY_USERS") &&
        istarts_with(parts[1], "S-1-5-21-") && !text::icontains(parts[1], "_Classes"))
      user_sids.insert(std::string(parts[1]));
  }
  for (const auto& sid : user_sids)
    areas.push_back({area_id("gpo", "user", sid), gpo_key("HKEY_USERS\\" + sid)});
  std::vector<std::string> covered;
  for (const auto& area : areas) {
    // Plain references, not structured bindings: lambdas may not capture those before
    // compilers implement P1091 (clang 14, which builds the fuzz targets, does not).
    const std::string& id = area.first;
    const std::string& area_key = area.second;
    const bool inside = std::any_of(keys.begin(), keys.end(), [&](const std::string& k) {
      return rf::key_within(k, area_key);
    });
    const bool above = std::any_of(roots.begin(), roots.end(), [&](const std::string& root) {
      return rf::key_within(area_key, root);
    });
    if ((inside || above) && std::find(covered.begin(), covered.end(), id) == covered.end())
      covered.push_back(id);
  }
  Event ex;
  ex.kind = "policy.export";
  ex.origin.line = 1;
  std::string root_list, covered_list;
  for (const auto& x : roots) root_list += (root_list.empty() ? "" : "; ") + x;
  for (const auto& x : covered) covered_list += (covered_list.empty() ? "" : ", ") + x;
  ex.add("Format", rf::format_name(r.format));
  ex.add("Roots", text::sanitize_utf8(root_list));
  ex.add("Covers", covered_list);
  ex.add("CoversPassportForWork", covered.empty() ? "false" : "true");
  ex.add("Settings", std::to_string(settings));
  ex.add("Keys", std::to_string(keys.size()));
  out.emit(ex);
}

}  // namespace hellotrace::policy
