// dsregcmd_bench [HELLOTRACE_EXE] [--files N] [--keep]
//
// Generates N (default 10,000) dsregcmd /status outputs in a temporary folder, varied from
// plugins/dsregcmd/samples (every GUID, device name and account changed per file), then
//  (a) runs the dsregcmd plugin in-process on every file (read + sniff + parse, as the host
//      does) and, as the reference measured in the same run, reads + decodes + splits the
//      same files into lines; prints files/s, MB/s, the ratio and peak RSS;
//  (b) when the path of the `hellotrace` executable is given, runs
//      `hellotrace events <folder>` with stdout to /dev/null and prints the same figures
//      (peak RSS of the child).
#include <fcntl.h>
#include <hellotrace/plugin_api.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <hellotrace/text/text.hpp>
#include <iterator>
#include <string>
#include <vector>

extern "C" const ht_plugin* ht_plugin_dsregcmd(void);
extern char** environ;

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Rewrites the first 8 hex digits of every GUID with a per-file value (case kept), and the
// host/account names, so that no two files describe the same device or user.
std::string vary(std::string text, unsigned index) {
  char id[9];
  std::snprintf(id, sizeof id, "%08x", index * 2654435761u);
  for (size_t i = 0; i + 36 <= text.size(); ++i) {
    bool guid = true;
    for (size_t k = 0; k < 36 && guid; ++k) {
      const char c = text[i + k];
      guid = (k == 8 || k == 13 || k == 18 || k == 23) ? c == '-' : is_hex(c);
    }
    if (!guid || (i > 0 && is_hex(text[i - 1]))) continue;
    const bool upper = text[i] >= 'A' && text[i] <= 'F';
    for (size_t k = 0; k < 8; ++k)
      text[i + k] =
          upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(id[k]))) : id[k];
    i += 35;
  }
  const std::string device = "PC-" + std::to_string(10000 + index % 90000);
  for (const char* from : {"PC-0142", "PC-0077", "PC-0311", "PC-0207", "PC-0150", "PC-0151",
                           "VM-0152", "PC-0153", "PC-0160", "PC-0188", "PC-0099"}) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
      text.replace(at, std::strlen(from), device);
  }
  const std::string user = "u" + std::to_string(index);
  for (const char* from :
       {"jdoe", "mlopez", "kchen", "rpatel", "ssato", "tnguyen", "bwhite", "lschmidt", "dkim"}) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
      text.replace(at, std::strlen(from), user);
  }
  return text;
}

std::string to_utf16le_crlf(const std::string& utf8) {
  // The samples are ASCII apart from a few Latin-1 letters (two-byte UTF-8).
  std::string out = "\xFF\xFE";
  for (size_t i = 0; i < utf8.size(); ++i) {
    uint32_t cp = static_cast<uint8_t>(utf8[i]);
    if (cp >= 0xC0 && cp < 0xE0 && i + 1 < utf8.size())
      cp = ((cp & 0x1F) << 6) | (static_cast<uint8_t>(utf8[++i]) & 0x3F);
    if (cp == '\n' && (i == 0 || utf8[i - 1] != '\r')) out.append("\r\0", 2);
    out.push_back(static_cast<char>(cp & 0xFF));
    out.push_back(static_cast<char>(cp >> 8));
  }
  return out;
}

long peak_rss_kib(int who) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_maxrss;
}

struct Counter {
  size_t events = 0, diagnostics = 0;
};
int on_event(void* c, const ht_event*) {
  ++static_cast<Counter*>(c)->events;
  return 0;
}
void on_diagnostic(void* c, const ht_diagnostic*) { ++static_cast<Counter*>(c)->diagnostics; }

void report(const char* what, size_t files, double bytes, double seconds) {
  std::printf("%-34s %8zu files %8.3f s %10.0f files/s %8.1f MB/s\n", what, files, seconds,
              files / seconds, bytes / 1e6 / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string exe;
  size_t n = 10000;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--files" && i + 1 < argc) {
      n = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [HELLOTRACE_EXE] [--files N] [--keep]\n", argv[0]);
      return 0;
    } else {
      exe = a;
    }
  }
  if (n == 0) n = 1;

  std::vector<std::string> templates;
  for (const auto& e : fs::directory_iterator(HT_DSREGCMD_SAMPLES)) {
    if (!e.is_regular_file() || e.path().filename().string().front() == '.') continue;
    std::string bytes = read_file(e.path());
    if (hellotrace::text::detect_encoding(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) ==
        hellotrace::text::Encoding::kUtf16Le)
      continue;  // UTF-16 files are made from the UTF-8 templates below
    templates.push_back(std::move(bytes));
  }
  if (templates.empty()) {
    std::fprintf(stderr, "no samples in %s\n", HT_DSREGCMD_SAMPLES);
    return 2;
  }

  char dir_template[] = "/tmp/dsregcmd-bench-XXXXXX";
  if (!mkdtemp(dir_template)) {
    std::perror("mkdtemp");
    return 2;
  }
  const fs::path dir = dir_template;
  std::vector<fs::path> files;
  files.reserve(n);
  double total_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string text = vary(templates[i % templates.size()], static_cast<unsigned>(i));
    if (i % 10 == 3) text = to_utf16le_crlf(text);  // a tenth as PowerShell 5.1 writes them
    const fs::path p = dir / ("dsregcmd_" + std::to_string(i) + ".txt");
    std::ofstream(p, std::ios::binary)
        .write(text.data(), static_cast<std::streamsize>(text.size()));
    total_bytes += static_cast<double>(text.size());
    files.push_back(p);
  }
  std::printf("generated %zu files (%.1f MB) in %s from %zu templates\n", n, total_bytes / 1e6,
              dir.c_str(), templates.size());

  // Reference: read + decode + split into lines.
  size_t lines = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& p : files) {
    const std::string bytes = read_file(p);
    const std::string text = hellotrace::text::decode(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    hellotrace::text::Lines it(text);
    while (it.next()) ++lines;
  }
  const double reference_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // The plugin, in-process.
  const ht_plugin* plugin = ht_plugin_dsregcmd();
  void* instance = plugin->init(ht_str{"{}", 2}, nullptr, nullptr);
  Counter counter;
  ht_event_sink sink{&counter, &on_event, &on_diagnostic};
  size_t claimed = 0;
  t0 = std::chrono::steady_clock::now();
  for (const auto& p : files) {
    const std::string bytes = read_file(p);
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    const std::string name = p.filename().string();
    const size_t prefix = bytes.size() < HT_SNIFF_PREFIX_SIZE ? bytes.size() : HT_SNIFF_PREFIX_SIZE;
    if (plugin->sniff(instance, data, prefix, ht_str{name.data(), name.size()}) >= 50) ++claimed;
    ht_source src{};
    src.struct_size = sizeof src;
    src.path = ht_str{p.c_str(), std::strlen(p.c_str())};
    src.data = data;
    src.size = bytes.size();
    src.options_json = ht_str{"{}", 2};
    plugin->parse(instance, &src, &sink);
  }
  const double plugin_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  plugin->destroy(instance);

  report("reference (read+decode+split)", n, total_bytes, reference_s);
  report("dsregcmd plugin (read+sniff+parse)", n, total_bytes, plugin_s);
  std::printf(
      "plugin/reference time ratio: %.2f   claimed %zu/%zu   events %zu (%.1f/file)   "
      "diagnostics %zu   lines %zu\n",
      plugin_s / reference_s, claimed, n, counter.events, static_cast<double>(counter.events) / n,
      counter.diagnostics, lines);
  std::printf("peak RSS (this process): %ld KiB\n", peak_rss_kib(RUSAGE_SELF));

  int rc = 0;
  if (!exe.empty()) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);  // its warnings
    const std::string dir_s = dir.string();
    char* args[] = {const_cast<char*>(exe.c_str()), const_cast<char*>("events"),
                    const_cast<char*>(dir_s.c_str()), nullptr};
    pid_t pid = 0;
    t0 = std::chrono::steady_clock::now();
    if (posix_spawn(&pid, exe.c_str(), &actions, nullptr, args, environ) != 0) {
      std::perror("posix_spawn");
      rc = 2;
    } else {
      int status = 0;
      rusage usage{};
      wait4(pid, &status, 0, &usage);
      const double host_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      report("hellotrace events (whole command)", n, total_bytes, host_s);
      std::printf("hellotrace exit status %d, peak RSS (child): %ld KiB, host/plugin ratio %.2f\n",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1, usage.ru_maxrss, host_s / plugin_s);
    }
    posix_spawn_file_actions_destroy(&actions);
  } else {
    std::printf("(no hellotrace executable given: host run skipped)\n");
  }

  if (!keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return rc;
}
