// Namespace prefixes in exported XML vary by writer (q1:Policy, q2:Policy, Policy with a
// default namespace; event XML the same): readers match elements by local name. Header
// only, for the readers that use pugixml (they link it themselves).
#pragma once

#include <pugixml.hpp>
#include <string_view>
#include <vector>

namespace hellotrace::text::xml {

// "q1:Policy" → "Policy"; a name without prefix is returned as is.
inline std::string_view strip_prefix(std::string_view qualified) {
  const size_t colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

inline std::string_view local_name(const pugi::xml_node& n) { return strip_prefix(n.name()); }

// The first element child with this local name (a null node when there is none).
inline pugi::xml_node child(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && local_name(c) == local) return c;
  return {};
}

// Every element child with this local name, in document order.
inline std::vector<pugi::xml_node> children(const pugi::xml_node& n, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && local_name(c) == local) out.push_back(c);
  return out;
}

}  // namespace hellotrace::text::xml
