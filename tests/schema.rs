//! `detente schema`: the JSON Schema editors validate scenarios with. Here: the shipped copy is
//! current, `-o` writes it, its tables are closed where the format's are, and it lists exactly
//! the keys the scenario reader takes. That files validate against it (every shipped scenario
//! does, broken ones do not) is checked with a real validator by `scripts/schema-check.py`,
//! which `.ci/run` runs.

use assert_cmd::Command;
use detente::diag::FileId;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;

fn detente() -> Command {
    Command::cargo_bin("detente").expect("binary builds")
}

fn schema() -> Value {
    serde_json::from_str(&detente::spec::json_schema()).expect("the schema is JSON")
}

#[test]
fn the_shipped_schema_is_current() {
    let out = detente().arg("schema").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed, detente::spec::json_schema());
    let shipped = fs::read_to_string("docs/detente.schema.json").unwrap();
    assert!(
        shipped == printed,
        "docs/detente.schema.json is stale: run `cargo run -- schema -o docs/detente.schema.json`"
    );
}

#[test]
fn schema_out_writes_the_file_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("detente.schema.json");
    fs::write(&path, "old").unwrap();
    detente()
        .args(["schema", "-o"])
        .arg(&path)
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        detente::spec::json_schema()
    );
    // A folder is not a file to write: refused, and nothing is written.
    detente()
        .args(["schema", "--out"])
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn the_schema_is_draft_07_and_describes_every_key() {
    let s = schema();
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    let mut undescribed = Vec::new();
    walk(&s, "", &mut |path, node| {
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (key, p) in properties {
            let described = p.get("description").is_some() || p.get("$ref").is_some();
            if !described {
                undescribed.push(format!("{path}/properties/{key}"));
            }
        }
    });
    assert!(
        undescribed.is_empty(),
        "keys without a description: {undescribed:?}"
    );
}

/// The tables open to keys the schema does not list: an actor's and a relation's (their keys
/// include the scenario's variables), `[expect]` (its settings, then expectations by name) and the
/// tables of named items (whose keys are the items' names).
#[test]
fn only_actor_and_relation_tables_take_unlisted_keys() {
    let s = schema();
    let mut open = Vec::new();
    walk(&s, "", &mut |path, node| {
        let is_table = node.get("type").is_some_and(|t| {
            t == "object"
                || t.as_array()
                    .is_some_and(|a| a.iter().any(|t| t == "object"))
        });
        if is_table && node.get("additionalProperties") != Some(&Value::Bool(false)) {
            let named = node.get("propertyNames").is_some() && node.get("properties").is_none();
            if !named {
                open.push(path.to_string());
            }
        }
    });
    open.sort();
    assert_eq!(
        open,
        [
            "/definitions/actors",
            "/definitions/actors/additionalProperties",
            "/definitions/expect",
            "/definitions/relations/items",
        ]
    );
}

/// Keys the schema lists ahead of the reader (none now).
const PENDING: &[(&str, &str)] = &[];

/// For each fixed table: where it is in the schema, and a file with an unknown key in it, so
/// that the reader's error lists the keys it takes.
const TABLES: &[(&str, &str)] = &[
    ("", "zzqx = 1\n"),
    ("/definitions/scenario", "[scenario]\nzzqx = 1\n"),
    (
        "/definitions/variables/additionalProperties",
        "[variables]\nv = { of = \"actor\", zzqx = 1 }\n",
    ),
    (
        "/definitions/relation_files/items",
        "[[relation_files]]\npath = \"r.csv\"\nzzqx = 1\n",
    ),
    ("/definitions/actions/additionalProperties", "[actions.a]\nzzqx = 1\n"),
    (
        "/definitions/effect",
        "[actions.a]\neffects = [{ var = \"x\", on = \"actor\", add = 1, zzqx = 1 }]\n",
    ),
    (
        "/definitions/effect/properties/spill",
        "[actions.a]\neffects = [{ var = \"x\", on = \"actor\", add = 1, spill = { kind = \"k\", factor = 1, zzqx = 1 } }]\n",
    ),
    ("/definitions/rules/additionalProperties", "[rules.r]\nzzqx = 1\n"),
    ("/definitions/dynamics/additionalProperties", "[dynamics.d]\nzzqx = 1\n"),
    ("/definitions/events/additionalProperties", "[events.e]\nzzqx = 1\n"),
    ("/definitions/shocks/additionalProperties", "[shocks.s]\nzzqx = 1\n"),
    (
        "/definitions/outcomes/additionalProperties",
        "[outcomes]\no = { when = \"true\", zzqx = 1 }\n",
    ),
    ("/definitions/sweep", "[sweep]\nzzqx = 1\n"),
    (
        "/definitions/sweep/properties/vary/additionalProperties",
        "[sweep]\nvary.p = { range = [0, 1], zzqx = 1 }\n",
    ),
];

/// The keys the reader takes where `text` has its unknown key, from its error's hint
/// ("expected one of: a, b, c").
fn reader_keys(text: &str) -> BTreeSet<String> {
    let mut errors = Vec::new();
    detente::spec::parse_file(FileId(0), text, &mut |d| errors.push(d)).unwrap();
    assert_eq!(errors.len(), 1, "{text}: {errors:?}");
    assert_eq!(errors[0].message, "unknown key `zzqx`", "{text}");
    let hint = errors[0].hint.as_deref().unwrap_or_default();
    let list = hint
        .strip_prefix("expected one of: ")
        .unwrap_or_else(|| panic!("{text}: hint `{hint}`"));
    list.split(", ").map(str::to_string).collect()
}

#[test]
fn the_schema_lists_exactly_the_keys_the_reader_takes() {
    let s = schema();
    for (pointer, text) in TABLES {
        let table = s.pointer(pointer).unwrap_or_else(|| panic!("no {pointer}"));
        let listed: BTreeSet<String> = table["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{pointer} has no properties"))
            .keys()
            .cloned()
            .collect();
        let read = reader_keys(text);
        let missing: Vec<_> = read.difference(&listed).collect();
        assert!(
            missing.is_empty(),
            "{pointer}: the reader takes {missing:?}, which the schema does not list"
        );
        let extra: Vec<_> = listed
            .difference(&read)
            .filter(|k| !PENDING.contains(&(pointer, k.as_str())))
            .collect();
        assert!(
            extra.is_empty(),
            "{pointer}: the schema lists {extra:?}, which the reader refuses"
        );
    }
}

#[test]
fn report_takes_only_series() {
    let mut errors = Vec::new();
    detente::spec::parse_file(FileId(0), "[report]\nzzqx = 1\n", &mut |d| errors.push(d)).unwrap();
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("[report] takes only `series`")
    );
    let s = schema();
    let keys: Vec<&String> = s["definitions"]["report"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["series"]);
}

/// Calls `visit` on every object of the schema, with its JSON pointer.
fn walk(node: &Value, path: &str, visit: &mut dyn FnMut(&str, &Value)) {
    match node {
        Value::Object(map) => {
            visit(path, node);
            for (k, v) in map {
                walk(v, &format!("{path}/{k}"), visit);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}/{i}"), visit);
            }
        }
        _ => {}
    }
}
