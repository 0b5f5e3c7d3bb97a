//! Diagnostics stay bounded whatever the input: a bounded excerpt of a long line, at most
//! twenty errors shown per file with a count of the rest, and did-you-mean hints only for the
//! errors shown.

mod common;

use common::errors_with;

const HEAD: &str = "[scenario]\nsteps = 1\n[variables]\nt = { of = \"relation\" }\n";

fn with_csv(toml_tail: &str, csv: &str) -> String {
    let text = format!("{HEAD}{toml_tail}[[relation_files]]\npath = \"r.csv\"\n");
    errors_with(&[("s.toml", &text), ("r.csv", csv)], "s.toml")
}

#[test]
fn forty_thousand_unknown_ids_show_twenty_errors_and_a_count() {
    let mut actors = String::new();
    for i in 0..40_000 {
        actors.push_str(&format!("[actors.k{i}]\n"));
    }
    let mut csv = String::from("from,to\n");
    for i in 0..40_000 {
        csv.push_str(&format!("u{i},k{i}\n"));
    }
    let e = with_csv(&actors, &csv);
    assert_eq!(
        e.matches("error: unknown actor").count(),
        20,
        "{}",
        &e[..2000]
    );
    assert!(
        e.contains("39980 more errors in this file are not shown"),
        "{}",
        &e[e.len() - 500..]
    );
}

#[test]
fn a_million_column_header_gives_a_bounded_report() {
    let mut header = String::from("from,to");
    for i in 0..1_000_000 {
        header.push_str(&format!(",c{i}"));
    }
    let e = with_csv("[actors.A]\n[actors.B]\n", &format!("{header}\nA,B\n"));
    assert_eq!(e.matches("is not a relation variable").count(), 20);
    assert!(e.contains("999980 more errors in this file are not shown"));
    assert!(e.len() < 10_000, "{} bytes of diagnostics", e.len());
}

#[test]
fn a_huge_line_is_quoted_as_an_excerpt() {
    // One 10 MB cell that is not a number: one error, quoted in a few hundred bytes.
    let big = "9".repeat(5_000_000) + "x" + &"9".repeat(5_000_000);
    let e = with_csv(
        "[actors.A]\n[actors.B]\n",
        &format!("from,to,t\nA,B,{big}\n"),
    );
    assert!(e.contains("is not a finite number"), "{}", &e[..300]);
    assert!(e.len() < 2_000, "{} bytes of diagnostics", e.len());
}

#[test]
fn twenty_thousand_errors_on_one_line_are_capped() {
    let mut header = String::from("from,to,t");
    let mut row = String::from("A,B,1");
    for i in 0..20_000 {
        header.push_str(&format!(",t{i}"));
        row.push_str(",oops");
    }
    let mut vars = String::new();
    for i in 0..20_000 {
        vars.push_str(&format!("t{i} = {{ of = \"relation\" }}\n"));
    }
    let text = format!("[scenario]\nsteps = 1\n[variables]\nt = {{ of = \"relation\" }}\n{vars}[actors.A]\n[actors.B]\n[[relation_files]]\npath = \"r.csv\"\n");
    let csv = format!("{header}\n{row}\n");
    let e = errors_with(&[("s.toml", &text), ("r.csv", &csv)], "s.toml");
    assert_eq!(e.matches("is not a finite number").count(), 20);
    assert!(e.contains("19980 more errors in this file are not shown"));
    assert!(e.len() < 20_000, "{} bytes of diagnostics", e.len());
}
