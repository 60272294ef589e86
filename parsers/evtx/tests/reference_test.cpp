// Differential test: every .evtx file of the shared corpus, read by ht_evtx, against
// the two Debian reference parsers, `evtxexport -f xml` (libevtx 20181227) and
// `evtx_dump.py` (python-evtx 0.6.1).
//
// For every record a reference wrote (with a usable EventRecordID) the reader must
// yield a record with that id, and for each such pair the System fields (event id,
// qualifiers, version, level, task, opcode, keywords, provider name/guid/source,
// channel, computer, user SID, activity ids, process/thread ids, time) and the ordered
// EventData/UserData name→value list must agree, after normalizing the documented
// formatting differences (REFERENCE.md):
//  * GUIDs and booleans compare case-insensitively; hex integers by value (evtxexport
//    writes 0x%08x lower case, we write 0x%08X as the brief asks);
//  * times: evtxexport exact to 100 ns; python-evtx rounds through a float to µs
//    (allowed ±3 µs) or drops the fraction (allowed < 1 s); FILETIME/SYSTEMTIME
//    values inside EventData likewise;
//  * binary: evtxexport hex, python-evtx base64;
//  * string arrays: python-evtx nests <string> children in one <Data>, evtxexport
//    and we write one item per string;
//  * empty values: evtxexport omits empty Data/Binary elements, python-evtx writes
//    them, so empty items are dropped on all sides before comparing;
//  * floats compare by value (evtxexport writes 3.199234e+003);
//  * whitespace: values are compared with CR removed and outer whitespace trimmed
//    (the XML writers re-indent nothing, but XML parsing normalizes line ends).
// Known reference bugs, checked for the right value instead:
//  * evtxexport renders negative Int32 values in sign-magnitude (-2147483468 for
//    0xFFFFFF4C); we must yield the two's complement value (-180), i.e. the reference
//    must equal -(our value & 0x7FFFFFFF) as an unsigned 32-bit pattern.
//  * evtxexport writes some Data values unescaped (LiveId SOAP envelopes), so those
//    events are not well-formed XML: their ids are still checked (found by text
//    search), their fields are compared against python-evtx only (counted, printed).
//  * python-evtx renders half-written records as garbage (EventRecordID 0, empty
//    Provider): references' events without a positive EventRecordID are not required.
// The reference outputs are cached in $HELLOTRACE_REFERENCE_CACHE (default
// ${HT_BINARY_DIR}/reference-cache), keyed by file name, size and mtime.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/time.hpp>
#include <iterator>
#include <map>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using hellotrace::eventlog::Record;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool on_path(const char* tool) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && ::access((fs::path(dir) / tool).c_str(), X_OK) == 0) return true;
  return false;
}

fs::path cache_dir() {
  const char* env = std::getenv("HELLOTRACE_REFERENCE_CACHE");
  return env && *env ? fs::path(env) : fs::path(HT_BINARY_DIR) / "reference-cache";
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// The cached output of `tool` on `file`, produced now if missing. Safe to call from
// several threads for different (file, tool) pairs: each writes its own file.
fs::path reference_file(const fs::path& file, const std::string& tool) {
  struct stat st {};
  ::stat(file.c_str(), &st);
  fs::create_directories(cache_dir());
  const std::string key = file.filename().string() + "." + std::to_string(st.st_size) + "." +
                          std::to_string(static_cast<long long>(st.st_mtime));
  const fs::path out = cache_dir() / (key + "." + tool + ".xml");
  if (!fs::exists(out)) {
    const std::string cmd = (tool == "evtxexport" ? "evtxexport -f xml " : "evtx_dump.py ") +
                            shell_quote(file.string()) + " > " +
                            shell_quote(out.string() + ".tmp") + " 2>/dev/null";
    (void)std::system(cmd.c_str());  // a non-zero exit still leaves the events written
    fs::rename(out.string() + ".tmp", out);
  }
  return out;
}

std::string reference_output(const fs::path& file, const std::string& tool) {
  return read_file(reference_file(file, tool));
}

// Produces the missing reference outputs one process per core, slowest first:
// evtx_dump.py takes minutes on the corpus, and CI has two cores to wait with.
void prefetch_references(const std::vector<fs::path>& files) {
  fs::create_directories(cache_dir());  // before the workers, which all write there
  std::vector<fs::path> by_size = files;
  std::sort(by_size.begin(), by_size.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) > fs::file_size(b);
  });
  std::vector<std::pair<fs::path, std::string>> jobs;
  for (const char* tool : {"evtx_dump.py", "evtxexport"})
    for (const auto& f : by_size) jobs.emplace_back(f, tool);
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i)
    workers.emplace_back([&] {
      for (size_t j; (j = next++) < jobs.size();) reference_file(jobs[j].first, jobs[j].second);
    });
  for (auto& w : workers) w.join();
}

std::string trim(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Item {
  std::string name, value;
};

struct RefEvent {
  bool parsed = false;
  uint64_t id = 0;
  std::map<std::string, std::string> sys;  // "EventID", "Provider@Name", ...
  std::vector<Item> data;
  bool user_data = false;
  bool string_array = false;  // python-evtx: a value rendered as <string> lines
};

// Adds one item, or for python-evtx's rendering of a string array (escaped
// "<string>a</string>" lines) one item per string.
void push_value(const std::string& name, const std::string& text, bool python,
                std::vector<Item>& out, bool& array) {
  if (python && text.find("<string>") != std::string::npos) {
    array = true;
    size_t at = 0;
    while ((at = text.find("<string>", at)) != std::string::npos) {
      const size_t e = text.find("</string>", at);
      if (e == std::string::npos) break;
      out.push_back({name, text.substr(at + 8, e - at - 8)});
      at = e + 9;
    }
  } else {
    out.push_back({name, text});
  }
}

void user_data_items(const pugi::xml_node& n, const std::string& prefix, bool python,
                     std::vector<Item>& out, bool& array) {
  for (auto c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    bool has_elements = false;
    for (auto g = c.first_child(); g; g = g.next_sibling())
      if (g.type() == pugi::node_element) has_elements = true;
    if (has_elements) {
      user_data_items(c, prefix + c.name() + "/", python, out, array);
    } else {
      push_value(prefix + c.name(), c.text().get(), python, out, array);
    }
  }
}

// Parses one <Event>…</Event> text.
RefEvent parse_event(const std::string& text, bool python) {
  RefEvent ev;
  const auto p = text.find("<EventRecordID>");
  if (p != std::string::npos) ev.id = std::strtoull(text.c_str() + p + 15, nullptr, 10);
  pugi::xml_document doc;
  if (!doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata))
    return ev;
  const pugi::xml_node event = doc.child("Event");
  if (!event) return ev;
  ev.parsed = true;
  const pugi::xml_node sys = event.child("System");
  for (auto c = sys.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string name = c.name();
    if (c.text()) ev.sys[name] = c.text().get();
    for (auto a = c.first_attribute(); a; a = a.next_attribute())
      ev.sys[name + "@" + a.name()] = a.value();
  }
  if (auto ed = event.child("EventData")) {
    for (auto c = ed.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string cname = c.name();
      const std::string name = cname == "Data" ? c.attribute("Name").value() : cname;
      if (!python && c.first_child().type() == pugi::node_element) {
        // evtxexport wrote the value's markup unescaped (LiveId SOAP envelopes): the
        // event is not the record's content; only its id is checked.
        ev.parsed = false;
        return ev;
      }
      push_value(name, c.text().get(), python, ev.data, ev.string_array);
    }
  } else if (auto ud = event.child("UserData")) {
    ev.user_data = true;
    pugi::xml_node provider;
    for (auto c = ud.first_child(); c; c = c.next_sibling())
      if (c.type() == pugi::node_element) {
        provider = c;
        break;
      }
    if (provider) {
      bool has_elements = false;
      for (auto g = provider.first_child(); g; g = g.next_sibling())
        if (g.type() == pugi::node_element) has_elements = true;
      if (has_elements) {
        user_data_items(provider, "", python, ev.data, ev.string_array);
      } else {
        push_value(provider.name(), provider.text().get(), python, ev.data, ev.string_array);
      }
    }
  }
  return ev;
}

std::vector<RefEvent> parse_output(const std::string& text, bool python) {
  std::vector<RefEvent> out;
  size_t pos = 0;
  const std::string open = "<Event ";
  while (true) {
    const size_t b = text.find(open, pos);
    if (b == std::string::npos) break;
    size_t e = text.find("</Event>", b);
    if (e == std::string::npos) break;  // cut short by a crash of the tool
    e += 8;
    out.push_back(parse_event(text.substr(b, e - b), python));
    pos = e;
  }
  return out;
}

std::optional<int64_t> parse_time(std::string s, int* digits = nullptr) {
  s = trim(s);
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  const auto dot = s.find('.');
  if (digits) {
    *digits = 0;
    if (dot != std::string::npos)
      while (dot + 1 + *digits < s.size() &&
             std::isdigit(static_cast<unsigned char>(s[dot + 1 + *digits])))
        ++*digits;
  }
  // parse_iso keeps 7 fraction digits; evtxexport writes 9 (…500Z).
  return hellotrace::time::parse_iso(s);
}

bool is_hex(const std::string& s) {
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  return std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string base64_to_hex(const std::string& b64) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    const auto k = chars.find(c);
    if (k == std::string::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(k);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

struct Tally {
  uint64_t compared = 0, neg_int_fixed = 0, time_rounded = 0;
};

// Does our value `mine` render the same data as the reference's `ref`?
std::string drop_controls(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](char c) {
                           return static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n';
                         }),
          s.end());
  return s;
}

bool value_matches(const std::string& mine_raw, const std::string& ref_raw, bool python, Tally& t) {
  const std::string mine = trim(mine_raw), ref = trim(ref_raw);
  if (mine == ref) return true;
  // python-evtx drops C0 control characters (XML 1.1 output); evtxexport keeps them.
  if (python && drop_controls(mine) == ref) return true;
  if (lower(mine) == lower(ref)) return true;  // GUID, bool case
  if (is_hex(mine) && is_hex(ref))
    return std::strtoull(mine.c_str() + 2, nullptr, 16) ==
           std::strtoull(ref.c_str() + 2, nullptr, 16);
  int dm = 0, dr = 0;
  auto tm = parse_time(mine, &dm);
  auto tr = parse_time(ref, &dr);
  if (tm && tr && mine.size() >= 19 && ref.size() >= 19) {
    const int64_t diff = std::llabs(*tm - *tr);
    if (diff == 0) return true;
    if (python && dr == 6 && diff <= 30) {  // float rounding to µs
      ++t.time_rounded;
      return true;
    }
    if (python && dr == 0 && diff < hellotrace::time::kTicksPerSecond) return true;
    if (!python && dr <= 3 && diff < 10000) return true;  // SYSTEMTIME written in ms
    return false;
  }
  if (python && base64_to_hex(ref) == mine && !mine.empty()) return true;  // binary
  if (!python && !mine.empty() && mine[0] == '-' && !ref.empty() && ref[0] == '-') {
    // evtxexport sign-magnitude bug: ref = -(bits & 0x7FFFFFFF).
    const long long m = std::strtoll(mine.c_str(), nullptr, 10);
    const long long r = std::strtoll(ref.c_str(), nullptr, 10);
    if (m >= INT32_MIN && -r == (static_cast<uint32_t>(m) & 0x7FFFFFFFu)) {
      ++t.neg_int_fixed;
      return true;
    }
  }
  if (is_number(mine) && is_number(ref)) {
    const double a = std::strtod(mine.c_str(), nullptr), b = std::strtod(ref.c_str(), nullptr);
    if (std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b))) return true;
  }
  return false;
}

std::vector<Item> non_empty(const std::vector<Item>& in) {
  std::vector<Item> out;
  for (const auto& i : in)
    if (!trim(i.value).empty()) out.push_back(i);
  return out;
}

// Compares one reference event with our record; returns "" or a description.
std::string compare(const RefEvent& ref, const Record& r, bool python, Tally& t,
                    bool* data_only = nullptr) {
  std::ostringstream why;
  auto sys = [&](const std::string& k) -> const std::string* {
    auto it = ref.sys.find(k);
    return it == ref.sys.end() ? nullptr : &it->second;
  };
  auto check_num = [&](const char* k, uint64_t mine) {
    if (const std::string* v = sys(k); v && !trim(*v).empty()) {
      const std::string s = trim(*v);
      const uint64_t want = is_hex(s) ? std::strtoull(s.c_str() + 2, nullptr, 16)
                                      : std::strtoull(s.c_str(), nullptr, 10);
      if (want != mine) why << k << ": ref " << s << " mine " << mine << "; ";
    }
  };
  auto check_str = [&](const char* k, const std::string& mine) {
    const std::string* v = sys(k);
    const std::string want = v ? trim(*v) : std::string();
    if (lower(want) != lower(trim(mine)))
      why << k << ": ref '" << want << "' mine '" << mine << "'; ";
  };
  check_num("EventID", r.event_id);
  if (const std::string* q = sys("EventID@Qualifiers"); q && !q->empty())
    check_num("EventID@Qualifiers", r.qualifiers.value_or(0xFFFFFFFF));
  check_num("Version", r.version);
  check_num("Level", r.level);
  check_num("Task", r.task);
  check_num("Opcode", r.opcode);
  check_num("Keywords", r.keywords);
  check_num("EventRecordID", r.record_id);
  if (const std::string* v = sys("Execution@ProcessID"); v && !v->empty())
    check_num("Execution@ProcessID", r.process_id.value_or(~0ull));
  if (const std::string* v = sys("Execution@ThreadID"); v && !v->empty())
    check_num("Execution@ThreadID", r.thread_id.value_or(~0ull));
  check_str("Provider@Name", r.provider);
  check_str("Provider@Guid", r.provider_guid);
  check_str("Provider@EventSourceName", r.event_source_name);
  check_str("Channel", r.channel);
  check_str("Computer", r.computer);
  check_str("Security@UserID", r.user_sid);
  check_str("Correlation@ActivityID", r.activity_id);
  check_str("Correlation@RelatedActivityID", r.related_activity_id);
  if (const std::string* tc = sys("TimeCreated@SystemTime")) {
    const std::string mine = hellotrace::time::format_iso(r.time);
    if (!value_matches(mine, *tc, python, t))
      why << "TimeCreated: ref " << *tc << " mine " << mine << "; ";
  }
  const bool system_ok = why.str().empty();
  const auto a = non_empty(ref.data);
  std::vector<Item> m;
  for (const auto& d : r.data) m.push_back({d.name, d.value});
  m = non_empty(m);
  if (a.size() != m.size()) {
    why << "data count: ref " << a.size() << " mine " << m.size() << "; ";
  } else {
    for (size_t i = 0; i < a.size(); ++i) {
      ++t.compared;
      if (a[i].name != m[i].name || !value_matches(m[i].value, a[i].value, python, t))
        why << "data[" << i << "] ref " << a[i].name << "='" << a[i].value.substr(0, 80)
            << "' mine " << m[i].name << "='" << m[i].value.substr(0, 80) << "'; ";
    }
  }
  if (data_only) *data_only = system_ok;
  return why.str();
}

TEST(EvtxReference, EveryCorpusFileAgreesWithBothReferences) {
  const fs::path dir = fs::path(HT_CORPUS_DIR) / "evtx";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "corpus not found at " << dir;
  if (!on_path("evtxexport") || !on_path("evtx_dump.py"))
    GTEST_SKIP() << "reference tools evtxexport (libevtx-utils) / evtx_dump.py (python3-evtx) "
                    "not installed";
  std::vector<fs::path> files;
  // HT_EVTX_REFERENCE_FILTER=substring restricts the run (for debugging).
  const char* filter = std::getenv("HT_EVTX_REFERENCE_FILTER");
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".evtx" &&
        (!filter || e.path().filename().string().find(filter) != std::string::npos))
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  prefetch_references(files);

  uint64_t total_mine = 0, total_ee = 0, total_py = 0, unparsable_ee = 0, pairs = 0,
           py_data_disagree = 0;
  Tally tally;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string bytes = read_file(file);
    std::multimap<uint64_t, Record> mine;
    hellotrace::evtx::read(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
        [&](const Record& r) {
          mine.emplace(r.record_id, r);
          return true;
        },
        [](const hellotrace::evtx::Problem&) {});
    total_mine += mine.size();
    std::set<uint64_t> ee_agrees;  // ids whose evtxexport rendering matched ours
    for (const bool python : {false, true}) {
      const auto events =
          parse_output(reference_output(file, python ? "evtx_dump.py" : "evtxexport"), python);
      uint64_t usable = 0, missing = 0, bad = 0;
      for (const auto& ev : events) {
        if (ev.id == 0) continue;  // garbage rendering of a half-written record
        ++usable;
        auto [lo, hi] = mine.equal_range(ev.id);
        if (lo == hi) {
          ++missing;
          ADD_FAILURE() << (python ? "evtx_dump.py" : "evtxexport") << " record " << ev.id
                        << " not yielded";
          continue;
        }
        if (!ev.parsed) {
          ++unparsable_ee;  // unescaped markup in evtxexport output: python checks fields
          continue;
        }
        std::string first_why;
        bool ok = false, data_only = false;
        for (auto it = lo; it != hi && !ok; ++it) {
          const std::string why = compare(ev, it->second, python, tally, &data_only);
          if (why.empty()) {
            ok = true;
          } else if (first_why.empty()) {
            first_why = why;
          }
        }
        ++pairs;
        if (ok && !python) ee_agrees.insert(ev.id);
        if (!ok && python && data_only && ee_agrees.count(ev.id)) {
          // python-evtx mis-renders some EventData where evtxexport agrees with us on
          // every field: it mis-splits string arrays (System 6013: "13, '', 13, 60, …"
          // where evtxexport and we read four empty strings, then 13, 60, …) and drops
          // trailing Data of omer security 4739 (DomainBehaviorVersion,
          // OemInformation). Accepted, counted and printed.
          ++py_data_disagree;
          ok = true;
        }
        if (!ok) {
          ++bad;
          if (bad <= 3)
            ADD_FAILURE() << (python ? "evtx_dump.py" : "evtxexport") << " record " << ev.id << ": "
                          << first_why;
        }
      }
      (python ? total_py : total_ee) += usable;
      if (bad || missing)
        std::printf("%s vs %s: %llu differ, %llu missing\n", file.filename().c_str(),
                    python ? "evtx_dump.py" : "evtxexport", (unsigned long long)bad,
                    (unsigned long long)missing);
      EXPECT_GE(mine.size(), usable)
          << "fewer records than " << (python ? "evtx_dump.py" : "evtxexport");
      EXPECT_EQ(bad, 0u) << "records differing from " << (python ? "evtx_dump.py" : "evtxexport");
      EXPECT_EQ(missing, 0u);
    }
  }
  std::printf(
      "corpus: %zu files; records: ht_evtx %llu, evtxexport %llu, evtx_dump.py %llu; %llu pairs "
      "compared, %llu data values; %llu evtxexport events not well-formed XML (fields checked "
      "against evtx_dump.py); %llu negative Int32 values where evtxexport is wrong; %llu times "
      "rounded by python-evtx; %llu python-evtx EventData renderings differing where "
      "evtxexport agrees with us\n",
      files.size(), (unsigned long long)total_mine, (unsigned long long)total_ee,
      (unsigned long long)total_py, (unsigned long long)pairs, (unsigned long long)tally.compared,
      (unsigned long long)unparsable_ee, (unsigned long long)tally.neg_int_fixed,
      (unsigned long long)tally.time_rounded, (unsigned long long)py_data_disagree);
  if (!filter) {  // the whole corpus holds 12 such values (tugix System, WebAuthN)
    EXPECT_GT(tally.neg_int_fixed, 0u) << "the evtxexport sign bug cases were not met";
  }
}

}  // namespace
