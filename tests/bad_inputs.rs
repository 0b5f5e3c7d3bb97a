//! Every file in tests/bad/ must fail to load with clean diagnostics; the rendered diagnostics are
//! snapshots (tests/snapshots/), so a change in any message shows up in review.

mod common;

use common::Disk;
use detente::Overrides;
use std::path::Path;

#[test]
fn every_bad_scenario_fails_with_located_diagnostics() {
    let dir = Path::new("tests/bad");
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/bad exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    for path in cases {
        let name = path.to_string_lossy().replace('\\', "/");
        let rendered = match detente::load_model(&name, &Disk, &Overrides::default()) {
            Ok(_) => panic!("{name} loaded without errors"),
            Err(d) => d.render(),
        };
        assert!(rendered.contains("error: "), "{name}: {rendered}");
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(stem, rendered);
    }
}
