#!/usr/bin/env python3
"""Checks the SIEM recipes of docs/SIEM.md against real output (issue 20).

Usage: check_siem.py SOURCE_DIR ECS_NDJSON NATIVE_NDJSON [--documents-only]

ECS_NDJSON and NATIVE_NDJSON are `hellotrace analyze --ecs` / `--json` of the same run.
Checks, with the tools this machine has (no Elasticsearch, Splunk or Log Analytics here):
  - every ECS document validates against docs/schema/ecs-finding.schema.json and is the
    NDJSON finding of the same line (event.id = id, @timestamp = detected, severity);
  - the Elastic index template maps every ECS field of the schema with the schema's ECS
    type, and maps nothing the schema does not define (but event.ingested, which the
    pipeline adds); the ingest pipeline is JSON whose field references exist;
  - Splunk props.conf / transforms.conf parse as .conf files, TIME_PREFIX/TIME_FORMAT find
    the time in every line, and every field they name exists in the ECS output;
  - the Sentinel DCR declares every NDJSON top-level field with a matching type, its
    transform fills exactly the custom table's columns from fields that exist;
  - every KQL/SPL/ES|QL query in docs/SIEM.md names only columns of the table (KQL) or
    fields of the ECS output (SPL, ES|QL).
With --documents-only, only the first (for one scenario's output, which need not use
every field the recipes name). Prints each problem; exit 1 when any.
"""
import configparser
import json
import re
import sys

import jsonschema

src, ecs_path, native_path = sys.argv[1:4]
documents_only = "--documents-only" in sys.argv[4:]
problems = []


def problem(text):
    problems.append(text)


def load_ndjson(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def flat_keys(value, prefix="", out=None):
    """Dotted field names of a document; arrays of objects contribute their members."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            name = prefix + k
            out.add(name)
            flat_keys(v, name + ".", out)
    elif isinstance(value, list):
        for v in value:
            flat_keys(v, prefix, out)
    return out


ecs_docs = load_ndjson(ecs_path)
native = load_ndjson(native_path)
if not ecs_docs and not documents_only:
    problem("no ECS document to check")
if len(ecs_docs) != len(native):
    problem(f"{len(ecs_docs)} ECS documents for {len(native)} NDJSON findings")

# ---- ECS documents against the schema and the NDJSON --------------------------------
schema = json.load(open(f"{src}/docs/schema/ecs-finding.schema.json"))
validator = jsonschema.Draft202012Validator(schema)
severity = {"info": 21, "medium": 47, "high": 73, "critical": 99}
for i, (doc, f) in enumerate(zip(ecs_docs, native), 1):
    for e in validator.iter_errors(doc):
        problem(f"ECS line {i}: {'.'.join(map(str, e.absolute_path))}: {e.message}")
    if doc.get("event", {}).get("id") != f["id"]:
        problem(f"ECS line {i}: event.id {doc.get('event', {}).get('id')} is not the NDJSON id {f['id']}")
    if doc.get("@timestamp") != f["detected"]:
        problem(f"ECS line {i}: @timestamp is not the detection time {f['detected']}")
    if doc.get("event", {}).get("severity") != severity[f["severity"]]:
        problem(f"ECS line {i}: event.severity for {f['severity']}")
    if f["time"] is not None and doc["event"].get("start") != f["time"]:
        problem(f"ECS line {i}: event.start is not the first evidence")
    if f["user"]["upn"] and doc.get("user", {}).get("email") != f["user"]["upn"]:
        problem(f"ECS line {i}: user.email is not the UPN")
    if f["user"]["sid"] and doc.get("user", {}).get("id") != f["user"]["sid"]:
        problem(f"ECS line {i}: user.id is not the SID")
    if f["device"]["name"] and doc.get("host", {}).get("name") != f["device"]["name"]:
        problem(f"ECS line {i}: host.name is not the device name")
    if doc.get("rule", {}).get("id") != f["rule"] or doc.get("message") != f["summary"]:
        problem(f"ECS line {i}: rule.id / message differ from the NDJSON")
    if doc.get("hellotrace", {}).get("evidence") != f["evidence"]:
        problem(f"ECS line {i}: hellotrace.evidence is not the NDJSON evidence")

if documents_only:
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)

ecs_fields = set()
for doc in ecs_docs:
    flat_keys(doc, "", ecs_fields)


def schema_types(node, prefix=""):
    """{dotted ECS field: x-ecs-type} of the schema's leaves."""
    out = {}
    for name, sub in node.get("properties", {}).items():
        path = prefix + name
        if "x-ecs-type" in sub:
            out[path] = sub["x-ecs-type"]
        out.update(schema_types(sub, path + "."))
    return out


ecs_types = schema_types(schema)

# ---- Elastic ----------------------------------------------------------------------
template = json.load(open(f"{src}/docs/siem/elastic/index-template.json"))
pipeline = json.load(open(f"{src}/docs/siem/elastic/ingest-pipeline.json"))


def mapping_types(props, prefix=""):
    out = {}
    for name, m in props.items():
        path = prefix + name
        if "type" in m:
            out[path] = m["type"]
        if "properties" in m:
            out.update(mapping_types(m["properties"], path + "."))
    return out


mapped = mapping_types(template["template"]["mappings"]["properties"])
for field, t in ecs_types.items():
    if field not in mapped:
        problem(f"index template: ECS field {field} is not mapped")
    elif mapped[field] != t:
        problem(f"index template: {field} mapped as {mapped[field]}, ECS type {t}")
for field, t in mapped.items():
    if field.startswith("hellotrace.") or field == "event.ingested":
        continue
    if field not in ecs_types:
        problem(f"index template: {field} is mapped but not in the ECS schema")
for field in mapped:
    if field.startswith("hellotrace.") and field not in ecs_fields:
        problem(f"index template: {field} is mapped but hellotrace never writes it")
if template["template"]["settings"].get("index.default_pipeline") != "hellotrace-findings":
    problem("index template: the default pipeline is not hellotrace-findings")
pipeline_text = json.dumps(pipeline)
for ref in re.findall(r"\{\{\{([\w.@]+)\}\}\}", pipeline_text):
    if not ref.startswith("_ingest.") and ref not in ecs_fields:
        problem(f"ingest pipeline: {{{{{{{ref}}}}}}} names no field of the output")
if not any(p.get("set", {}).get("field") == "_id" and "event.id" in p["set"].get("value", "")
           for p in pipeline["processors"]):
    problem("ingest pipeline: _id is not set from event.id")

# ---- Splunk -----------------------------------------------------------------------
def conf(path):
    c = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",),
                                  comment_prefixes=("#",))
    c.optionxform = str
    c.read(path, encoding="utf-8")
    return c


props = conf(f"{src}/docs/siem/splunk/props.conf")
transforms = conf(f"{src}/docs/siem/splunk/transforms.conf")
if "hellotrace:finding" not in props:
    problem("props.conf: no [hellotrace:finding] stanza")
else:
    p = props["hellotrace:finding"]
    prefix = p["TIME_PREFIX"]
    # strptime-like TIME_FORMAT → a regex (%7N: seven sub-second digits).
    fmt = re.escape(p["TIME_FORMAT"])
    for spec, rx in (("%Y", r"\d{4}"), ("%m", r"\d{2}"), ("%d", r"\d{2}"), ("%H", r"\d{2}"),
                     ("%M", r"\d{2}"), ("%S", r"\d{2}"), ("%7N", r"\d{7}")):
        fmt = fmt.replace(re.escape(spec), rx)
    if "%" in fmt:
        problem(f"props.conf: TIME_FORMAT {p['TIME_FORMAT']} has a directive this check does not know")
    lookahead = int(p["MAX_TIMESTAMP_LOOKAHEAD"])
    with open(ecs_path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            m = re.search(prefix, line)
            if not m:
                problem(f"props.conf: TIME_PREFIX not found in ECS line {i}")
                continue
            window = line[m.end():m.end() + lookahead]
            if not re.match(fmt, window):
                problem(f"props.conf: TIME_FORMAT does not match {window!r} (line {i})")
    for key, value in p.items():
        if key.startswith("TRANSFORMS-"):
            for name in value.split(","):
                if name.strip() not in transforms:
                    problem(f"props.conf: {key} names no stanza of transforms.conf: {name}")
        if key.startswith("FIELDALIAS-"):
            for source in re.findall(r"(\S+)\s+AS\s+\S+", value):
                if source not in ecs_fields:
                    problem(f"props.conf: {key} aliases {source}, not a field of the output")
        if key.startswith("EVAL-"):
            for field in re.findall(r"'([^']+)'", value):
                if field not in ecs_fields:
                    problem(f"props.conf: {key} reads {field}, not a field of the output")
for name in transforms.sections():
    for value in transforms[name].values():
        for field in re.findall(r'json_extract\(_raw,\s*"([^"]+)"\)', value):
            if field not in ecs_fields:
                problem(f"transforms.conf [{name}]: json_extract of {field}, not a field of the output")

# ---- Microsoft Sentinel -----------------------------------------------------------
table = json.load(open(f"{src}/docs/siem/sentinel/table.json"))["properties"]["schema"]
dcr = json.load(open(f"{src}/docs/siem/sentinel/dcr.json"))["properties"]
columns = {c["name"]: c["type"] for c in table["columns"]}
stream = dcr["streamDeclarations"]["Custom-HelloTraceFindings"]["columns"]
declared = {c["name"]: c["type"] for c in stream}
native_top = {}
for f in native:
    for k, v in f.items():
        kind = ("dynamic" if isinstance(v, (dict, list)) else
                "datetime" if k in ("time", "detected") else
                "string" if isinstance(v, str) or v is None else "int")
        native_top.setdefault(k, set()).add(kind)
for k, kinds in native_top.items():
    if k not in declared:
        problem(f"dcr.json: the stream does not declare the NDJSON field {k}")
    elif declared[k] not in kinds and not (kinds == {"string"} and declared[k] == "datetime"):
        problem(f"dcr.json: {k} declared {declared[k]}, the NDJSON holds {sorted(kinds)}")
for k in declared:
    if k not in native_top:
        problem(f"dcr.json: the stream declares {k}, which the NDJSON does not have")
flow = dcr["dataFlows"][0]
if flow["outputStream"] != "Custom-" + table["name"]:
    problem(f"dcr.json: output stream {flow['outputStream']} is not the table {table['name']}")
transform = flow["transformKql"]
projected = re.findall(r"(?:project|,)\s*(\w+)\s*=",
                       "project" + transform.split("| project", 1)[1])
if set(projected) != set(columns):
    problem(f"dcr.json: the transform fills {sorted(set(projected) ^ set(columns))} unlike table.json")
native_fields = set()
for f in native:
    flat_keys(f, "", native_fields)
for name in re.findall(r"\b([a-z_]+(?:\.[a-z_]+)*)\b", re.sub(r"'[^']*'", "", transform)):
    if name in ("source", "where", "startswith", "extend", "case", "project", "toint",
                "tostring", "todatetime"):
        continue
    if name not in native_fields:
        problem(f"dcr.json: the transform reads {name}, not a field of the NDJSON")

# ---- the queries of docs/SIEM.md ---------------------------------------------------
doc = open(f"{src}/docs/SIEM.md", encoding="utf-8").read()
blocks = re.findall(r"```(kql|spl|esql)\n(.*?)```", doc, re.S)
counts = {lang: sum(1 for l, _ in blocks if l == lang) for lang in ("kql", "spl", "esql")}
if min(counts.values()) < 1 or len(set(counts.values())) != 1:
    problem(f"docs/SIEM.md: every question needs a KQL, an SPL and an ES|QL query: {counts}")
KQL_WORDS = {"where", "summarize", "by", "order", "asc", "desc", "arg_max", "min", "max",
             "make_set", "coalesce", "any", "ago", "dcount", "and", "or", "in", "d"}
for lang, query in blocks:
    text = re.sub(r'"[^"]*"', '""', query)  # string literals name no field
    if lang == "kql":
        tokens = re.findall(r"[A-Za-z_][\w]*", text)
        if tokens[0] != table["name"]:
            problem(f"KQL: queries {tokens[0]}, not {table['name']}")
        assigned = set(re.findall(r"(\w+)\s*=(?!=)", text))
        for t in tokens[1:]:
            if t in KQL_WORDS or t in assigned or t.isdigit():
                continue
            if t not in columns:
                problem(f"KQL: {t} is not a column of {table['name']}: {query.strip()[:60]}…")
    else:
        text = re.sub(r"'([^']+)'", r"\1", text)  # SPL quotes field names in eval
        assigned = set(re.findall(r"(?:AS|as)\s+([\w.]+)", text))
        assigned |= set(re.findall(r"(?:EVAL|STATS|eval|,|\|)\s*([\w.]+)\s*=(?!=)", text))
        for field in re.findall(r"[@\w]+(?:\.[\w]+)+|@timestamp", text):
            if field in assigned:
                continue
            if field not in ecs_fields:
                problem(f"{lang.upper()}: {field} is not a field of the ECS output: {query.strip()[:60]}…")

for p in problems:
    print(p)
print(f"{len(ecs_docs)} ECS document(s), {len(blocks)} queries checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
