#!/usr/bin/python3
"""Checks rules/schema/keysteer-v1.schema.json (JSON Schema 2020-12).

1. The schema is a valid 2020-12 schema (checked against the metaschema).
2. Every property in it has a title and a description (editors show them).
3. Its limits agree with include/keysteer/table.h.
4. Every rules/examples/*.json and rules/demo/*.json validates, and carries a
   top-level "$comment"; "$comment" is accepted in every kind of object.
5. The demo feed's versions increase; the two shard-move examples differ only
   in version and one shard's vip.
6. Invalid documents fail, each for the reason it was built for: the expected
   (JSON path, schema keyword) must be among the validator's errors.

Run from the repository root: /usr/bin/python3 tests/schema/check_schema.py
"""
import copy
import glob
import json
import os
import re
import sys

import jsonschema
from jsonschema import Draft202012Validator

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA_PATH = os.path.join(ROOT, "rules", "schema", "keysteer-v1.schema.json")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def path_str(error_path):
    """JSON path in the compiler's style: routes[0].to[1].weight."""
    out = ""
    for p in error_path:
        if isinstance(p, int):
            out += "[%d]" % p
        else:
            out += ("." if out else "") + p
    return out or "$"


schema = load(SCHEMA_PATH)

# 1. The schema itself.
try:
    Draft202012Validator.check_schema(schema)
except jsonschema.exceptions.SchemaError as e:
    fail("schema is not valid 2020-12: %s" % e.message)
    sys.exit(1)
if jsonschema.validators.validator_for(schema) is not Draft202012Validator:
    fail("schema does not declare draft 2020-12 in $schema")
validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


# 2. Titles and descriptions on every property an editor shows: those the
# document's objects declare. Conditional subschemas (if/then/else, not,
# contains, anyOf, allOf) only restate properties and are not walked.
CONDITIONAL = {"if", "then", "else", "not", "contains", "anyOf", "allOf"}


def walk_properties(node, where):
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if name == "$comment":
                target = schema["$defs"]["comment"]
            else:
                target = sub
            for word in ("title", "description"):
                if not isinstance(target, dict) or not target.get(word):
                    fail("schema property %s.%s has no %s" % (where, name, word))
        for key, sub in node.items():
            if key not in CONDITIONAL:
                walk_properties(sub, where + "/" + key)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            walk_properties(sub, "%s/%d" % (where, i))


walk_properties({k: v for k, v in schema.items() if k != "$defs"}, "#")
for name, sub in schema["$defs"].items():
    if not name.startswith("natFamily"):
        walk_properties(sub, "#/$defs/" + name)


# 3. Limits agree with the table layout the fast paths use.
def table_limit(name):
    with open(os.path.join(ROOT, "include", "keysteer", "table.h"), encoding="utf-8") as f:
        m = re.search(r"#define\s+%s\s+(\d+)" % name, f.read())
    if not m:
        fail("table.h has no %s" % name)
        return None
    return int(m.group(1))


defs = schema["$defs"]
for have, limit, what in (
    (defs["route"]["properties"]["to"]["maxItems"], "KS_MAX_TARGETS", "route targets"),
    (schema["properties"]["listeners"]["maxItems"], "KS_MAX_LISTENERS", "listeners"),
    (schema["properties"]["shards"]["else"]["maxProperties"], "KS_MAX_SHARDS", "shards"),
):
    want = table_limit(limit)
    if want is not None and have != want:
        fail("schema allows %d %s, table.h %s is %d" % (have, what, limit, want))

# 4. Examples and the demo feed validate.
files = sorted(glob.glob(os.path.join(ROOT, "rules", "examples", "*.json")))
demo = sorted(glob.glob(os.path.join(ROOT, "rules", "demo", "*.json")))
if len(files) < 7:
    fail("expected at least 7 examples in rules/examples, found %d" % len(files))
if len(demo) < 3:
    fail("expected rules.json and at least 2 steps in rules/demo, found %d" % len(demo))
for f in files + demo:
    rel = os.path.relpath(f, ROOT)
    try:
        doc = load(f)
    except ValueError as e:
        fail("%s: not JSON: %s" % (rel, e))
        continue
    errors = list(validator.iter_errors(doc))
    for e in errors:
        fail("%s: %s: %s" % (rel, path_str(e.absolute_path), e.message))
    if not errors:
        print("ok   %s validates" % rel)
    if not isinstance(doc.get("$comment"), str) or len(doc["$comment"]) < 40:
        fail("%s: no top-level $comment explaining it" % rel)

# The base of every synthetic document below: valid, with "$comment" in every
# kind of object (top level, listener, shards map, shard, route, target, shadow).
BASE = {
    "$comment": "c",
    "schema": "keysteer/v1",
    "version": 42,
    "listeners": [
        {"$comment": "c", "vip": "203.0.113.10", "port": 7000, "proto": "udp"},
        {"vip": "203.0.113.10", "port": 7443, "proto": "tcp"},
    ],
    "shards": {
        "$comment": "c",
        "cw-default": {"$comment": "c", "vip": "10.1.0.10", "port": 8080, "steer": "gue", "capacity": 4},
        "cw-cell-2": {"vip": "10.1.0.20", "port": 8080, "capacity": 1},
        "cw-cell-3": {"vip": "2001:db8::3", "port": 8080, "steer": "ipip"},
        "fraud-v7": {"vip": "10.2.0.7", "port": 9000, "steer": "nat"},
    },
    "routes": [
        {
            "$comment": "c",
            "key": "ContinueWatchingRanking/ab12345/cell1",
            "to": [{"$comment": "c", "shard": "cw-default", "weight": 95}, {"shard": "cw-cell-2", "weight": 5}],
            "sticky": "entity",
            "shadow": {"$comment": "c", "shard": "cw-cell-3", "percent": 10},
        },
        {"key": "0x9f3a00c2d41e7b05", "to": [{"shard": "fraud-v7"}]},
        {"key": "canary", "to": [{"shard": "cw-default"}, {"shard": "cw-cell-2"}], "weights": "capacity"},
    ],
    "default": "drop",
}

# "default" is optional (drop): the base without it is valid too.
no_default = copy.deepcopy(BASE)
del no_default["default"]
for e in validator.iter_errors(no_default):
    fail("document without default: %s: %s" % (path_str(e.absolute_path), e.message))

base_errors = list(validator.iter_errors(BASE))
for e in base_errors:
    fail("base document: %s: %s" % (path_str(e.absolute_path), e.message))
if not base_errors:
    print("ok   base document with $comment in every kind of object validates")

# 5. Demo feed versions increase; shard-move v1 -> v2 is only a vip change.
def step_number(p):
    m = re.match(r"step-(\d+)-", os.path.basename(p))
    if not m:
        fail("%s: demo steps are named step-N-what.json" % os.path.relpath(p, ROOT))
        return 0
    return int(m.group(1))


steps = sorted((p for p in demo if os.path.basename(p) != "rules.json"), key=step_number)
versions = [load(p)["version"] for p in [os.path.join(ROOT, "rules", "demo", "rules.json")] + steps]
if versions != sorted(set(versions)):
    fail("rules/demo versions do not increase: %s" % versions)
else:
    print("ok   rules/demo versions increase: %s" % versions)

# The key table in rules/demo/README.md: right hashes, every demo key listed.
def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


with open(os.path.join(ROOT, "rules", "demo", "README.md"), encoding="utf-8") as f:
    listed = dict(re.findall(r"^\| `([^`]+)` \| `(0x[0-9a-f]{16})` \|$", f.read(), re.M))
demo_keys = {r["key"] for p in demo for r in load(p)["routes"]}
for key in sorted(demo_keys):
    if key not in listed:
        fail("rules/demo/README.md does not list the hash of %s" % key)
    elif int(listed[key], 16) != fnv1a64(key):
        fail("rules/demo/README.md: hash of %s is 0x%016x, not %s" % (key, fnv1a64(key), listed[key]))
if demo_keys and all(k in listed for k in demo_keys):
    print("ok   rules/demo/README.md lists the right hash of every demo key")

mv1 = load(os.path.join(ROOT, "rules", "examples", "shard-move-v1.json"))
mv2 = load(os.path.join(ROOT, "rules", "examples", "shard-move-v2.json"))
moved = [n for n in mv1["shards"] if n != "$comment" and mv1["shards"][n]["vip"] != mv2["shards"].get(n, {}).get("vip")]
rest1, rest2 = copy.deepcopy(mv1), copy.deepcopy(mv2)
for d in (rest1, rest2):
    del d["version"]
    for n in moved:
        del d["shards"][n]["vip"]
if len(moved) != 1 or rest1 != rest2 or not mv2["version"] > mv1["version"]:
    fail("shard-move-v1/v2 must differ only in a higher version and one shard's vip (moved: %s)" % moved)
else:
    routed = [r["key"] for r in mv1["routes"] if any(t["shard"] == moved[0] for t in r["to"])]
    print("ok   shard-move: only %s's vip changes; keys that follow it: %s" % (moved[0], routed))


# 6. Invalid documents: (name, mutation, expected path, expected keyword).
def setp(path, value):
    def mutate(doc):
        node = doc
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
    return mutate


def delp(path):
    def mutate(doc):
        node = doc
        for p in path[:-1]:
            node = node[p]
        del node[path[-1]]
    return mutate


def nine_targets(doc):
    doc["routes"][0]["to"] = [{"shard": "cw-default", "weight": 1} for _ in range(9)]


def many_listeners(doc):
    doc["listeners"] = [{"vip": "10.0.%d.%d" % (i // 250, i % 250 + 1), "port": 7000, "proto": "udp"}
                        for i in range(257)]


def many_shards(doc):
    for i in range(4096):
        doc["shards"]["s%d" % i] = {"vip": "10.3.%d.%d" % (i // 250, i % 250 + 1), "port": 8080}


def ipv6_listener(doc):
    doc["listeners"] = [{"vip": "2001:db8:100::10", "port": 7000, "proto": "udp"}]


CASES = [
    ("schema name", setp(["schema"], "keysteer/v2"), "schema", "const"),
    ("version as string", setp(["version"], "42"), "version", "type"),
    ("version 0", setp(["version"], 0), "version", "minimum"),
    ("version not integer", setp(["version"], 1.5), "version", "type"),
    ("listeners not an array", setp(["listeners"], {"vip": "10.0.0.1"}), "listeners", "type"),
    ("unknown top-level field", setp(["defualt"], "drop"), "$", "additionalProperties"),
    ("unknown listener field", setp(["listeners", 0, "protocol"], "udp"), "listeners[0]", "additionalProperties"),
    ("unknown shard field", setp(["shards", "cw-default", "stear"], "gue"), "shards.cw-default", "additionalProperties"),
    ("unknown route field", setp(["routes", 0, "weight"], 5), "routes[0]", "additionalProperties"),
    ("unknown target field", setp(["routes", 0, "to", 1, "weigth"], 5), "routes[0].to[1]", "additionalProperties"),
    ("unknown shadow field", setp(["routes", 0, "shadow", "rate"], 5), "routes[0].shadow", "additionalProperties"),
    ("$comment not a string", setp(["routes", 0, "$comment"], 7), "routes[0].$comment", "type"),
    ("shards $comment not a string", setp(["shards", "$comment"], ["x"]), "shards.$comment", "type"),
    ("listener port 0", setp(["listeners", 0, "port"], 0), "listeners[0].port", "minimum"),
    ("listener port 65536", setp(["listeners", 1, "port"], 65536), "listeners[1].port", "maximum"),
    ("listener port as string", setp(["listeners", 0, "port"], "7000"), "listeners[0].port", "type"),
    ("shard port 70000", setp(["shards", "cw-cell-2", "port"], 70000), "shards.cw-cell-2.port", "maximum"),
    ("bad IPv4 address", setp(["shards", "cw-default", "vip"], "10.1.0.300"), "shards.cw-default.vip", "anyOf"),
    ("bad IPv6 address", setp(["listeners", 0, "vip"], "2001:db8::1::2"), "listeners[0].vip", "anyOf"),
    ("address with prefix", setp(["shards", "cw-default", "vip"], "10.1.0.0/24"), "shards.cw-default.vip", "anyOf"),
    ("hostname as address", setp(["listeners", 0, "vip"], "edge.example"), "listeners[0].vip", "anyOf"),
    ("bad proto", setp(["listeners", 0, "proto"], "sctp"), "listeners[0].proto", "enum"),
    ("bad steer", setp(["shards", "cw-default", "steer"], "vxlan"), "shards.cw-default.steer", "enum"),
    ("capacity 0", setp(["shards", "cw-default", "capacity"], 0), "shards.cw-default.capacity", "minimum"),
    ("capacity 2^32", setp(["shards", "cw-default", "capacity"], 2**32), "shards.cw-default.capacity", "maximum"),
    ("capacity not integer", setp(["shards", "cw-default", "capacity"], 2.5), "shards.cw-default.capacity", "type"),
    ("shard not an object", setp(["shards", "cw-cell-2"], "10.1.0.20"), "shards.cw-cell-2", "type"),
    ("empty shard name", setp(["shards", ""], {"vip": "10.1.0.9", "port": 1}), "shards", "minLength"),
    ("too many targets", nine_targets, "routes[0].to", "maxItems"),
    ("no targets", setp(["routes", 1, "to"], []), "routes[1].to", "minItems"),
    ("negative weight", setp(["routes", 0, "to", 1, "weight"], -1), "routes[0].to[1].weight", "minimum"),
    ("weight 2^32", setp(["routes", 0, "to", 1, "weight"], 2**32), "routes[0].to[1].weight", "maximum"),
    ("non-integer weight", setp(["routes", 0, "to", 1, "weight"], 0.5), "routes[0].to[1].weight", "type"),
    ("weights sum to zero", setp(["routes", 0, "to"], [{"shard": "cw-default", "weight": 0},
                                                       {"shard": "cw-cell-2", "weight": 0}]), "routes[0].to", "contains"),
    ("weight beside weights=capacity", setp(["routes", 2, "to", 0, "weight"], 3), "routes[2].to[0]", "not"),
    ("bad weights mode", setp(["routes", 2, "weights"], "equal"), "routes[2].weights", "const"),
    ("bad sticky", setp(["routes", 0, "sticky"], "session"), "routes[0].sticky", "enum"),
    ("empty key", setp(["routes", 1, "key"], ""), "routes[1].key", "minLength"),
    ("key not a string", setp(["routes", 1, "key"], 11474258079432440581), "routes[1].key", "type"),
    ("shadow percent 0", setp(["routes", 0, "shadow", "percent"], 0), "routes[0].shadow.percent", "exclusiveMinimum"),
    ("shadow percent 101", setp(["routes", 0, "shadow", "percent"], 101), "routes[0].shadow.percent", "maximum"),
    ("bad default", setp(["default"], "reject"), "default", "enum"),
    ("missing schema", delp(["schema"]), "$", "required"),
    ("missing version", delp(["version"]), "$", "required"),
    ("missing listeners", delp(["listeners"]), "$", "required"),
    ("missing shards", delp(["shards"]), "$", "required"),
    ("missing routes", delp(["routes"]), "$", "required"),
    ("listener without proto", delp(["listeners", 1, "proto"]), "listeners[1]", "required"),
    ("shard without vip", delp(["shards", "cw-cell-2", "vip"]), "shards.cw-cell-2", "required"),
    ("shard without port", delp(["shards", "cw-cell-2", "port"]), "shards.cw-cell-2", "required"),
    ("route without key", delp(["routes", 0, "key"]), "routes[0]", "required"),
    ("route without to", delp(["routes", 1, "to"]), "routes[1]", "required"),
    ("target without shard", delp(["routes", 0, "to", 0, "shard"]), "routes[0].to[0]", "required"),
    ("shadow without shard", delp(["routes", 0, "shadow", "shard"]), "routes[0].shadow", "required"),
    ("shadow without percent", delp(["routes", 0, "shadow", "percent"]), "routes[0].shadow", "required"),
    ("duplicate listener", setp(["listeners", 1], {"vip": "203.0.113.10", "port": 7000, "proto": "udp",
                                                   "$comment": "c"}), "listeners", "uniqueItems"),
    ("too many listeners", many_listeners, "listeners", "maxItems"),
    ("too many shards", many_shards, "shards", "maxProperties"),
    ("nat to IPv6 behind IPv4 listeners", setp(["shards", "fraud-v7", "vip"], "2001:db8::7"),
     "shards.fraud-v7.vip", "not"),
    ("nat to IPv4 behind an IPv6 listener", ipv6_listener, "shards.fraud-v7.vip", "pattern"),
]

for name, mutate, want_path, want_keyword in CASES:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    # Flatten: an error inside anyOf/allOf/if-then is reported at its own path.
    seen = []
    stack = list(validator.iter_errors(doc))
    while stack:
        e = stack.pop()
        seen.append((path_str(e.absolute_path), e.validator))
        stack.extend(e.context or [])
    if not seen:
        fail("invalid document accepted: %s" % name)
    elif (want_path, want_keyword) not in seen:
        fail("%s: rejected, but not at %s (%s); errors: %s" % (name, want_path, want_keyword, seen))
    else:
        print("ok   rejects %s: %s (%s)" % (name, want_path, want_keyword))

# DESIGN.md's example rule set, verbatim: a nat shard on IPv6 behind IPv4
# listeners. (Its shadow to the undefined "cw-cell-3" is the compiler's to
# reject: a schema cannot check a name against the keys of another object.)
DESIGN_EXAMPLE = json.loads("""
{
  "schema": "keysteer/v1",
  "version": 42,
  "listeners": [
    {"vip": "203.0.113.10", "port": 7000, "proto": "udp"},
    {"vip": "203.0.113.10", "port": 7443, "proto": "tcp"}
  ],
  "shards": {
    "cw-default": {"vip": "10.1.0.10", "port": 8080, "steer": "gue", "capacity": 4},
    "cw-cell-2":  {"vip": "10.1.0.20", "port": 8080, "capacity": 1},
    "fraud-v7":   {"vip": "2001:db8::7", "port": 9000, "steer": "nat"}
  },
  "routes": [
    {"key": "ContinueWatchingRanking/ab12345/cell1",
     "to": [{"shard": "cw-default", "weight": 95}, {"shard": "cw-cell-2", "weight": 5}],
     "sticky": "entity",
     "shadow": {"shard": "cw-cell-3", "percent": 10}},
    {"key": "0x9f3a00c2d41e7b05", "to": [{"shard": "fraud-v7"}]}
  ],
  "default": "drop"
}
""")
design_errors = [path_str(e.absolute_path) for e in validator.iter_errors(DESIGN_EXAMPLE)]
if design_errors != ["shards.fraud-v7.vip"]:
    fail("DESIGN.md example: expected exactly the nat family error, got %s" % design_errors)
else:
    print("ok   DESIGN.md example rejected: shards.fraud-v7.vip (nat across families)")

# The complete rule set at the top of docs/rules.md (DESIGN.md's example with
# its two mistakes fixed) validates.
with open(os.path.join(ROOT, "docs", "rules.md"), encoding="utf-8") as f:
    m = re.search(r"```json\n(.*?)```", f.read(), re.S)
if not m:
    fail("docs/rules.md has no ```json example")
else:
    doc_errors = ["%s: %s" % (path_str(e.absolute_path), e.message)
                  for e in validator.iter_errors(json.loads(m.group(1)))]
    if doc_errors:
        fail("docs/rules.md example: %s" % doc_errors)
    else:
        print("ok   docs/rules.md example validates")

n_checks = len(CASES)
if failures:
    print("check_schema: %d failure(s)" % len(failures))
    sys.exit(1)
print("check_schema: all passed (%d examples/demo files, %d invalid documents)" % (len(files) + len(demo), n_checks))
