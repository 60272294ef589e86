/*
 * hellotrace plugin ABI — the one header a plugin and the host share.
 *
 * A plugin is a shared library that exports one C function,
 *
 *     const ht_plugin* hellotrace_plugin_entry(void);
 *
 * returning a pointer to a static, immutable table that describes the plugin and
 * holds its entry points. The host loads the library (Boost.DLL), calls the entry
 * once, checks the table (API version, name, capabilities) and from then on only
 * calls through the table.
 *
 * Rules that keep this ABI stable (as falcosecurity/libs does for its plugins):
 *  - It is plain C: no C++ types, no exceptions, no allocator crosses the boundary.
 *  - Structures only ever grow at the end. Every structure that may grow starts with
 *    `struct_size`, set by its producer to sizeof() at the producer's build, so a
 *    reader never reads a member its producer did not know about.
 *  - Members are never removed, renamed, reordered or given another meaning. A
 *    change that would need that bumps HT_PLUGIN_API_VERSION_MAJOR.
 *  - The host accepts a plugin whose major version equals its own and whose minor
 *    version is not greater than its own (the plugin may rely on everything up to
 *    its minor version). Anything else is refused with a one-line error.
 *
 * Capabilities. One table serves every kind of plugin: a plugin sets the bits of
 * what it can do and fills the matching entry points (others stay NULL):
 *  - HT_CAP_PARSE   parser:   sniff() scores a file, parse() turns it into events.
 *  - HT_CAP_PROBE   probe:    probe() reads a live system (e.g. a TPM) into events.
 *  - HT_CAP_ANALYZE analyzer: analyze() reads timelines, emits findings.
 *  - HT_CAP_ACT     action:   act() turns findings into artifacts (plans, scripts).
 *  - HT_CAP_SPLIT   splitter: sniff() scores a file, split() cuts a container (a console
 *                   transcript holding many commands' output) into parts that the host
 *                   routes like files of their own (since 1.2).
 *
 * Memory. Every pointer the host passes is owned by the host and valid only for the
 * duration of the call; a plugin copies what it keeps. Every pointer a plugin passes
 * to a host callback is owned by the plugin and valid only during that callback; the
 * host copies what it keeps. Strings are UTF-8, given as pointer + size (`ht_str`),
 * and need not be NUL-terminated. The table itself and the strings it points to
 * (name, version, formats, ...) must stay valid while the library is loaded.
 *
 * Errors. No entry point may let a C++ exception escape (the SDK in plugin_sdk.hpp
 * catches and reports them). Problems with the input are reported through the
 * diagnostic callback with a position, and parsing goes on where it can: nothing
 * already emitted is taken back.
 *
 * Threads. init() and destroy() are called once per plugin instance from one
 * thread. sniff() is pure and may be called from any thread at any time. parse(),
 * probe(), analyze() and act() may be called concurrently from several threads on
 * the same instance with different inputs: a plugin keeps per-call state on the
 * stack, never in the instance. Callbacks are invoked on the calling thread.
 */
#ifndef HELLOTRACE_PLUGIN_API_H
#define HELLOTRACE_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HT_PLUGIN_API_VERSION_MAJOR 1
#define HT_PLUGIN_API_VERSION_MINOR 2
#define HT_PLUGIN_API_VERSION_PATCH 0

/* The one symbol a plugin library exports. */
#define HT_PLUGIN_ENTRY_SYMBOL "hellotrace_plugin_entry"

/* A UTF-8 string view: `data` may be NULL when `size` is 0. */
typedef struct ht_str {
  const char* data;
  size_t size;
} ht_str;

/* Capability bits of ht_plugin.capabilities. */
enum {
  HT_CAP_PARSE = 1u << 0,
  HT_CAP_PROBE = 1u << 1,
  HT_CAP_ANALYZE = 1u << 2,
  HT_CAP_ACT = 1u << 3,
  HT_CAP_SPLIT = 1u << 4 /* since 1.2 */
};

/* Return codes of the entry points. */
enum {
  HT_OK = 0,     /* done (diagnostics may still have been reported) */
  HT_FAILED = 1, /* could not do the work at all; a diagnostic says why */
  HT_STOPPED = 2 /* a callback asked to stop; the plugin returned early */
};

/* Severities of diagnostics. */
enum {
  HT_DIAG_INFO = 0,    /* e.g. "assumed time zone UTC" */
  HT_DIAG_WARNING = 1, /* input damaged, something skipped, parsing went on */
  HT_DIAG_ERROR = 2    /* the input (or the rest of it) could not be read */
};

/* "No value" for the integer members of ht_event and ht_diagnostic. */
#define HT_NO_NUMBER UINT64_MAX
#define HT_NO_EVENT_ID INT64_MIN
#define HT_NO_TIME INT64_MIN

/* Bits of ht_event.time_flags. */
enum {
  /* The source did not say which zone its local time was in; the plugin applied
     the configured zone (option "timezone", UTC by default). */
  HT_TIME_ZONE_ASSUMED = 1u << 0,
  /* The time is not the event's own but the nearest one the source offers
     (e.g. a file's collection time). */
  HT_TIME_APPROXIMATE = 1u << 1
};

/* A position in an input, for diagnostics and evidence. Any member may be
   HT_NO_NUMBER. Lines are 1-based, offsets 0-based byte offsets in the file as
   stored (before any decoding). */
typedef struct ht_position {
  uint64_t line;
  uint64_t offset;
  uint64_t record; /* a record number of the source (EVTX EventRecordID, row) */
} ht_position;

/* A diagnostic about an input or a call. */
typedef struct ht_diagnostic {
  uint32_t struct_size;
  int32_t severity; /* HT_DIAG_* */
  ht_position position;
  ht_str message; /* one line, no trailing period needed */
} ht_diagnostic;

/* One name/value pair of an event's own fields, unchanged from the source. */
typedef struct ht_field {
  ht_str name;
  ht_str value;
} ht_field;

/* Who or what an event is about. Any member may be empty. */
typedef struct ht_subject {
  ht_str user_sid;    /* S-1-5-21-... */
  ht_str user_upn;    /* user@contoso.com */
  ht_str user_dn;     /* CN=...,DC=... */
  ht_str user_sam;    /* CONTOSO\\user or user */
  ht_str device_name; /* NetBIOS or FQDN as the source wrote it */
  ht_str device_id;   /* Entra device id, lower-case GUID without braces */
  ht_str tenant_id;   /* lower-case GUID without braces */
  ht_str ngc_key_id;  /* NGC key id: lower-case GUID without braces when it is one */
} ht_subject;

/* A normalized event. The host adds the plugin name (source) and the file. */
typedef struct ht_event {
  uint32_t struct_size;
  int64_t time;        /* UTC, 100 ns ticks since 1970-01-01T00:00:00Z; HT_NO_TIME */
  uint32_t time_flags; /* HT_TIME_* */
  ht_str kind;         /* vocabulary in docs/EVENTS.md, e.g. "prereq.check" */
  ht_str channel;      /* event-log channel, when the source has one */
  ht_str provider;     /* event-log provider, when the source has one */
  int64_t event_id;    /* event-log event id, or HT_NO_EVENT_ID */
  ht_subject subject;
  const ht_field* fields;
  size_t field_count;
  ht_position origin; /* where in the input the event came from */
} ht_event;

/* Where parse() and probe() send events and diagnostics. emit() returns 0 to go
   on, non-zero to ask the plugin to stop (it then returns HT_STOPPED). */
typedef struct ht_event_sink {
  void* context;
  int (*emit)(void* context, const ht_event* event);
  void (*diagnose)(void* context, const ht_diagnostic* diagnostic);
} ht_event_sink;

/* One input file, mapped read-only by the host. */
typedef struct ht_source {
  uint32_t struct_size;
  ht_str path;         /* as the user named it (for messages) */
  const uint8_t* data; /* the whole file as stored */
  size_t size;
  ht_str options_json; /* run options as a JSON object, e.g. {"timezone":"UTC"} */
} ht_source;

/* Since 1.2. One part of a container, sent by split(): a piece of the source that the
   host routes like a file of its own (every parser sniffs it, the best one parses it; one
   nobody claims is listed as skipped under `name`). Events and diagnostics of the part
   cite the container's file, their lines moved by `first_line`; offsets are dropped
   (a part is decoded text, its bytes are not the file's). */
typedef struct ht_part {
  uint32_t struct_size;
  ht_str name;          /* appended to the container's name in listings: "#L120-L185" */
  ht_str label;         /* what the part holds, for messages: "Get-ADSyncScheduler" */
  const uint8_t* data;  /* the part as a file: UTF-8 text or bytes */
  size_t size;
  uint64_t first_line;  /* the container's line at which the part's line 1 is, or
                           HT_NO_NUMBER when the part's lines do not map (then none is cited) */
} ht_part;

/* Where split() sends parts and diagnostics about the container. part() returns 0 to go
   on, non-zero to ask the plugin to stop (it then returns HT_STOPPED). */
typedef struct ht_part_sink {
  void* context;
  int (*part)(void* context, const ht_part* part);
  void (*diagnose)(void* context, const ht_diagnostic* diagnostic);
} ht_part_sink;

/* Where analyze() sends findings and act() sends artifacts. A finding is one JSON
   object as in docs/schema/finding.schema.json (the host adds schema version and
   tool version); an artifact is a named file's content. */
typedef struct ht_output_sink {
  void* context;
  int (*emit_finding)(void* context, ht_str finding_json);
  int (*emit_artifact)(void* context, ht_str name, ht_str content);
  void (*diagnose)(void* context, const ht_diagnostic* diagnostic);
} ht_output_sink;

/* The table a plugin exports. */
typedef struct ht_plugin {
  uint32_t struct_size;
  uint32_t api_version_major; /* HT_PLUGIN_API_VERSION_* the plugin was built with */
  uint32_t api_version_minor;
  uint32_t api_version_patch;
  const char* name;               /* unique, [a-z0-9-]+, e.g. "dsregcmd" */
  const char* version;            /* the plugin's own semver */
  const char* description;        /* one line */
  uint32_t capabilities;          /* HT_CAP_* bits */
  const char* const* formats;     /* NULL-terminated: input formats it reads */
  const char* const* event_kinds; /* NULL-terminated: kinds it emits */

  /* Creates an instance from a JSON object of settings ("{}" for none). Returns
     NULL on failure after reporting why through `diagnose` (may be NULL). */
  void* (*init)(ht_str config_json, void (*diagnose)(void* context, const ht_diagnostic*),
                void* diagnose_context);
  void (*destroy)(void* instance);

  /* HT_CAP_PARSE. Scores how sure the plugin is that it reads this file: 0 (not
     mine) to 100 (certainly mine). `prefix` is the file's first bytes (up to
     HT_SNIFF_PREFIX_SIZE), `file_name` its base name. Pure and cheap. */
  int (*sniff)(void* instance, const uint8_t* prefix, size_t prefix_size, ht_str file_name);
  /* HT_CAP_PARSE. Turns a source into events. */
  int (*parse)(void* instance, const ht_source* source, const ht_event_sink* sink);

  /* HT_CAP_PROBE. Reads a live system; options as a JSON object. */
  int (*probe)(void* instance, ht_str options_json, const ht_event_sink* sink);

  /* HT_CAP_ANALYZE. Reads the correlated run (JSON as in
     docs/schema/analysis-input.schema.json: {"now", "identities", "users",
     "events"}) and emits findings (docs/PLUGINS.md). */
  int (*analyze)(void* instance, ht_str timelines_json, const ht_output_sink* sink);

  /* HT_CAP_ACT. Reads findings and timelines ({"findings":[…],"users":[…],
     "options":{…}}) and emits artifacts (e.g. a PowerShell plan). */
  int (*act)(void* instance, ht_str input_json, const ht_output_sink* sink);

  /* Since 1.1. HT_CAP_ANALYZE: NULL-terminated event kinds whose full events
     (with every field) the analyzer wants in the "events" of its input; a kind
     ending in ".*" names a family ("tpm.*"). NULL or empty: none (the analyzer
     sees identities and phases only). The host reads this member only when
     struct_size covers it. */
  const char* const* consumes;

  /* Since 1.2. HT_CAP_SPLIT: cuts a container into parts (see ht_part). sniff() scores
     the container as for parsing; the host splits when the splitter's score is at least
     the best parser's, and then parses the whole file as before when every part that a
     parser claims goes to that same parser (the parser reads its own transcript whole).
     The host reads this member only when struct_size covers it. */
  int (*split)(void* instance, const ht_source* source, const ht_part_sink* sink);
} ht_plugin;

/* How many leading bytes of a file sniff() is shown. */
#define HT_SNIFF_PREFIX_SIZE 8192

typedef const ht_plugin* (*ht_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* HELLOTRACE_PLUGIN_API_H */
