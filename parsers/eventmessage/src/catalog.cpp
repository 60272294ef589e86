// Message templates as data → EventData values (see catalog.hpp).
#include <re2/re2.h>

#include <algorithm>
#include <fstream>
#include <hellotrace/eventmessage/catalog.hpp>
#include <hellotrace/text/text.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace hellotrace::eventmessage {
namespace {

using nlohmann::json;

constexpr std::string_view kProviderPrefix = "Microsoft-Windows-";

std::string provider_key(std::string_view provider) {
  provider = text::trim(provider);
  if (text::istarts_with(provider, kProviderPrefix)) provider.remove_prefix(kProviderPrefix.size());
  return text::to_lower(provider);
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A template in the manifest's notation ("Key ID: %1 \nUPN: %2") as an RE2 pattern:
// each %n becomes a lazy group, each run of blanks "\s*" (exports differ in trailing
// blanks and CRLF/LF; Event Viewer pads with tabs), the rest is literal.
std::string to_pattern(std::string_view tpl, std::vector<int>& inserts) {
  std::string re = "\\s*";
  std::string literal;
  auto flush = [&] {
    size_t k = 0;
    while (k < literal.size()) {
      if (is_blank(literal[k])) {
        while (k < literal.size() && is_blank(literal[k])) ++k;
        re += "\\s*";
      } else {
        const size_t start = k;
        while (k < literal.size() && !is_blank(literal[k])) ++k;
        re += RE2::QuoteMeta(re2::StringPiece(literal.data() + start, k - start));
      }
    }
    literal.clear();
  };
  for (size_t i = 0; i < tpl.size();) {
    if (tpl[i] == '%' && i + 1 < tpl.size() && tpl[i + 1] >= '1' && tpl[i + 1] <= '9') {
      size_t j = i + 1;
      int n = 0;
      while (j < tpl.size() && j - i <= 2 && tpl[j] >= '0' && tpl[j] <= '9')
        n = n * 10 + (tpl[j++] - '0');
      flush();
      re += "(.*?)";
      inserts.push_back(n);
      i = j;
      continue;
    }
    literal += tpl[i++];
  }
  flush();
  re += "\\s*";
  return re;
}

struct Template {
  std::unique_ptr<RE2> re;
  std::vector<int> inserts;  // group i → insertion number
};

struct EventEntry {
  std::string provider;            // as written in the file
  std::vector<std::string> names;  // EventData names by insertion number - 1
  std::vector<Template> templates;
};

struct Language {
  std::string culture;
  std::set<std::string, std::less<>> words;
};

uint64_t line_of(std::string_view text, size_t byte) {
  return 1 + static_cast<uint64_t>(
                 std::count(text.begin(), text.begin() + std::min(byte, text.size()), '\n'));
}

// Decodes one UTF-8 code point at s[i] (advancing i); U+FFFD for a bad byte.
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

const char* script_of(uint32_t cp) {
  if (cp >= 0x0400 && cp <= 0x052F) return "Cyrillic";
  if (cp >= 0x0370 && cp <= 0x03FF) return "Greek";
  if (cp >= 0x0590 && cp <= 0x05FF) return "Hebrew";
  if (cp >= 0x0600 && cp <= 0x06FF) return "Arabic";
  if (cp >= 0x0E00 && cp <= 0x0E7F) return "Thai";
  if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FFF)) return "CJK";
  if (cp >= 0xAC00 && cp <= 0xD7AF) return "Hangul";
  return nullptr;
}

}  // namespace

std::string Problem::text() const {
  return line ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
}

struct Catalog::Impl {
  std::vector<Problem> problems;
  std::vector<Example> examples;
  // (provider key, id) → entries; several files may add variants.
  std::map<std::pair<std::string, uint32_t>, std::vector<const EventEntry*>> by_event;
  std::map<uint32_t, std::vector<const EventEntry*>> by_id;
  std::vector<std::unique_ptr<EventEntry>> entries;
  std::vector<Language> languages;
  size_t templates = 0;

  void problem(const std::string& file, uint64_t line, std::string message) {
    problems.push_back({file, line, std::move(message)});
  }

  void load_languages(const json& doc, const std::string& name) {
    const auto it = doc.find("languages");
    if (it == doc.end() || !it->is_array())
      return problem(name, 0, "\"languages\" must be an array");
    for (const auto& l : *it) {
      if (!l.is_object() || !l.contains("culture") || !l["culture"].is_string() ||
          !l.contains("words") || !l["words"].is_array()) {
        problem(name, 0, "each language needs \"culture\" and \"words\"");
        continue;
      }
      Language lang{l["culture"].get<std::string>(), {}};
      for (const auto& w : l["words"])
        if (w.is_string()) lang.words.insert(text::to_lower(w.get<std::string>()));
      languages.push_back(std::move(lang));
    }
  }

  void load_provider(const json& doc, const std::string& name) {
    if (!doc.contains("provider") || !doc["provider"].is_string())
      return problem(name, 0, "\"provider\" (string) is missing");
    const std::string provider = doc["provider"].get<std::string>();
    const auto events = doc.find("events");
    if (events == doc.end() || !events->is_array())
      return problem(name, 0, "\"events\" must be an array");
    for (size_t n = 0; n < events->size(); ++n) {
      const json& ev = (*events)[n];
      const std::string where = "events[" + std::to_string(n) + "]";
      if (!ev.is_object() || !ev.contains("ids") || !ev["ids"].is_array() ||
          !ev.contains("names") || !ev["names"].is_array() || !ev.contains("templates") ||
          !ev["templates"].is_array()) {
        problem(name, 0, where + ": needs \"ids\", \"names\" and \"templates\" arrays");
        continue;
      }
      auto entry = std::make_unique<EventEntry>();
      entry->provider = provider;
      for (const auto& nm : ev["names"])
        entry->names.push_back(nm.is_string() ? nm.get<std::string>() : "");
      for (const auto& t : ev["templates"]) {
        if (!t.is_string()) {
          problem(name, 0, where + ": a template is not a string");
          continue;
        }
        Template tpl;
        RE2::Options opt;
        opt.set_dot_nl(true);
        opt.set_log_errors(false);
        tpl.re = std::make_unique<RE2>(to_pattern(t.get<std::string>(), tpl.inserts), opt);
        if (!tpl.re->ok()) {
          problem(name, 0, where + ": template does not compile: " + tpl.re->error());
          continue;
        }
        entry->templates.push_back(std::move(tpl));
        ++templates;
      }
      std::vector<uint32_t> ids;
      for (const auto& id : ev["ids"])
        if (id.is_number_unsigned()) ids.push_back(id.get<uint32_t>());
      if (ids.empty()) problem(name, 0, where + ": no event id");
      for (uint32_t id : ids) {
        by_event[{provider_key(provider), id}].push_back(entry.get());
        by_id[id].push_back(entry.get());
      }
      if (const auto ex = ev.find("examples"); ex != ev.end() && ex->is_array()) {
        for (const auto& e : *ex) {
          if (!e.is_object() || !e.contains("text") || !e["text"].is_string()) continue;
          Example example{name,
                          provider,
                          e.value("id", ids.empty() ? 0u : ids[0]),
                          e["text"].get<std::string>(),
                          {}};
          if (const auto f = e.find("fields"); f != e.end() && f->is_object())
            for (const auto& [k, v] : f->items())
              if (v.is_string()) example.fields.push_back({k, v.get<std::string>()});
          examples.push_back(std::move(example));
        }
      }
      entries.push_back(std::move(entry));
    }
  }

  static bool match(const EventEntry& e, std::string_view message,
                    std::vector<eventlog::DataItem>& out) {
    for (const Template& t : e.templates) {
      const int groups = t.re->NumberOfCapturingGroups();
      std::vector<re2::StringPiece> caps(static_cast<size_t>(groups) + 1);
      if (!t.re->Match(re2::StringPiece(message.data(), message.size()), 0, message.size(),
                       RE2::ANCHOR_BOTH, caps.data(), groups + 1))
        continue;
      // Values in insertion order (the order of the EventData), named.
      std::vector<std::pair<int, std::string_view>> values;
      for (size_t g = 1; g < caps.size(); ++g)
        values.emplace_back(t.inserts[g - 1], std::string_view(caps[g].data(), caps[g].size()));
      std::stable_sort(values.begin(), values.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      out.clear();
      int last = 0;
      for (const auto& [n, v] : values) {
        if (n == last) continue;  // an insertion used twice: keep the first
        last = n;
        if (n < 1 || static_cast<size_t>(n) > e.names.size() || e.names[n - 1].empty()) continue;
        out.push_back({e.names[n - 1], std::string(text::trim(v))});
      }
      return true;
    }
    return false;
  }
};

Catalog::Catalog() : impl_(std::make_unique<Impl>()) {}
Catalog::~Catalog() = default;
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;

void Catalog::load_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".json") files.push_back(it->path());
  if (ec || files.empty()) {
    impl_->problem(dir.string(), 0, "no message templates here");
    return;
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    load_text(ss.str(), f.string());
  }
}

void Catalog::load_text(std::string_view json_text, const std::string& name) {
  json doc;
  try {
    doc = json::parse(json_text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    impl_->problem(name, line_of(json_text, e.byte ? e.byte - 1 : 0), "not valid JSON");
    return;
  }
  if (!doc.is_object()) return impl_->problem(name, 1, "expected a JSON object");
  if (doc.contains("languages"))
    impl_->load_languages(doc, name);
  else
    impl_->load_provider(doc, name);
}

const std::vector<Problem>& Catalog::problems() const { return impl_->problems; }
const std::vector<Example>& Catalog::examples() const { return impl_->examples; }
size_t Catalog::template_count() const { return impl_->templates; }

Recovery Catalog::recover(std::string_view provider, uint32_t event_id,
                          std::string_view message) const {
  Recovery r;
  const std::vector<const EventEntry*>* candidates = nullptr;
  if (text::trim(provider).empty()) {
    auto it = impl_->by_id.find(event_id);
    if (it != impl_->by_id.end()) candidates = &it->second;
  } else {
    auto it = impl_->by_event.find({provider_key(provider), event_id});
    if (it != impl_->by_event.end()) candidates = &it->second;
  }
  if (!candidates) return r;  // kNoTemplate
  for (const EventEntry* e : *candidates)
    if (Impl::match(*e, message, r.data)) {
      r.outcome = Outcome::kRecovered;
      r.provider = e->provider;
      return r;
    }
  r.language = language_of(message);
  r.outcome = r.language.empty() ? Outcome::kNoMatch : Outcome::kOtherLanguage;
  return r;
}

std::string Catalog::language_of(std::string_view message) const {
  // Letters by script, and the words of the message (lower case, ASCII folded).
  std::map<std::string, size_t> scripts;
  size_t latin = 0;
  std::set<std::string, std::less<>> words;
  std::string word;
  for (size_t i = 0; i < message.size();) {
    const uint32_t cp = next_code_point(message, i);
    const bool ascii_letter = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    const bool latin_letter =
        ascii_letter || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
    const char* script = script_of(cp);
    if (latin_letter) ++latin;
    if (script) ++scripts[script];
    if (latin_letter || script) {
      if (ascii_letter)
        word += static_cast<char>(cp | 0x20);
      else
        text::append_utf8(word, cp);
    } else if (!word.empty()) {
      words.insert(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.insert(word);
  for (const auto& [name, count] : scripts)
    if (count > latin) return name + " script";
  size_t english = 0, best = 0;
  std::string best_culture;
  for (const Language& l : impl_->languages) {
    size_t hits = 0;
    for (const auto& w : words) hits += l.words.count(w);
    if (text::istarts_with(l.culture, "en"))
      english = std::max(english, hits);
    else if (hits > best) {
      best = hits;
      best_culture = l.culture;
    }
  }
  return best >= 2 && best > english ? best_culture : std::string();
}

std::filesystem::path source_messages_dir() { return HT_MESSAGES_SOURCE_DIR; }

}  // namespace hellotrace::eventmessage
