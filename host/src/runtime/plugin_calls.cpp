#include "runtime/plugin_calls.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <fstream>
#include <hellotrace/time.hpp>
#include <map>

#include "engine/timeline.hpp"

namespace hellotrace::host {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t number_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : HT_NO_NUMBER;
}

std::string message_of(const ht_diagnostic* d) {
  return d->message.data ? std::string(d->message.data, d->message.size) : std::string();
}

const char* severity_word(int s) {
  return s >= HT_DIAG_ERROR ? "error" : s == HT_DIAG_WARNING ? "warning" : "note";
}

}  // namespace

namespace {

// The user and device members shared by findings and phase statements.
Subject subject_from_plugin(const json& j) {
  Subject s;
  if (auto it = j.find("user"); it != j.end() && it->is_object()) {
    s.user_upn = text_of(*it, "upn");
    s.user_sid = text_of(*it, "sid");
    s.user_dn = text_of(*it, "dn");
    s.user_sam = text_of(*it, "sam");
  }
  if (auto it = j.find("device"); it != j.end() && it->is_object()) {
    s.device_name = text_of(*it, "name");
    s.device_id = text_of(*it, "id");
  }
  s.tenant_id = text_of(j, "tenant");
  return s;
}

// One evidence item; nullopt (and why) when it names a file the run did not read.
std::optional<Evidence> evidence_from_plugin(const json& item,
                                             const std::set<std::string>& known_files,
                                             const std::string& what, std::string* why) {
  if (!item.is_object()) {
    *why = what + ": an evidence item is not an object";
    return std::nullopt;
  }
  Evidence e;
  e.file = text_of(item, "file");
  if (!known_files.count(e.file)) {
    *why = fmt::format("{}: evidence names '{}', which this run did not read", what, e.file);
    return std::nullopt;
  }
  e.position = {number_of(item, "line"), number_of(item, "offset"), number_of(item, "record")};
  if (auto t = time::parse_iso(text_of(item, "time"))) e.time = *t;
  e.source = text_of(item, "source");
  e.kind = text_of(item, "kind");
  if (auto it = item.find("event_id"); it != item.end() && it->is_number_integer())
    e.event_id = it->get<int64_t>();
  e.excerpt = text_of(item, "excerpt");
  return e;
}

}  // namespace

std::optional<Finding> finding_from_plugin(const json& j, const std::set<std::string>& known_files,
                                           std::string* why) {
  auto refuse = [&](std::string reason) -> std::optional<Finding> {
    *why = std::move(reason);
    return std::nullopt;
  };
  if (!j.is_object()) return refuse("a finding must be a JSON object");
  Finding f;
  f.rule = text_of(j, "rule");
  static const RE2 kRuleId(R"([a-z][a-z0-9_]*(\.[a-z0-9_]+)+)");
  if (!RE2::FullMatch(f.rule, kRuleId))
    return refuse(fmt::format("rule id '{}' is not of the form family.name", f.rule));
  f.severity = text_of(j, "severity");
  if (severity_rank(f.severity) < 0)
    return refuse(
        fmt::format("{}: severity '{}' is not critical, high, medium or info", f.rule, f.severity));
  f.title = text_of(j, "title");
  if (f.title.empty()) return refuse(f.rule + ": no title");
  f.category = text_of(j, "category");
  if (f.category.empty()) f.category = f.rule.substr(0, f.rule.find('.'));
  f.summary = text_of(j, "summary");
  f.remediation = text_of(j, "remediation");
  f.documentation = text_of(j, "documentation");
  f.subject = subject_from_plugin(j);
  if (auto it = j.find("details"); it != j.end() && it->is_object()) f.details = *it;
  auto ev = j.find("evidence");
  if (ev == j.end() || !ev->is_array() || ev->empty())
    return refuse(f.rule + ": a finding needs evidence");
  for (const json& item : *ev) {
    auto e = evidence_from_plugin(item, known_files, f.rule, why);
    if (!e) return std::nullopt;
    f.evidence.push_back(std::move(*e));
  }
  return f;
}

std::optional<PhaseStatement> phase_statement_from_plugin(const json& j,
                                                          const std::set<std::string>& known_files,
                                                          std::string* why) {
  auto refuse = [&](std::string reason) -> std::optional<PhaseStatement> {
    *why = std::move(reason);
    return std::nullopt;
  };
  if (!j.is_object()) return refuse("a phase statement must be a JSON object");
  PhaseStatement st;
  const std::string name = text_of(j, "phase");
  const auto phase = phase_from_name(name);
  if (!phase) return refuse(fmt::format("phase '{}' is not one of the enrollment phases", name));
  st.phase = *phase;
  const std::string state = text_of(j, "state");
  const auto s = phase_state_from_name(state);
  if (!s)
    return refuse(fmt::format("phase {}: state '{}' is not done, failed or pending", name, state));
  st.state = *s;
  st.note = text_of(j, "note");
  if (st.note.empty()) return refuse("phase " + name + ": no note (say why)");
  st.subject = subject_from_plugin(j);
  if (!st.subject.names_user() && !st.subject.names_device())
    return refuse("phase " + name + ": names neither a user nor a device");
  auto ev = j.find("evidence");
  if (ev == j.end() || !ev->is_array() || ev->empty())
    return refuse("phase " + name + ": a phase statement needs evidence");
  auto e = evidence_from_plugin(ev->front(), known_files, "phase " + name, why);
  if (!e) return std::nullopt;
  st.evidence = std::move(*e);
  return st;
}

Analyzers::Analyzers(const Registry& registry) : plugins_(registry.with(HT_CAP_ANALYZE)) {}

std::vector<std::string> Analyzers::kinds() const {
  std::vector<std::string> all;
  for (const Plugin* p : plugins_)
    for (auto& k : p->consumes()) all.push_back(std::move(k));
  return all;
}

AnalyzerOutput Analyzers::run(const nlohmann::ordered_json& input) {
  struct Collected {
    const Analyzers* self;
    std::string plugin;
    AnalyzerOutput output;
    std::vector<std::string>* problems;
  };
  AnalyzerOutput out;
  for (const Plugin* p : plugins_) {
    // Each analyzer sees the events of the kinds it reads, nothing more.
    const std::vector<std::string> wanted = p->consumes();
    nlohmann::ordered_json mine = input;
    nlohmann::ordered_json events = nlohmann::ordered_json::array();
    for (const auto& e : input["events"])
      if (kind_matches(wanted, e["kind"].get_ref<const std::string&>())) events.push_back(e);
    mine["events"] = std::move(events);
    const std::string text = mine.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

    Collected c{this, p->name(), {}, &problems_};
    // emit_finding carries findings and, since the input's "accepts" lists "phase",
    // phase statements: an object with "phase" and no "rule".
    ht_output_sink sink{};
    sink.context = &c;
    sink.emit_finding = [](void* ctx, ht_str finding) -> int {
      auto* c = static_cast<Collected*>(ctx);
      const json j = json::parse(from_ht(finding), nullptr, false);
      std::string why;
      if (j.is_object() && j.contains("phase") && !j.contains("rule")) {
        if (auto st = phase_statement_from_plugin(j, c->self->files_, &why)) {
          if (st->evidence.source.empty()) st->evidence.source = c->plugin;
          c->output.phases.push_back(std::move(*st));
        } else {
          c->problems->push_back(
              fmt::format("analyzer {}: phase statement refused: {}", c->plugin, why));
        }
        return 0;
      }
      if (auto f =
              j.is_discarded() ? std::nullopt : finding_from_plugin(j, c->self->files_, &why)) {
        if (f->evidence.front().source.empty()) f->evidence.front().source = c->plugin;
        c->output.findings.push_back(std::move(*f));
      } else {
        c->problems->push_back(fmt::format("analyzer {}: finding refused: {}", c->plugin,
                                           j.is_discarded() ? "not valid JSON" : why));
      }
      return 0;
    };
    sink.emit_artifact = [](void*, ht_str, ht_str) { return 1; };  // analyzers make findings
    sink.diagnose = [](void* ctx, const ht_diagnostic* d) {
      auto* c = static_cast<Collected*>(ctx);
      c->problems->push_back(
          fmt::format("analyzer {}: {}: {}", c->plugin, severity_word(d->severity), message_of(d)));
    };
    const int status = p->table().analyze(p->instance(), to_ht(text), &sink);
    if (status == HT_FAILED)
      problems_.push_back(fmt::format("analyzer {} failed; its findings are missing", p->name()));
    for (auto& f : c.output.findings) out.findings.push_back(std::move(f));
    for (auto& st : c.output.phases) out.phases.push_back(std::move(st));
  }
  return out;
}

ProbeResult run_probe(const Plugin& plugin, const std::string& options_json,
                      const std::function<void(Event&)>& on_event) {
  struct Context {
    const Plugin* plugin;
    const std::function<void(Event&)>* on_event;
    ProbeResult* result;
  };
  ProbeResult result;
  Context ctx{&plugin, &on_event, &result};
  ht_event_sink sink{};
  sink.context = &ctx;
  sink.emit = [](void* c, const ht_event* ev) -> int {
    auto* ctx = static_cast<Context*>(c);
    Event e = event_from_abi(*ev);
    e.source = ctx->plugin->name();
    if (e.file.empty()) e.file = "probe:" + ctx->plugin->name();
    (*ctx->on_event)(e);
    return 0;
  };
  sink.diagnose = [](void* c, const ht_diagnostic* d) {
    auto* ctx = static_cast<Context*>(c);
    ctx->result->messages.push_back(fmt::format("probe {}: {}: {}", ctx->plugin->name(),
                                                severity_word(d->severity), message_of(d)));
  };
  const int status = plugin.table().probe(plugin.instance(), to_ht(options_json), &sink);
  result.ok = status == HT_OK;
  return result;
}

ActionResult run_action(const Plugin& plugin, const nlohmann::ordered_json& input,
                        OutputFolder& out) {
  struct Context {
    const Plugin* plugin;
    OutputFolder* out;
    std::set<std::string> names;
    ActionResult* result;
    bool failed = false;
  };
  ActionResult result;
  Context ctx{&plugin, &out, {}, &result};
  ht_output_sink sink{};
  sink.context = &ctx;
  sink.emit_finding = [](void*, ht_str) { return 1; };  // actions make artifacts
  sink.emit_artifact = [](void* c, ht_str name_text, ht_str content) -> int {
    auto* ctx = static_cast<Context*>(c);
    const std::string name(from_ht(name_text));
    const fs::path rel(name);
    bool safe = !name.empty() && rel.is_relative() && !rel.has_root_name();
    for (const auto& part : rel) safe = safe && part != ".." && part != ".";
    if (!safe || !ctx->names.insert(rel.lexically_normal().string()).second) {
      ctx->result->messages.push_back(
          fmt::format("action {}: artifact name '{}' refused (absolute, '..' or given twice)",
                      ctx->plugin->name(), name));
      ctx->failed = true;
      return 0;
    }
    try {
      ctx->result->written.push_back(
          ctx->out->write(rel, std::string_view(content.data, content.size)));
    } catch (const OutputError& e) {
      ctx->result->messages.push_back(e.what());
      ctx->failed = true;
      return 1;
    }
    return 0;
  };
  sink.diagnose = [](void* c, const ht_diagnostic* d) {
    auto* ctx = static_cast<Context*>(c);
    ctx->result->messages.push_back(fmt::format("action {}: {}: {}", ctx->plugin->name(),
                                                severity_word(d->severity), message_of(d)));
  };
  const std::string text = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const int status = plugin.table().act(plugin.instance(), to_ht(text), &sink);
  result.ok = status == HT_OK && !ctx.failed;
  return result;
}

}  // namespace hellotrace::host
