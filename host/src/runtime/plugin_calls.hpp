// Calls into probe, analyzer and action plugins (parsers go through the pipeline).
//
// A reader may rely on:
//  - a plugin's finding is accepted only when it has a `family.name` rule id, a known
//    severity, a title and evidence naming a file the run read; anything else is
//    refused with a message naming the plugin and the reason, never passed on;
//  - a phase statement is accepted only with a known phase and state (done, failed,
//    pending), a note, a user or device, and evidence naming a file the run read;
//  - artifacts are written only under the output folder: absolute names, `..` parts
//    and names given twice are refused;
//  - a plugin that fails reports why in `problems` and the run goes on without it.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/finding.hpp"
#include "engine/timeline.hpp"
#include "outputs/output_file.hpp"
#include "runtime/loader.hpp"

namespace hellotrace::host {

// Turns one finding object sent by a plugin into a Finding. `known_files`: the files
// the run read (evidence must name one of them). Returns nullopt and says why.
std::optional<Finding> finding_from_plugin(const nlohmann::json& j,
                                           const std::set<std::string>& known_files,
                                           std::string* why);

// Turns one phase statement sent by an analyzer into a PhaseStatement, or says why not.
std::optional<PhaseStatement> phase_statement_from_plugin(const nlohmann::json& j,
                                                          const std::set<std::string>& known_files,
                                                          std::string* why);

// Runs every analyzer of the registry on the correlated run.
class Analyzers {
 public:
  explicit Analyzers(const Registry& registry);
  bool empty() const { return plugins_.empty(); }
  // The union of the kinds the analyzers read.
  std::vector<std::string> kinds() const;
  // Remembers a file the run read (evidence check).
  void saw_file(const std::string& path) { files_.insert(path); }
  // Calls each analyzer with the run, restricted to the kinds it reads.
  AnalyzerOutput run(const nlohmann::ordered_json& input);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<const Plugin*> plugins_;
  std::set<std::string> files_;
  std::vector<std::string> problems_;
};

struct ProbeResult {
  bool ok = false;
  std::vector<std::string> messages;  // diagnostics, "plugin: message"
};
// Runs a probe plugin; each event goes to `on_event` (source set to the plugin).
ProbeResult run_probe(const Plugin& plugin, const std::string& options_json,
                      const std::function<void(Event&)>& on_event);

struct ActionResult {
  bool ok = false;
  std::vector<std::filesystem::path> written;
  std::vector<std::string> messages;
};
// Runs an action plugin and writes its artifacts into `out` (output_file.hpp).
ActionResult run_action(const Plugin& plugin, const nlohmann::ordered_json& input,
                        OutputFolder& out);

}  // namespace hellotrace::host
