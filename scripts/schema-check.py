#!/usr/bin/env python3
"""Checks detente's JSON Schema (docs/detente.schema.json, the output of `detente schema`, which
tests/schema.rs keeps current) with python-jsonschema, the reference validator:

- the schema is valid draft-07 (against the draft's metaschema);
- every shipped scenario (scenarios/**/*.toml) validates, and so does every TOML example of the
  format reference and the README that is a whole scenario file (it starts with a table header
  and has a scenario table; a block of bare keys is a fragment, and `.taplo.toml` another tool's
  file, and both are passed over);
- the cases below: files that must validate (the newer constructs: `on` tables, shocks,
  `once_per_step`, spill `hops`, dynamics limited to actors or relations, `[expect]`, `[add]`),
  and files that must not, each failing where and why it says (an unknown `[scenario]` key, an
  unknown effect key, a wrong type, ...).

TOML is read with the standard library's tomllib (Python 3.11+). Usage, from anywhere:
    scripts/schema-check.py        (needs `pip install jsonschema`; .ci/run installs it if missing)
Prints one line per failure and a closing `N passed, N failed`; exits 1 if any failed.
"""
import glob
import json
import os
import re
import sys
import tomllib

from jsonschema import Draft7Validator

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
os.chdir(ROOT)

with open("docs/detente.schema.json", encoding="utf-8") as f:
    SCHEMA = json.load(f)

# Files that must validate: (name, TOML text).
GOOD = [
    ("minimal", '[scenario]\nsteps = 10\n'),
    (
        "every scenario key",
        """
[scenario]
name = "n"
description = "d"
steps = "years * 52"
time_unit = "week"
dt = 0.5
seed = 42
extends = "base.toml"
max_actions_per_step = 3
""",
    ),
    (
        "parameters in their three forms",
        """
[parameters]
decay = 0.1
half_life = "0.693 / decay"
cap = { value = "2 * decay", description = "long form" }
""",
    ),
    (
        "actors and relations take variable values",
        """
[variables]
tension = { of = "relation", default = 0.5, range = [0, "top"] }
resolve = { of = "actor" }
[actors.LTU]
name = "Lithuania"
kind = "state"
resolve = 0.8
max_actions_per_step = 2
[actors."Łódź"]
resolve = "base + 0.1"
[[relations]]
from = "LTU"
to = "Łódź"
kind = "neighbor"
tension = 0.8
""",
    ),
    (
        "effect on named actors, relations and kinds",
        """
[actions.repatriation_flights]
once_per_step = true
effects = [
  { var = "migration_pressure", on = { actor = "POL" }, add = -0.05 },
  { var = "migration_pressure", on = { actor = ["POL", "LTU"] }, add = -0.05 },
  { var = "tension", on = { relation = ["POL", "BLR"] }, add = 0.1 },
  { var = "tension", on = { relation = [["POL", "BLR"], ["LTU", "BLR"]] }, add = 0.1 },
  { var = "resolve", on = { actor_kind = "state" }, add = 0.01 },
  { var = "tension", on = { relation_kind = "neighbor" }, add = 0.01, delay = "lag", duration = 4 },
  { var = "tension", on = "both", add = "-k", spill = { kind = "member", factor = 0.5, hops = 2 } },
]
""",
    ),
    (
        "a reaction aimed elsewhere, and dynamics on named actors and relations",
        """
[rules.retaliate]
actor = "BLR"
action = "press"
reacts_to = "sanctions"
target = "POL"
when = "tension(self, target) > 0.6"
probability = "p"
cooldown = 4
priority = -1
enabled = true
[rules.always]
actor_kind = "state"
action = "talk"
target_relation = "*"
when = true
[dynamics.drift]
var = "resolve"
add = "-0.01 * resolve"
actors = ["LTU", "POL"]
[dynamics.cool]
var = "tension"
add = -0.01
relations = [["LTU", "BLR"], ["POL", "BLR"]]
kind = "neighbor"
""",
    ),
    (
        "events and shocks",
        """
[events.surge]
actor = "BLR"
action = "push_migrants"
target = "LTU"
at = [10, "wave + 4"]
[events.background]
actor = "BLR"
action = "push_migrants"
rate = 0.05
from = 1
until = "steps_half"
[shocks.invasion]
description = "an exogenous war"
enabled = true
at = 12
effects = [
  { var = "tension", on = { relation_kind = "neighbor" }, add = 0.2, duration = 8 },
  { var = "resolve", on = { actor = "LTU" }, add = 0.1, spill = { kind = "ally", factor = 0.5 } },
]
[shocks.storms]
rate = "storm_rate"
from = "5"
until = 50
effects = [{ var = "trade", on = { actor_kind = "state" }, add = -0.1 }]
""",
    ),
    (
        "outcomes, report, sweep",
        """
[outcomes]
calm = "tension(A, B) < 0.3 for 8 steps"
crisis = { when = "tension(A, B) > 0.95", description = "border crisis" }
[report]
series = { t = "tension(A, B)", m = "mean(tension, all)" }
[sweep]
design = "sobol"
points = 64
runs = 10
seed = 1
design_seed = 2
metrics = ["outcome.calm", "final.t"]
vary.a = { range = [0, 1] }
vary.b = { values = [1, 2, 3], whole = true }
""",
    ),
    (
        "[expect]: settings, short and long forms",
        """
[expect]
runs = 1000
seed = 7
never_crisis = "never crisis"
[expect.calm_likely]
that = "P(calm) > 0.5"
description = "calm is the likely end"
enabled = false
""",
    ),
    (
        "a variant adds under [add]",
        """
[scenario]
extends = "baseline.toml"
[rules.eu_sanctions]
enabled = false
[add.parameters]
relief = 0.02
[add.actions.monitoring]
effects = [{ var = "tension", on = "both", add = "-relief", duration = 13 }]
[[add.relations]]
from = "LTU"
to = "POL"
[add.shocks.flood]
at = 3
effects = [{ var = "x", on = { actor = "LTU" }, add = 1 }]
[add.expect.claim]
that = "P(calm) > 0.1"
[add.report]
series = { x = "x(LTU)" }
""",
    ),
]

# Files that must not validate: (name, TOML text, where the error is, what it says). A case
# passes only if some error is at that path and its message contains that text, so a case that
# fails for another reason (a typo in the case) does not pass by accident.
BAD = [
    (
        "unknown key in an expectation",
        '[expect.calm]\nthat = "P(calm) > 0.5"\nthreshold = 1\n',
        "expect/calm",
        "'threshold' was unexpected",
    ),
    ("expectation runs as text", '[expect]\nruns = "many"\n', "expect/runs", "is not of type"),
    ("unknown [scenario] key", "[scenario]\nstpes = 10\n", "scenario", "'stpes' was unexpected"),
    (
        "unknown effect key",
        '[actions.a]\neffects = [{ var = "x", on = "actor", add = 1, dela = 2 }]\n',
        "actions/a/effects/0",
        "'dela' was unexpected",
    ),
    ("wrong type: seed as text", '[scenario]\nseed = "forty-two"\n', "scenario/seed", "is not of type"),
    ("wrong type: steps as a condition", "[scenario]\nsteps = true\n", "scenario/steps", "is not of type"),
    ("wrong type: enabled as text", '[rules.r]\nenabled = "yes"\n', "rules/r/enabled", "is not of type"),
    (
        "wrong type: effects as one table",
        '[actions.a]\neffects = { var = "x", on = "actor", add = 1 }\n',
        "actions/a/effects",
        "is not of type 'array'",
    ),
    ("unknown top-level table", "[rule.r]\naction = \"a\"\n", "", "'rule' was unexpected"),
    ("unknown [report] key", '[report]\ncharts = ["fan"]\n', "report", "'charts' was unexpected"),
    (
        "unknown key in a rule",
        '[rules.r]\naction = "a"\ntargets = "B"\n',
        "rules/r",
        "'targets' was unexpected",
    ),
    (
        "unknown spill key",
        '[actions.a]\neffects = [{ var = "x", on = "actor", add = 1, spill = { kind = "k", factor = 1, hop = 2 } }]\n',
        "actions/a/effects/0/spill",
        "'hop' was unexpected",
    ),
    (
        "spill hops below 1",
        '[actions.a]\neffects = [{ var = "x", on = "actor", add = 1, spill = { kind = "k", factor = 1, hops = 0 } }]\n',
        "actions/a/effects/0/spill/hops",
        "less than the minimum",
    ),
    (
        "effect on nowhere",
        '[actions.a]\neffects = [{ var = "x", on = "sideways", add = 1 }]\n',
        "actions/a/effects/0/on",
        "is not valid under any of the given schemas",
    ),
    (
        "effect on two named places at once",
        '[actions.a]\neffects = [{ var = "x", on = { actor = "A", actor_kind = "state" }, add = 1 }]\n',
        "actions/a/effects/0/on",
        "is not valid under any of the given schemas",
    ),
    (
        "effect on a relation of three actors",
        '[actions.a]\neffects = [{ var = "x", on = { relation = ["A", "B", "C"] }, add = 1 }]\n',
        "actions/a/effects/0/on",
        "is not valid under any of the given schemas",
    ),
    (
        "effect without add",
        '[actions.a]\neffects = [{ var = "x", on = "actor" }]\n',
        "actions/a/effects/0",
        "'add' is a required property",
    ),
    (
        "once_per_step as text",
        '[actions.a]\nonce_per_step = "yes"\n',
        "actions/a/once_per_step",
        "is not of type 'boolean'",
    ),
    (
        "a shock's effect relative to an actor it does not have",
        '[shocks.s]\nat = 1\neffects = [{ var = "x", on = "actor", add = 1 }]\n',
        "shocks/s/effects/0/on",
        "is not of type 'object'",
    ),
    ("unknown shock key", "[shocks.s]\nat = 1\nactor = \"A\"\n", "shocks/s", "'actor' was unexpected"),
    (
        "dynamics relations not pairs",
        '[dynamics.d]\nvar = "x"\nadd = 1\nrelations = ["LTU", "BLR"]\n',
        "dynamics/d/relations/0",
        "is not of type 'array'",
    ),
    ("variable of something else", '[variables]\nx = { of = "edge" }\n', "variables/x/of", "is not one of"),
    ("variable without of", "[variables]\nx = { default = 1 }\n", "variables/x", "'of' is a required property"),
    (
        "parameter long form with an unknown key",
        '[parameters]\np = { value = 1, desc = "x" }\n',
        "parameters/p",
        "'desc' was unexpected",
    ),
    ("relation without to", '[[relations]]\nfrom = "A"\n', "relations/0", "'to' is a required property"),
    ("a name with a space", '[rules."talk now"]\naction = "a"\n', "rules", "does not match"),
    ("event at step 0", '[events.e]\nactor = "A"\naction = "a"\nat = [0]\n', "events/e/at/0", "less than the minimum"),
    (
        "event rate above 1",
        '[events.e]\nactor = "A"\naction = "a"\nrate = 1.5\n',
        "events/e/rate",
        "greater than the maximum",
    ),
    ("unknown sweep design", '[sweep]\ndesign = "random"\n', "sweep/design", "is not one of"),
    (
        "unknown key in a sweep's vary",
        "[sweep]\nvary.p = { range = [0, 1], step = 0.1 }\n",
        "sweep/vary/p",
        "'step' was unexpected",
    ),
    ("[add.scenario] is not an addition", '[add.scenario]\nsteps = 3\n', "add", "'scenario' was unexpected"),
    ("CAMEO code as a number", "[actions.a]\ncameo = 41\n", "actions/a/cameo", "is not of type 'string'"),
]


def errors(data):
    return list(Draft7Validator(SCHEMA).iter_errors(data))


def where(error):
    return "/".join(str(p) for p in error.absolute_path)


def show(error):
    return f"  at /{where(error)}: {error.message[:300]}"


passed, failed = 0, 0


def result(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}{detail}")


try:
    Draft7Validator.check_schema(SCHEMA)
    result("the schema is valid draft-07", True)
except Exception as e:  # jsonschema.SchemaError, with the metaschema's complaint
    result("the schema is valid draft-07", False, f"\n  {e}")

for path in sorted(glob.glob("scenarios/**/*.toml", recursive=True)):
    with open(path, "rb") as f:
        found = errors(tomllib.load(f))
    result(path, not found, "".join("\n" + show(e) for e in found))

for doc in ["docs/scenario-format.md", "README.md"]:
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    for m in re.finditer(r"```toml\n(.*?)```", text, re.S):
        body = m.group(1)
        first = next((l for l in body.splitlines() if l.strip() and not l.startswith("#")), "")
        data = tomllib.loads(body)
        # A fragment (bare keys) or another tool's file (`.taplo.toml`) is no scenario.
        if not first.startswith("[") or not set(data) & set(SCHEMA["properties"]):
            continue
        line = text[: m.start()].count("\n") + 1
        found = errors(data)
        result(f"{doc}:{line}", not found, "".join("\n" + show(e) for e in found))

for name, text in GOOD:
    found = errors(tomllib.loads(text))
    result(f"valid: {name}", not found, "".join("\n" + show(e) for e in found))

for name, text, path, says in BAD:
    found = errors(tomllib.loads(text))
    hit = any(where(e) == path and says in e.message for e in found)
    detail = f": expected an error at /{path} saying `{says}`; got" + (
        "".join("\n" + show(e) for e in found) or " none"
    )
    result(f"invalid: {name}", hit, detail)

print(f"schema-check: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
