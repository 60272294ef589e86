// Finds, vets and loads plugin libraries.
//
// A reader may rely on: a Plugin in the registry has passed every check (trusted
// location, hellotrace entry point, compatible API version, unique name, sane
// table) and holds a live instance; refusals are kept as one-line messages that
// name the file. Plugins are unloaded (instances destroyed first) with the registry.
#pragma once

#include <hellotrace/plugin_api.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hellotrace::host {

// One loaded plugin: its table, its instance, and where it came from.
class Plugin {
 public:
  Plugin(const ht_plugin* table, void* instance, std::filesystem::path path,
         std::shared_ptr<void> library);
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const ht_plugin& table() const { return *table_; }
  void* instance() const { return instance_; }
  const std::filesystem::path& path() const { return path_; }  // empty: built in
  std::string name() const { return table_->name; }
  std::string version() const { return table_->version; }
  bool can(uint32_t capability) const { return (table_->capabilities & capability) != 0; }
  std::vector<std::string> formats() const;
  std::vector<std::string> event_kinds() const;
  // Analyzers: the event kinds they read (ABI 1.1; empty for older plugins).
  std::vector<std::string> consumes() const;
  std::string kinds_text() const;  // "parser,probe"

 private:
  const ht_plugin* table_;
  void* instance_;
  std::filesystem::path path_;
  std::shared_ptr<void> library_;  // keeps the code mapped while the instance lives
};

struct LoadOptions {
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir, first
  bool use_environment = true;                     // HELLOTRACE_PLUGIN_PATH
  bool use_default_dirs = true;                    // build tree, install prefix
  std::string config_json = "{}";                  // given to every init()
};

class Registry {
 public:
  // Loads every plugin found in the directories LoadOptions names.
  void load(const LoadOptions& options);
  // Loads one library file; returns false (and records why) when refused.
  bool load_file(const std::filesystem::path& file, const std::string& config_json = "{}");
  // Adds a plugin table linked into the program (tests, built-ins).
  bool add_table(const ht_plugin* table, const std::string& config_json = "{}",
                 const std::filesystem::path& shown_path = {});

  const std::vector<std::unique_ptr<Plugin>>& plugins() const { return plugins_; }
  const Plugin* find(std::string_view name) const;
  std::vector<const Plugin*> with(uint32_t capability) const;
  const std::vector<std::string>& refusals() const { return refusals_; }
  // The directories searched, in order (after load()).
  const std::vector<std::filesystem::path>& searched() const { return searched_; }

  // Why a file or folder may not hold plugins ("" when it may): it must not be
  // writable by group or others, and must belong to root or to the running user.
  static std::string untrusted_reason(const std::filesystem::path& p);
  // The default directories: <exe>/../plugins (build tree) and
  // <exe>/../lib/hellotrace/plugins (install prefix).
  static std::vector<std::filesystem::path> default_dirs();

 private:
  bool refuse(const std::filesystem::path& file, const std::string& why);
  bool install(const ht_plugin* table, const std::string& config_json,
               const std::filesystem::path& path, std::shared_ptr<void> library);
  std::string check_table(const ht_plugin* t) const;

  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<std::string> refusals_;
  std::vector<std::filesystem::path> searched_;
};

}  // namespace hellotrace::host
