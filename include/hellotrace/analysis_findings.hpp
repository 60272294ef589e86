// Helpers for analyzer plugins that read the analysis input (analysis_input.hpp) and send
// findings (docs/PLUGINS.md "Analyzer output"): one way to read an input event's fields and
// to cite it as evidence, so every analyzer quotes its evidence alike.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hellotrace::analysis {

// A string member of a JSON object, or "" when absent or not a string.
inline std::string member(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The value of an input event's field (names compared ASCII case-insensitively, as the
// sources write them in any case), or "".
inline std::string event_field(const nlohmann::json& event, std::string_view name) {
  auto fields = event.find("fields");
  if (fields == event.end() || !fields->is_object()) return {};
  auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
      if (x != y) return false;
    }
    return true;
  };
  for (const auto& [key, value] : fields->items())
    if (same(key, name) && value.is_string()) return value.get<std::string>();
  return {};
}

// An evidence item naming an input event (file and position as the input gave them) with
// the excerpt "Name=value; …" of the fields named that have a value.
inline nlohmann::json evidence_of(const nlohmann::json& event,
                                  std::initializer_list<std::string_view> names,
                                  std::string_view source) {
  std::string excerpt;
  for (std::string_view n : names) {
    const std::string v = event_field(event, n);
    if (v.empty()) continue;
    if (!excerpt.empty()) excerpt += "; ";
    excerpt.append(n).append("=").append(v);
  }
  nlohmann::json out = nlohmann::json::object();
  for (const char* k : {"file", "line", "offset", "record", "time", "source", "kind", "event_id"})
    out[k] = event.contains(k) ? event[k] : nlohmann::json();
  if (!out["file"].is_string()) out["file"] = "";
  if (!out["source"].is_string()) out["source"] = std::string(source);
  out["excerpt"] = excerpt;
  return out;
}

// The "user" of a finding that concerns no person (a domain controller, the domain).
inline nlohmann::json no_user() {
  return {{"upn", nullptr}, {"sid", nullptr}, {"dn", nullptr}, {"sam", nullptr}};
}

}  // namespace hellotrace::analysis
