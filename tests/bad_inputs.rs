//! Every file in tests/bad/ must fail to load with clean diagnostics; the rendered diagnostics are
//! snapshots (tests/snapshots/, one per case), so a change in any message shows up in review.

mod common;

use common::Disk;
use detente::Overrides;

#[test]
fn bad_input() {
    insta::glob!("bad/*.toml", |path| {
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let rendered = match detente::load_model(&name, &Disk, &Overrides::default()) {
            Ok(_) => panic!("{name} loaded without errors"),
            Err(d) => d.render(),
        };
        assert!(rendered.contains("error: "), "{name}: {rendered}");
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn the_corpus_is_not_empty() {
    let cases = std::fs::read_dir("tests/bad")
        .expect("tests/bad exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert!(cases >= 100, "the corpus has {cases} cases");
}
