// The klist plugin: reads the output of Windows' `klist` (the cached Kerberos tickets of a
// logon session, `klist > klist.txt` or `klist tickets`) into one `kerberos.ticket` event
// per ticket. After a Windows Hello for Business key-trust sign-in, the TGT
// (krbtgt/REALM) and the KDC that issued it ("Kdc Called") show that the on-premises
// sign-in worked. Format: "klist" in Windows Commands,
// https://learn.microsoft.com/windows-server/administration/windows-commands/klist
//
//   Current LogonId is 0:0x4ad34e
//   Cached Tickets: (3)
//   #0>  Client: dana.ruiz @ CORP.CONTOSO.COM
//        Server: krbtgt/CORP.CONTOSO.COM @ CORP.CONTOSO.COM
//        KerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96
//        Ticket Flags 0x40e10000 -> forwardable renewable initial pre_authent name_canonicalize
//        Start Time: 11/14/2024 14:02:11 (local)
//        ...
//        Kdc Called: DC01.corp.contoso.com
//
// klist prints local time in the culture's short date: the run's --timezone says the zone,
// --date-order (or a day above 12) the order of day and month (month first by default, as
// en-US). UTF-8 or UTF-16LE (what PowerShell 5.1's `>` writes), CRLF or LF.
//
// Built only with the installed SDK (find_package(hellotrace)): the plugin's own code uses
// nothing from the hellotrace source tree.
#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/time.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using hellotrace::Event;
using hellotrace::Position;

// UTF-16LE with a BOM becomes UTF-8; anything else is taken as UTF-8 (a UTF-8 BOM dropped).
std::string utf8_text(std::span<const uint8_t> data) {
  if (data.size() >= 2 && data[0] == 0xFF && data[1] == 0xFE) {
    std::string out;
    for (size_t i = 2; i + 1 < data.size(); i += 2) {
      uint32_t c = data[i] | (data[i + 1] << 8);
      if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // klist prints no surrogate pairs
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    return out;
  }
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  return std::string(s);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "Name: value" (klist pads some names: "End Time:   …"); "Ticket Flags 0x… -> …" has no colon.
std::optional<std::pair<std::string, std::string>> name_value(std::string_view line) {
  line = trim(line);
  if (line.starts_with("Ticket Flags "))
    return std::pair{std::string("Ticket Flags"), std::string(trim(line.substr(13)))};
  const size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  return std::pair{std::string(trim(line.substr(0, colon))),
                   std::string(trim(line.substr(colon + 2)))};
}

// Field names as events carry them: the words of klist's label without blanks.
std::string field_name(std::string_view label) {
  if (label == "KerbTicket Encryption Type") return "EncryptionType";
  std::string out;
  for (char c : label)
    if (c != ' ') out += c;
  return out;
}

struct TimeOptions {
  int64_t offset = 0;       // --timezone, in ticks
  bool day_first = false;   // --date-order dmy
  bool year_first = false;  // --date-order ymd
};

TimeOptions time_options(const nlohmann::json& options) {
  TimeOptions t;
  if (options.contains("timezone") && options["timezone"].is_string())
    t.offset = hellotrace::time::parse_offset(options["timezone"].get<std::string>()).value_or(0);
  const std::string order = options.value("date_order", "");
  t.day_first = order == "dmy";
  t.year_first = order == "ymd";
  return t;
}

// "11/14/2024 14:02:11 (local)", also "14.11.2024 14:02:11" and "2024-11-14 14:02:11":
// three numbers, then hours, minutes, seconds. A part above 12 settles day and month.
std::optional<int64_t> parse_local_time(std::string_view s, const TimeOptions& t) {
  std::vector<unsigned> n;
  unsigned v = 0;
  bool in_number = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      if (v > 9999) return std::nullopt;  // no part of a date or time has five digits
      in_number = true;
    } else {
      if (in_number) n.push_back(v);
      v = 0;
      in_number = false;
      if (c == '(') break;  // "(local)"
    }
  }
  if (in_number) n.push_back(v);
  if (n.size() != 6) return std::nullopt;
  unsigned y, mo, d;
  if (t.year_first || n[0] > 31) {
    y = n[0], mo = n[1], d = n[2];
  } else {
    y = n[2];
    const bool day_first = n[0] > 12 ? true : n[1] > 12 ? false : t.day_first;
    d = day_first ? n[0] : n[1];
    mo = day_first ? n[1] : n[0];
  }
  // Years of Windows' clock (FILETIME starts in 1601): a wild year is no date.
  if (y < 1601 || y > 9999 || !hellotrace::time::valid_civil(y, mo, d, n[3], n[4], n[5]))
    return std::nullopt;
  return hellotrace::time::ticks_from_civil(y, mo, d, n[3], n[4], n[5]) - t.offset;
}

class KlistPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit KlistPlugin(const nlohmann::json& /*config*/) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view /*name*/) const override {
    const std::string text = utf8_text(prefix);
    const bool cached = text.find("Cached Tickets: (") != std::string::npos;
    const bool logon = text.find("Current LogonId is ") != std::string::npos;
    return cached && logon ? 90 : cached ? 70 : 0;
  }

  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    const std::string text = utf8_text(source.data);
    const TimeOptions times = time_options(source.options);
    std::string logon_id;
    std::optional<uint64_t> announced;  // "Cached Tickets: (N)"
    std::optional<Event> ticket;
    uint64_t tickets = 0;
    auto finish = [&] {
      if (!ticket) return;
      if (!ticket->field("Server"))
        out.warning(ticket->origin, "ticket without a Server line: not read");
      else {
        out.emit(*ticket);
        ++tickets;
      }
      ticket.reset();
    };
    uint64_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t end = std::min(text.find('\n', pos), text.size());
      const std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
      pos = end + 1;
      ++line_no;
      const Position at{line_no, HT_NO_NUMBER, HT_NO_NUMBER};
      if (line.starts_with("Current LogonId is ")) {
        logon_id = std::string(trim(line.substr(19)));
      } else if (line.starts_with("Cached Tickets: (")) {
        announced = std::strtoull(std::string(line.substr(17)).c_str(), nullptr, 10);
      } else if (line.starts_with("#") && line.find('>') != std::string_view::npos) {
        // "#0>	Client: …": a new ticket; its first field follows on the same line.
        finish();
        ticket.emplace();
        ticket->kind = "kerberos.ticket";
        ticket->origin = at;
        ticket->add("Index", std::string(line.substr(1, line.find('>') - 1)));
        if (!logon_id.empty()) ticket->add("LogonId", logon_id);
        if (const auto nv = name_value(line.substr(line.find('>') + 1)))
          ticket->add(field_name(nv->first), nv->second);
      } else if (ticket && !line.empty()) {
        const auto nv = name_value(line);
        if (!nv) {
          out.warning(at, "not a klist ticket line: ignored");
          continue;
        }
        if (nv->first == "Start Time") {
          const auto t = parse_local_time(nv->second, times);
          if (t) {
            ticket->time = *t;
            ticket->time_flags = HT_TIME_ZONE_ASSUMED;  // klist prints local time
          } else {
            out.warning(at, "Start Time '" + nv->second + "' is not a date and time");
          }
        }
        ticket->add(field_name(nv->first), nv->second);
      }
    }
    finish();
    if (announced && *announced != tickets)
      out.warning({line_no, HT_NO_NUMBER, HT_NO_NUMBER},
                  "klist announced " + std::to_string(*announced) + " ticket(s), " +
                      std::to_string(tickets) + " read (a cut export?)");
    if (!announced && tickets == 0) out.error({}, "no klist ticket list found");
  }
};

}  // namespace

HT_DEFINE_PLUGIN(klist, KlistPlugin,
                 ({"klist",
                   "1.0.0",
                   "Reads Windows klist output (cached Kerberos tickets)",
                   HT_CAP_PARSE,
                   {"klist-tickets"},
                   {"kerberos.ticket"}}))
