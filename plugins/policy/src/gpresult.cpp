// gpresult /x (Resultant Set of Policy as XML) → policy.setting / policy.export.
//
// RSoP is what the device and the user actually received from Group Policy, after link
// order, security filtering and enforcement: the settings are the winners, and each names
// the GPO that set it. Registry-based policies appear twice over: as ADMX policies
// (<Policy> with the English display name, State, and the options of the policy) and, for
// values no ADMX template describes, as <RegistrySetting> (key path, value name, data).
// Both are mapped onto the setting names of the registry exports (parse.cpp), so that
// precedence and the GPO-versus-Intune comparison treat every export alike.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <hellotrace/regfile/regfile.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/text/xml_names.hpp>
#include <map>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "policy.hpp"

namespace hellotrace::policy {

namespace {

using text::iequals;

// ---- the Windows Hello for Business ADMX policies (Passport.admx, English names) ----

// An option of a policy (<CheckBox>/<Numeric>/<DropDownList> inside <Policy>).
struct OptionMap {
  const char* option;    // display name of the option
  const char* key_tail;  // subkey below …\PassportForWork ("" for the key itself)
  const char* value;     // registry value name
};

struct PolicyMap {
  const char* name;  // display name (a second spelling where Windows renamed it)
  const char* alt_name;
  const char* key_tail;  // "" or a subkey such as "PINComplexity"
  const char* value;     // registry value name; nullptr when only options set values
  bool numeric;          // the value is the policy's <Numeric> option, not Enabled = 1
  OptionMap options[2];
};

// Where Passport.admx writes each policy (valueName, enabledValue 1 / disabledValue 0,
// or the numeric option). Names as gpresult prints them on an English system; other
// WHfB policies are kept as "Policy.<name>" so nothing the RSoP shows is dropped.
constexpr PolicyMap kPolicies[] = {
    {"Use Windows Hello for Business",
     nullptr,
     "",
     "Enabled",
     false,
     {{"Do not start Windows Hello provisioning after sign-in", "", "DisablePostLogonProvisioning"},
      {}}},
    {"Use a hardware security device",
     nullptr,
     "",
     "RequireSecurityDevice",
     false,
     {{"Do not allow TPM 1.2", "ExcludeSecurityDevices", "TPM12"}, {}}},
    {"Use certificate for on-premises authentication",
     nullptr,
     "",
     "UseCertificateForOnPremAuth",
     false,
     {}},
    {"Use cloud Kerberos trust for on-premises authentication",
     "Use cloud trust for on-premises authentication",
     "",
     "UseCloudTrustForOnPremAuth",
     false,
     {}},
    {"Use PIN Recovery", nullptr, "", "EnablePinRecovery", false, {}},
    {"Use biometrics", nullptr, "Biometrics", "UseBiometrics", false, {}},
    {"Minimum PIN length", nullptr, "PINComplexity", "MinimumPINLength", true, {}},
    {"Maximum PIN length", nullptr, "PINComplexity", "MaximumPINLength", true, {}},
    {"Expiration", nullptr, "PINComplexity", "Expiration", true, {}},
    {"History", nullptr, "PINComplexity", "History", true, {}},
};

const PolicyMap* find_policy(std::string_view name) {
  for (const auto& p : kPolicies)
    if (iequals(name, p.name) || (p.alt_name && iequals(name, p.alt_name))) return &p;
  return nullptr;
}

// ---- XML helpers: gpresult qualifies elements with varying prefixes (q1:, q2:, …) ----

using text::xml::child;
using text::xml::children;
using text::xml::local_name;

std::string text_of(const pugi::xml_node& n) {
  return n ? text::sanitize_utf8(text::trim(n.child_value())) : std::string();
}

std::string text_at(const pugi::xml_node& n, std::string_view name) {
  return text_of(child(n, name));
}

// "RegistrySettings" for xsi:type="q1:RegistrySettings".
std::string_view extension_type(const pugi::xml_node& ext) {
  for (pugi::xml_attribute a = ext.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    if (name.size() >= 5 && name.substr(name.size() - 5) == ":type")
      return text::xml::strip_prefix(a.value());
  }
  return {};
}

// The line of a node offset in the decoded text (lines survive decoding; byte offsets
// of a UTF-16 file would not); 0 when pugixml has no offset.
uint64_t line_of(text::LineCounter& lines, ptrdiff_t offset) {
  return offset < 0 ? 0 : lines.line_at(static_cast<size_t>(offset));
}

// ---- what one scope (ComputerResults / UserResults) received ----

struct Setting {
  std::string setting, value, path, value_name, type, gpo, policy, category;
  uint64_t line = 0;
  int precedence = 1;  // 1 = the winning GPO
};

struct Scope {
  std::string scope;                             // "machine" | "user"
  std::string account;                           // Name: CONTOSO\WS-0142$ or CONTOSO\alice
  std::map<std::string, std::string> gpo_names;  // identifier (lower case) → display name
  std::vector<Setting> settings;
  size_t gpos = 0;
  bool has_registry_extension = false;
};

std::string gpo_name(const Scope& s, const pugi::xml_node& setting_node) {
  const pugi::xml_node g = child(setting_node, "GPO");
  if (!g) return {};
  if (std::string n = text_at(g, "Name"); !n.empty()) return n;
  const std::string id = text_at(g, "Identifier");
  if (auto it = s.gpo_names.find(text::to_lower(id)); it != s.gpo_names.end()) return it->second;
  return id;
}

int precedence_of(const pugi::xml_node& n) {
  const std::string p = text_at(n, "Precedence");
  int v = 1;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return ec == std::errc() && end == p.data() + p.size() && v > 0 ? v : 1;
}

std::string root_of(const std::string& scope) {
  return scope == "machine" ? "HKEY_LOCAL_MACHINE" : "HKEY_CURRENT_USER";
}

std::string policies_key(const std::string& scope, std::string_view tail) {
  std::string k = root_of(scope) + "\\SOFTWARE\\Policies\\Microsoft\\PassportForWork";
  if (!tail.empty()) k += "\\" + std::string(tail);
  return k;
}

// The canonical setting name of `value` under `key` (same names as registry exports).
std::string setting_of(const std::string& key, std::string_view value) {
  if (auto area = classify(key)) return setting_name(*area, value);
  return std::string(value);
}

void read_policy(Scope& s, const pugi::xml_node& p, text::LineCounter& lines,
                 std::vector<std::string>& unknown) {
  const std::string name = text_at(p, "Name");
  const std::string category = text_at(p, "Category");
  const std::string state = text_at(p, "State");
  const bool whfb_category = text::icontains(category, "Windows Hello for Business") ||
                             text::icontains(category, "PIN Complexity");
  // Policy names such as "History" exist in other templates too: a known name counts
  // only in the WHfB categories (or where the writer left the category out).
  const PolicyMap* map = whfb_category || category.empty() ? find_policy(name) : nullptr;
  if (!map && !whfb_category) return;
  Setting base;
  base.gpo = gpo_name(s, p);
  base.policy = name;
  base.category = category;
  base.line = line_of(lines, p.offset_debug());
  base.precedence = precedence_of(p);
  base.type = "REG_DWORD";
  const bool enabled = iequals(state, "Enabled");
  if (!enabled && !iequals(state, "Disabled")) return;  // "Not Configured" sets nothing
  if (!map) {
    // A WHfB policy this table does not know: keep it visible under its display name.
    Setting x = base;
    x.setting = "Policy." + name;
    x.value = enabled ? "1" : "0";
    x.type = "policy";
    x.path = policies_key(s.scope, "");
    s.settings.push_back(std::move(x));
    unknown.push_back(name);
    return;
  }
  if (map->value) {
    Setting x = base;
    x.path = policies_key(s.scope, map->key_tail);
    x.value_name = map->value;
    x.setting = setting_of(x.path, map->value);
    if (map->numeric) {
      // The number is the policy's <Numeric> option; a disabled numeric policy removes
      // the value (the default applies), so it sets nothing.
      if (!enabled) return;
      for (const auto& n : children(p, "Numeric")) x.value = text_at(n, "Value");
      if (x.value.empty()) return;
    } else {
      x.value = enabled ? "1" : "0";
    }
    s.settings.push_back(std::move(x));
  }
  if (!enabled) return;  // options of a disabled policy are not written
  for (const auto& box : children(p, "CheckBox")) {
    const std::string option = text_at(box, "Name");
    for (const auto& o : map->options) {
      if (!o.option || !iequals(option, o.option)) continue;
      Setting x = base;
      x.path = policies_key(s.scope, o.key_tail);
      x.value_name = o.value;
      x.setting = setting_of(x.path, o.value);
      x.value = iequals(text_at(box, "State"), "Enabled") ? "1" : "0";
      x.line = line_of(lines, box.offset_debug());
      s.settings.push_back(std::move(x));
    }
  }
}

void read_registry_setting(Scope& s, const pugi::xml_node& r, text::LineCounter& lines) {
  std::string key_path = text_at(r, "KeyPath");
  const pugi::xml_node v = child(r, "Value");
  if (key_path.empty() || !v) return;
  // KeyPath is relative to the scope's hive ("Software\Policies\…"); some writers
  // include the hive.
  const std::string key = regfile::canonical_key(
      text::istarts_with(key_path, "HK") ? key_path : root_of(s.scope) + "\\" + key_path);
  const auto area = classify(key);
  if (!area || area->source != "gpo") return;
  Setting x;
  x.path = key;
  x.value_name = text_at(v, "Name");
  x.setting = setting_name(*area, x.value_name);
  if (pugi::xml_node num = child(v, "Number")) {
    x.value = text_of(num);
    x.type = "REG_DWORD";
  } else {
    x.value = text_at(v, "String");
    x.type = "REG_SZ";
  }
  x.gpo = gpo_name(s, r);
  x.line = line_of(lines, r.offset_debug());
  x.precedence = precedence_of(r);
  s.settings.push_back(std::move(x));
}

Scope read_scope(const pugi::xml_node& results, const std::string& scope, text::LineCounter& lines,
                 std::vector<std::string>& unknown) {
  Scope s;
  s.scope = scope;
  s.account = text_at(results, "Name");
  for (const auto& g : children(results, "GPO")) {
    ++s.gpos;
    const std::string id = text_at(child(g, "Path"), "Identifier");
    if (!id.empty()) s.gpo_names[text::to_lower(id)] = text_at(g, "Name");
  }
  for (const auto& data : children(results, "ExtensionData"))
    for (const auto& ext : children(data, "Extension")) {
      if (extension_type(ext) != "RegistrySettings") continue;
      s.has_registry_extension = true;
      for (pugi::xml_node c = ext.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        if (local_name(c) == "Policy")
          read_policy(s, c, lines, unknown);
        else if (local_name(c) == "RegistrySetting")
          read_registry_setting(s, c, lines);
      }
    }
  return s;
}

// "CONTOSO\WS-0142$" → "WS-0142".
std::string device_of(std::string_view account) {
  if (const size_t slash = account.rfind('\\'); slash != std::string_view::npos)
    account = account.substr(slash + 1);
  if (!account.empty() && account.back() == '$') account.remove_suffix(1);
  return std::string(account);
}

}  // namespace

bool is_gpresult(std::string_view decoded_prefix) {
  return decoded_prefix.find("<Rsop") != std::string_view::npos &&
         text::icontains(decoded_prefix, "microsoft.com/GroupPolicy/Rsop");
}

void parse_gpresult(const sdk::Source& source, std::string_view xml, sdk::EventSink& out) {
  const std::string path(source.path);
  text::LineCounter lines(xml);
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    // pugixml keeps the nodes read before the error: settings above it still count.
    Position at;
    at.line = line_of(lines, parsed.offset);
    out.warning(at, fmt::format("{} line {}: XML error ({}); settings after this point are "
                                "not read",
                                path, at.line, parsed.description()));
  }
  pugi::xml_node rsop;
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling())
    if (n.type() == pugi::node_element && local_name(n) == "Rsop") rsop = n;
  if (!rsop) {
    Position at;
    at.line = 1;
    out.warning(at, fmt::format("{}: no <Rsop> element: not gpresult /x output", path));
    return;
  }
  const std::string read_time = text_at(rsop, "ReadTime");
  std::vector<std::string> unknown;
  std::vector<Scope> scopes;
  if (auto c = child(rsop, "ComputerResults"))
    scopes.push_back(read_scope(c, "machine", lines, unknown));
  if (auto u = child(rsop, "UserResults")) scopes.push_back(read_scope(u, "user", lines, unknown));

  std::string device;
  for (const auto& s : scopes)
    if (s.scope == "machine" && !s.account.empty()) device = device_of(s.account);

  size_t settings = 0;
  std::vector<std::string> covered;
  for (const auto& s : scopes) {
    // RSoP of a scope is complete when Group Policy processed it: a missing WHfB setting
    // is then "not configured", a fact — unless the scope was not read (gpresult without
    // elevation has no computer results: the element is absent or empty).
    if (s.gpos > 0 || s.has_registry_extension)
      covered.push_back(s.scope == "machine" ? "gpo.machine"
                        : s.account.empty()  ? "gpo.user"
                                             : "gpo.user:" + s.account);
    // One setting may be listed once per GPO that sets it; the lowest precedence wins.
    std::map<std::string, std::vector<const Setting*>> by_setting;
    for (const auto& x : s.settings) by_setting[text::to_lower(x.setting)].push_back(&x);
    for (auto& [name, list] : by_setting) {
      std::stable_sort(list.begin(), list.end(), [](const Setting* a, const Setting* b) {
        return a->precedence < b->precedence;
      });
      const Setting& x = *list.front();
      Event ev;
      ev.kind = "policy.setting";
      ev.origin.line = x.line ? x.line : 1;
      ev.subject.device_name = device;
      if (s.scope == "user") ev.subject.user_sam = s.account;
      ev.add("Source", "gpo");
      ev.add("Scope", s.scope);
      ev.add("Setting", x.setting);
      ev.add("Value", x.value);
      ev.add("Path", x.path);
      ev.add("ValueName", x.value_name);
      ev.add("Type", x.type);
      ev.add("Format", "gpresult-xml");
      if (!x.gpo.empty()) ev.add("Gpo", x.gpo);
      if (!x.policy.empty()) ev.add("Policy", x.policy);
      if (s.scope == "user" && !s.account.empty()) ev.add("User", s.account);
      std::string overridden;
      for (size_t i = 1; i < list.size(); ++i)
        overridden +=
            fmt::format("{}{} = {}", overridden.empty() ? "" : "; ",
                        list[i]->gpo.empty() ? "another GPO" : list[i]->gpo, list[i]->value);
      if (!overridden.empty()) ev.add("OverriddenGpos", overridden);
      out.emit(ev);
      ++settings;
    }
  }
  for (const auto& u : unknown) {
    Position at;
    at.line = 1;
    out.info(at, fmt::format("{}: Windows Hello for Business policy '{}' is not mapped to a "
                             "registry value; it is reported as Policy.{}",
                             path, u, u));
  }

  Event ex;
  ex.kind = "policy.export";
  ex.origin.line = 1;
  ex.subject.device_name = device;
  std::string covered_list;
  for (const auto& c : covered) covered_list += (covered_list.empty() ? "" : ", ") + c;
  ex.add("Format", "gpresult-xml");
  ex.add("Roots", "Resultant Set of Policy");
  ex.add("Covers", covered_list);
  ex.add("CoversPassportForWork", covered.empty() ? "false" : "true");
  ex.add("Settings", std::to_string(settings));
  if (!read_time.empty()) ex.add("ReadTime", read_time);
  for (const auto& s : scopes)
    ex.add(s.scope == "machine" ? "Computer" : "User",
           s.account.empty() ? "(not read)" : s.account);
  out.emit(ex);
}

}  // namespace hellotrace::policy
