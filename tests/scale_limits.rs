//! Limits past which an index would wrap are refused, with the limit stated, instead of
//! silently mixing two things up (16-bit ids: 65,536 of anything wrapped to 0).

mod common;

use common::errors_with;

const N: usize = 65_536;

/// A scenario header with one relation variable and two actors related both ways.
const HEAD: &str = "[scenario]\nsteps = 2\n[variables]\nt = { of = \"relation\", default = 0.5 }\n";

fn errors_of(text: &str, csv: Option<&str>) -> String {
    match csv {
        Some(rows) => errors_with(&[("s.toml", text), ("r.csv", rows)], "s.toml"),
        None => errors_with(&[("s.toml", text)], "s.toml"),
    }
}

#[test]
fn more_actions_than_ids_are_refused() {
    let mut text = format!("{HEAD}[actors.A]\n[actors.B]\n");
    for i in 0..N {
        text.push_str(&format!("[actions.a{i:05}]\n"));
    }
    let e = errors_of(&text, None);
    assert!(
        e.contains("too many actions: 65536") && e.contains("at most 65535"),
        "{e}"
    );
}

#[test]
fn more_relation_kinds_than_ids_are_refused() {
    let mut rows = String::from("from,to,kind\n");
    for i in 0..N {
        rows.push_str(&format!("a{i},a{},k{i:05}\n", i + 1));
    }
    let text = format!("{HEAD}[[relation_files]]\npath = \"r.csv\"\ncreate_actors = true\n");
    let e = errors_of(&text, Some(&rows));
    assert!(
        e.contains("too many relation kinds: 65536") && e.contains("at most 65535"),
        "{e}"
    );
}

#[test]
fn more_actor_kinds_than_ids_are_refused() {
    let mut text = HEAD.to_string();
    for i in 0..N {
        text.push_str(&format!("[actors.a{i:05}]\nkind = \"k{i:05}\"\n"));
    }
    let e = errors_of(&text, None);
    assert!(
        e.contains("too many actor kinds: 65536") && e.contains("at most 65535"),
        "{e}"
    );
}

#[test]
fn more_variables_than_ids_are_refused_where_the_limit_is_passed() {
    let mut text = String::from("[scenario]\nsteps = 2\n[variables]\n");
    for i in 0..N {
        text.push_str(&format!("v{i:05} = {{ of = \"relation\" }}\n"));
    }
    text.push_str("[actors.A]\n");
    let e = errors_of(&text, None);
    // Located at the first variable past the limit (line 3 + 65,535), with the numbers.
    assert!(
        e.contains(&format!("s.toml:{}:", 3 + N))
            && e.contains("too many relation variables")
            && e.contains("at most 65535"),
        "{e}"
    );
}

#[test]
fn more_aggregates_than_slots_are_refused() {
    // `count(out(aN))` is a different aggregate for every actor.
    let mut rows = String::from("from,to\n");
    for i in 0..N {
        rows.push_str(&format!("a{i},a{}\n", i + 1));
    }
    let mut text = format!(
        "{HEAD}[[relation_files]]\npath = \"r.csv\"\ncreate_actors = true\n[report.series]\n"
    );
    for i in 0..N {
        text.push_str(&format!("s{i} = \"count(out(a{i}))\"\n"));
    }
    let e = errors_of(&text, Some(&rows));
    assert!(e.contains("too many different aggregates"), "{e}");
}
