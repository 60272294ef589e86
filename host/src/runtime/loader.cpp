#include "runtime/loader.hpp"

#define BOOST_DLL_USE_STD_FS
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <regex>
#include <set>

namespace fs = std::filesystem;

namespace hellotrace::host {

static std::vector<std::string> string_list(const char* const* list) {
  std::vector<std::string> out;
  for (size_t i = 0; list && list[i] && i < 256; ++i) out.emplace_back(list[i]);
  return out;
}

Plugin::Plugin(const ht_plugin* table, void* instance, fs::path path, std::shared_ptr<void> library)
    : table_(table), instance_(instance), path_(std::move(path)), library_(std::move(library)) {}

Plugin::~Plugin() {
  if (table_->destroy && instance_) table_->destroy(instance_);
}

std::vector<std::string> Plugin::formats() const { return string_list(table_->formats); }
std::vector<std::string> Plugin::event_kinds() const { return string_list(table_->event_kinds); }
std::vector<std::string> Plugin::consumes() const {
  // A plugin built against ABI 1.0 has a shorter table: never read past it.
  if (table_->struct_size < offsetof(ht_plugin, consumes) + sizeof(table_->consumes)) return {};
  return string_list(table_->consumes);
}

std::string Plugin::kinds_text() const {
  std::string out;
  auto add = [&](uint32_t bit, const char* word) {
    if (!can(bit)) return;
    if (!out.empty()) out += ",";
    out += word;
  };
  add(HT_CAP_PARSE, "parser");
  add(HT_CAP_PROBE, "probe");
  add(HT_CAP_ANALYZE, "analyzer");
  add(HT_CAP_ACT, "action");
  add(HT_CAP_SPLIT, "splitter");
  return out;
}

std::string Registry::untrusted_reason(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return "cannot be examined";
  if (st.st_mode & S_IWOTH) return "is writable by other users (chmod o-w)";
  if (st.st_mode & S_IWGRP) return "is writable by its group (chmod g-w)";
  if (st.st_uid != 0 && st.st_uid != ::geteuid())
    return fmt::format("belongs to another user (uid {})", st.st_uid);
  return {};
}

std::vector<fs::path> Registry::default_dirs() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path bin = exe.parent_path();
  return {bin.parent_path() / "plugins", bin.parent_path() / "lib" / "hellotrace" / "plugins"};
}

bool Registry::refuse(const fs::path& file, const std::string& why) {
  refusals_.push_back(fmt::format("refusing plugin {}: {}", file.string(), why));
  return false;
}

std::string Registry::check_table(const ht_plugin* t) const {
  if (!t) return "its entry point returned no plugin table";
  if (t->struct_size < offsetof(ht_plugin, act) + sizeof(t->act))
    return fmt::format("plugin table too small ({} bytes)", t->struct_size);
  if (t->api_version_major != HT_PLUGIN_API_VERSION_MAJOR ||
      t->api_version_minor > HT_PLUGIN_API_VERSION_MINOR)
    return fmt::format(
        "incompatible plugin API version {}.{}.{} (this hellotrace supports {}.0 to {}.{})",
        t->api_version_major, t->api_version_minor, t->api_version_patch,
        HT_PLUGIN_API_VERSION_MAJOR, HT_PLUGIN_API_VERSION_MAJOR, HT_PLUGIN_API_VERSION_MINOR);
  static const std::regex kName("[a-z0-9][a-z0-9-]{0,63}");
  if (!t->name || !std::regex_match(t->name, kName))
    return "plugin name missing or not of the form [a-z0-9-]+";
  if (!t->version || !*t->version) return "plugin version missing";
  if (find(t->name))
    return fmt::format("duplicate plugin name '{}' (already loaded from {})", t->name,
                       find(t->name)->path().string());
  const uint32_t caps = t->capabilities;
  if (!caps) return "plugin declares no capability";
  if (!t->init || !t->destroy) return "plugin table lacks init/destroy";
  if ((caps & HT_CAP_PARSE) && (!t->sniff || !t->parse)) return "parser without sniff/parse";
  if ((caps & HT_CAP_PROBE) && !t->probe) return "probe capability without probe()";
  if ((caps & HT_CAP_ANALYZE) && !t->analyze) return "analyzer capability without analyze()";
  if ((caps & HT_CAP_ACT) && !t->act) return "action capability without act()";
  // split() is a 1.2 member: a shorter table does not have it.
  if ((caps & HT_CAP_SPLIT) &&
      (t->struct_size < offsetof(ht_plugin, split) + sizeof(t->split) || !t->sniff || !t->split))
    return "splitter without sniff/split (split needs ABI 1.2)";
  return {};
}

static void collect_init_error(void* ctx, const ht_diagnostic* d) {
  auto* out = static_cast<std::string*>(ctx);
  out->assign(d->message.data ? std::string(d->message.data, d->message.size) : "");
}

bool Registry::add_table(const ht_plugin* table, const std::string& config_json,
                         const fs::path& shown_path) {
  return install(table, config_json, shown_path, nullptr);
}

bool Registry::install(const ht_plugin* table, const std::string& config_json, const fs::path& path,
                       std::shared_ptr<void> library) {
  const fs::path shown = path.empty() ? fs::path("(built in)") : path;
  const std::string problem = check_table(table);
  if (!problem.empty()) return refuse(shown, problem);
  std::string init_error;
  void* instance =
      table->init(ht_str{config_json.data(), config_json.size()}, &collect_init_error, &init_error);
  if (!instance) return refuse(shown, "init failed: " + init_error);
  plugins_.push_back(std::make_unique<Plugin>(table, instance, path, std::move(library)));
  return true;
}

bool Registry::load_file(const fs::path& file, const std::string& config_json) {
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  if (ec) return refuse(file, "cannot resolve path: " + ec.message());
  if (std::string why = untrusted_reason(real); !why.empty())
    return refuse(file, "the file " + why);
  if (std::string why = untrusted_reason(real.parent_path()); !why.empty())
    return refuse(file, "its folder " + why);
  std::shared_ptr<boost::dll::shared_library> lib;
  try {
    lib = std::make_shared<boost::dll::shared_library>(
        real, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return refuse(file, std::string("not a loadable library: ") + e.what());
  }
  if (!lib->has(HT_PLUGIN_ENTRY_SYMBOL))
    return refuse(file, "not a hellotrace plugin (no " HT_PLUGIN_ENTRY_SYMBOL " symbol)");
  const auto entry = lib->get<const ht_plugin*()>(HT_PLUGIN_ENTRY_SYMBOL);
  return install(entry(), config_json, real, std::move(lib));
}

void Registry::load(const LoadOptions& options) {
  std::vector<fs::path> dirs = options.plugin_dirs;
  if (options.use_environment) {
    if (const char* env = std::getenv("HELLOTRACE_PLUGIN_PATH")) {
      std::string_view rest(env);
      while (!rest.empty()) {
        const size_t colon = rest.find(':');
        const std::string_view part = rest.substr(0, colon);
        if (!part.empty()) dirs.emplace_back(std::string(part));
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
      }
    }
  }
  if (options.use_default_dirs)
    for (auto& d : default_dirs()) dirs.push_back(std::move(d));

  std::set<fs::path> seen;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    const fs::path real = fs::canonical(dir, ec);
    if (ec || !seen.insert(real).second) continue;
    searched_.push_back(real);
    if (std::string why = untrusted_reason(real); !why.empty()) {
      refuse(dir, "the plugin folder " + why);
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(real, ec))
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_file(f, options.config_json);
  }
}

const Plugin* Registry::find(std::string_view name) const {
  for (const auto& p : plugins_)
    if (p->table().name == name) return p.get();
  return nullptr;
}

std::vector<const Plugin*> Registry::with(uint32_t capability) const {
  std::vector<const Plugin*> out;
  for (const auto& p : plugins_)
    if (p->can(capability)) out.push_back(p.get());
  return out;
}

}  // namespace hellotrace::host
