#include "plugin_calls.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <fstream>
#include <hellotrace/time.hpp>
#include <map>

#include "timeline.hpp"

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
  if (auto it = j.find("user"); it != j.end() && it->is_object()) {
    f.subject.user_upn = text_of(*it, "upn");
    f.subject.user_sid = text_of(*it, "sid");
    f.subject.user_dn = text_of(*it, "dn");
    f.subject.user_sam = text_of(*it, "sam");
  }
  if (auto it = j.find("device"); it != j.end() && it->is_object()) {
    f.subject.device_name = text_of(*it, "name");
    f.subject.device_id = text_of(*it, "id");
  }
  f.subject.tenant_id = text_of(j, "tenant");
  if (auto it = j.find("details"); it != j.end() && it->is_object()) f.details = *it;
  auto ev = j.find("evidence");
  if (ev == j.end() || !ev->is_array() || ev->empty())
    return refuse(f.rule + ": a finding needs evidence");
  for (const json& item : *ev) {
    if (!item.is_object()) return refuse(f.rule + ": an evidence item is not an object");
    Evidence e;
    e.file = text_of(item, "file");
    if (!known_files.count(e.file))
      return refuse(
          fmt::format("{}: evidence names '{}', which this run did not read", f.rule, e.file));
    e.position = {number_of(item, "line"), number_of(item, "offset"), number_of(item, "record")};
    if (auto t = time::parse_iso(text_of(item, "time"))) e.time = *t;
    e.source = text_of(item, "source");
    e.kind = text_of(item, "kind");
    if (auto it = item.find("event_id"); it != item.end() && it->is_number_integer())
      e.event_id = it->get<int64_t>();
    e.excerpt = text_of(item, "excerpt");
    f.evidence.push_back(std::move(e));
  }
  return f;
}

Analyzers::Analyzers(const Registry& registry) : plugins_(registry.with(HT_CAP_ANALYZE)) {}

std::vector<std::string> Analyzers::kinds() const {
  std::vector<std::string> all;
  for (const Plugin* p : plugins_)
    for (auto& k : p->consumes()) all.push_back(std::move(k));
  return all;
}

std::vector<Finding> Analyzers::run(const nlohmann::ordered_json& input) {
  struct Collected {
    const Analyzers* self;
    std::string plugin;
    std::vector<Finding> findings;
    std::vector<std::string>* problems;
  };
  std::vector<Finding> out;
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
    ht_output_sink sink{};
    sink.context = &c;
    sink.emit_finding = [](void* ctx, ht_str finding) -> int {
      auto* c = static_cast<Collected*>(ctx);
      const json j = json::parse(from_ht(finding), nullptr, false);
      std::string why;
      if (auto f =
              j.is_discarded() ? std::nullopt : finding_from_plugin(j, c->self->files_, &why)) {
        if (f->evidence.front().source.empty()) f->evidence.front().source = c->plugin;
        c->findings.push_back(std::move(*f));
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
    for (auto& f : c.findings) out.push_back(std::move(f));
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
                        const fs::path& out_dir) {
  struct Context {
    const Plugin* plugin;
    fs::path out_dir;
    std::set<std::string> names;
    ActionResult* result;
    bool failed = false;
  };
  ActionResult result;
  Context ctx{&plugin, out_dir, {}, &result};
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
    const fs::path target = ctx->out_dir / rel;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(content.data, static_cast<std::streamsize>(content.size));
    out.close();
    if (ec || !out) {
      ctx->result->messages.push_back(fmt::format("cannot write {}", target.string()));
      ctx->failed = true;
      return 1;
    }
    ctx->result->written.push_back(target);
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
