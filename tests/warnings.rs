//! Warnings: what compiles but is probably not what was meant. They never stop a model from
//! compiling and never change a run; `--deny-warnings` (see `cli.rs`) turns them into errors.

mod common;

use detente::{MemorySources, Overrides};

/// A scenario with actors `ids` (declared as tables) in a chain of relations.
fn chain(ids: &[&str]) -> String {
    let mut s = String::from(
        "[scenario]\nsteps = 3\n[variables]\ntension = { of = \"relation\", default = 0.5 }\n",
    );
    for id in ids {
        s += &format!("[actors.\"{id}\"]\n");
    }
    for w in ids.windows(2) {
        s += &format!("[[relations]]\nfrom = \"{}\"\nto = \"{}\"\n", w[0], w[1]);
    }
    s
}

fn warnings_of(text: &str) -> String {
    common::model(text).warnings().render()
}

#[test]
fn a_cyrillic_a_beside_a_latin_a_is_a_warning_naming_both_and_the_code_point() {
    let text = warnings_of(&chain(&["A", "B", "\u{410}"]));
    assert!(
        text.contains("warning: actor id `А` looks like actor `A`")
            && text.contains("U+0410 Cyrillic"),
        "{text}"
    );
    // Located at the actor's table.
    assert!(text.contains("s.toml:7:1"), "{text}");
}

#[test]
fn an_id_mixing_scripts_is_a_warning_with_the_plain_spelling() {
    let text = warnings_of(&chain(&["L\u{422}U", "BLR"]));
    assert!(
        text.contains("mixes scripts (Latin, Cyrillic)") && text.contains("`LTU` in plain letters"),
        "{text}"
    );
}

#[test]
fn ids_in_one_script_each_give_no_warning() {
    let m = common::model(&chain(&["Łódź", "Kraków", "Москва", "北京", "LTU"]));
    assert!(m.warnings().items.is_empty(), "{}", m.warnings().render());
}

#[test]
fn lookalike_ids_created_by_a_relation_file_are_warned_at_the_row() {
    let scenario =
        "[scenario]\nsteps = 2\n[[relation_files]]\npath = \"r.csv\"\ncreate_actors = true\n\
                    [variables]\ntension = { of = \"relation\", default = 0.5 }\n";
    let csv = "from,to,tension\nA,B,0.5\nB,C,0.5\nC,\u{410},0.5\n";
    let sources = MemorySources::new([("s.toml", scenario), ("r.csv", csv)]);
    let m = detente::load_model("s.toml", &sources, &Overrides::default()).unwrap();
    let text = m.warnings().render();
    assert!(
        text.starts_with("r.csv:4:1: warning: actor id `А` looks like actor `A`"),
        "{text}"
    );
    // The row is quoted: the relation file's text was kept for the warning.
    assert!(text.contains("C,А,0.5"), "{text}");
}

#[test]
fn lookalike_relation_kinds_are_warned() {
    let mut s = chain(&["A", "B", "C"]);
    s = s.replacen("to = \"B\"\n", "to = \"B\"\nkind = \"member\"\n", 1);
    // `mеmber` with U+0435 CYRILLIC SMALL LETTER IE.
    s = s.replacen("to = \"C\"\n", "to = \"C\"\nkind = \"m\u{435}mber\"\n", 1);
    let text = warnings_of(&s);
    assert!(
        text.contains("relation kind `mеmber` looks like relation kind `member`"),
        "{text}"
    );
}

#[test]
fn an_unknown_id_that_looks_like_a_known_one_is_suggested_with_the_difference() {
    // `В` is U+0412 CYRILLIC CAPITAL LETTER VE.
    let mut s = chain(&["A", "B"]);
    s += "[[relations]]\nfrom = \"A\"\nto = \"\u{412}\"\n";
    let text = common::errors(&s);
    assert!(
        text.contains("unknown actor `В`")
            && text.contains("did you mean `B`? The two look alike: `В` has `В` U+0412 Cyrillic"),
        "{text}"
    );
}

#[test]
fn warnings_are_counted_past_the_ones_kept() {
    // Thirty Cyrillic lookalikes of thirty Latin ids: twenty kept, the rest counted.
    let latin: Vec<String> = (0..30).map(|i| format!("A{i}")).collect();
    let cyrillic: Vec<String> = (0..30).map(|i| format!("\u{410}{i}")).collect();
    let ids: Vec<&str> = latin.iter().chain(&cyrillic).map(String::as_str).collect();
    let m = common::model(&chain(&ids));
    let w = m.warnings();
    assert_eq!(w.items.len(), 21, "{}", w.render());
    assert!(
        w.render().contains("10 more warnings are not shown"),
        "{}",
        w.render()
    );
}

#[test]
fn warnings_do_not_change_a_run() {
    let plain = common::model(&chain(&["A", "B", "C"]));
    let warned = common::model(&chain(&["A", "B", "C", "\u{421}"])); // Cyrillic С
    assert!(plain.warnings().items.is_empty() && !warned.warnings().items.is_empty());
    let a = detente::run_once(&plain, 3).unwrap();
    let b = detente::run_once(&warned, 3).unwrap();
    assert_eq!(
        a.series_values(&plain, "tension_A_B"),
        b.series_values(&warned, "tension_A_B")
    );
}

#[test]
fn a_parameter_nothing_reads_is_a_warning() {
    let mut s = chain(&["A", "B"]);
    s += "[parameters]\nused = 0.5\ncall_triger = 0.3\n[outcomes]\ncalm = \"tension(A, B) < used\"\n";
    let text = warnings_of(&s);
    assert!(
        text.contains("warning: parameter `call_triger` is never read") && !text.contains("`used`"),
        "{text}"
    );
}

#[test]
fn a_parameter_read_by_a_setting_an_initial_value_or_another_parameter_is_read() {
    // Every parameter of the shipped Richardson model is read only by constant expressions.
    let text = std::fs::read_to_string("scenarios/classics/richardson.toml").unwrap();
    let m = common::model(&text);
    assert!(m.warnings().items.is_empty(), "{}", m.warnings().render());
    let mut s = chain(&["A", "B"]);
    s = s.replace("steps = ", "steps = \"weeks\"\n# ");
    s += "[parameters]\nweeks = \"2 * half\"\nhalf = 3\nunread = 1\n";
    let text = warnings_of(&s);
    assert!(
        text.contains("parameter `unread` is never read")
            && !text.contains("`weeks`")
            && !text.contains("`half`"),
        "{text}"
    );
}

#[test]
fn an_actor_with_no_relations_that_nothing_names_is_a_warning_with_a_did_you_mean() {
    // `PLO` meant `POL`: a new, unconnected actor.
    let s =
        chain(&["POL", "BLR", "PLO"]).replace("[[relations]]\nfrom = \"BLR\"\nto = \"PLO\"\n", "");
    let text = warnings_of(&s);
    assert!(
        text.contains("warning: actor `PLO` has no relations and nothing names it")
            && text.contains("did you mean `POL`?"),
        "{text}"
    );
    // Named in an expression, it is meant to be there.
    let named = format!("{s}[outcomes]\nx = \"exists(PLO, POL)\"\n");
    assert!(
        !warnings_of(&named).contains("PLO"),
        "{}",
        warnings_of(&named)
    );
}
