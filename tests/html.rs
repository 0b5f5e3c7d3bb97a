//! The HTML report and its SVG charts: golden pages and charts of the Lithuania–Belarus
//! scenario, every shipped scenario's pages parsed as XML, byte-identical output, and hostile
//! scenarios that cannot put markup or script into a page.
//!
//! What a browser makes of the pages (script errors, charts drawn, a page not blank) is
//! checked by `scripts/browser-check.sh`.

use assert_cmd::Command;
use std::path::Path;

/// The page's script, as the exporter inlines it.
const SCRIPT: &str = include_str!("../src/report/html/page.js");

/// Runs the binary with `args` in `dir` and returns its standard output.
fn stdout_in(dir: &str, args: &[&str]) -> String {
    let out = Command::cargo_bin("detente")
        .expect("binary builds")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "detente {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

fn stdout(args: &[&str]) -> String {
    stdout_in(".", args)
}

/// Writes chart `chart` of the command `args` to a file with `--plot` and returns it.
fn plot(dir: &str, args: &[&str], chart: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("chart.svg");
    let spec = format!("{chart}={}", file.display());
    let mut all = args.to_vec();
    all.extend(["-q", "--plot", &spec]);
    stdout_in(dir, &all);
    std::fs::read_to_string(file).unwrap()
}

/// Parses `text` as XML and checks what every page must be: one script, exactly the page's own;
/// a Content-Security-Policy allowing nothing else; no event-handler attribute, no element that
/// loads anything; every figure holding a chart. Returns the number of charts.
fn check_page(text: &str) -> usize {
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("not well-formed XML: {e}"));
    let scripts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("script"))
        .collect();
    assert_eq!(scripts.len(), 1, "one script");
    // As XML reads it: the CDATA section's markers are not text.
    let script = SCRIPT.replacen("<![CDATA[", "", 1).replacen("]]>", "", 1);
    assert!(
        scripts[0].text() == Some(script.as_str()),
        "not the page's script"
    );
    let csp = doc
        .descendants()
        .find(|n| n.attribute("http-equiv") == Some("Content-Security-Policy"))
        .and_then(|n| n.attribute("content"))
        .expect("a Content-Security-Policy");
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(
                name,
                "img" | "iframe" | "object" | "embed" | "link" | "image" | "use"
            ),
            "<{name}> in a page"
        );
        for attr in node.attributes() {
            assert!(
                !attr.name().to_ascii_lowercase().starts_with("on"),
                "event handler {}={:?} on <{name}>",
                attr.name(),
                attr.value()
            );
            assert!(
                !attr.value().contains("javascript:"),
                "{}={:?}",
                attr.name(),
                attr.value()
            );
        }
    }
    let figures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("figure"))
        .collect();
    for f in &figures {
        assert!(f.attribute("data-chart").is_some());
        assert!(
            f.children().any(|c| c.has_tag_name("svg")),
            "figure {:?} without a chart",
            f.attribute("data-chart")
        );
    }
    figures.len()
}

/// Parses a standalone SVG chart and checks it draws something and holds no script.
fn check_svg(text: &str) {
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert!(root.descendants().count() > 5);
    assert!(!root.descendants().any(|n| n.has_tag_name("script")));
}

const LB: &str = "scenarios/lithuania_belarus";

/// Each `(chart, snapshot)` of the command `args`, run in the Lithuania–Belarus folder, checked
/// and snapshotted.
fn golden_charts(args: &[&str], charts: &[(&str, &str)]) {
    for (chart, name) in charts {
        let svg = plot(LB, args, chart);
        check_svg(&svg);
        insta::assert_snapshot!(*name, svg);
    }
}

#[test]
fn golden_pages_of_the_baseline() {
    let run = stdout_in(
        LB,
        &[
            "run",
            "baseline.toml",
            "--seed",
            "7",
            "--steps",
            "26",
            "-q",
            "--format",
            "html",
            "-o",
            "-",
        ],
    );
    check_page(&run);
    insta::assert_snapshot!("html_run", run);
    let ensemble = [
        "run",
        "baseline.toml",
        "--seed",
        "7",
        "--steps",
        "26",
        "--runs",
        "40",
    ];
    let page = stdout_in(
        LB,
        &[&ensemble[..], &["-q", "--format", "html", "-o", "-"]].concat(),
    );
    assert_eq!(
        check_page(&page),
        13,
        "2 outcome charts, 10 fans, the graph"
    );
    insta::assert_snapshot!("html_ensemble", page);
    golden_charts(
        &ensemble,
        &[
            ("fan:tension_ltu_blr", "svg_fan"),
            ("outcomes", "svg_outcomes"),
            ("reached", "svg_reached"),
            ("graph", "svg_graph"),
        ],
    );
}

#[test]
fn golden_charts_of_the_comparison() {
    let args = [
        "compare",
        "baseline.toml",
        "monitoring.toml",
        "combined.toml",
        "--runs",
        "60",
        "--seed",
        "11",
    ];
    golden_charts(
        &args,
        &[
            ("forest:outcomes", "svg_forest_outcomes"),
            ("forest:final.tension_ltu_blr", "svg_forest_final"),
            ("fan:tension_ltu_blr", "svg_fan_overlay"),
        ],
    );
    let page = stdout_in(LB, &[&args[..], &["-q", "--format", "html"]].concat());
    // The outcome forest, 10 final values, 10 overlaid fans, the graph.
    assert_eq!(check_page(&page), 22);
    // Every metric's forest with --all.
    let all = stdout_in(
        LB,
        &[&args[..], &["-q", "--format", "html", "--all"]].concat(),
    );
    assert!(check_page(&all) > 22);
}

#[test]
fn every_shipped_scenario_gives_well_formed_pages_and_charts() {
    let scenarios = [
        "scenarios/lithuania_belarus/baseline.toml",
        "scenarios/lithuania_belarus/unified_front.toml",
        "scenarios/lithuania_belarus/monitoring.toml",
        "scenarios/lithuania_belarus/backchannel.toml",
        "scenarios/lithuania_belarus/multilateral.toml",
        "scenarios/lithuania_belarus/combined.toml",
        "scenarios/classics/prisoners_dilemma.toml",
        "scenarios/classics/grudger_vs_tft.toml",
        "scenarios/classics/richardson.toml",
        "scenarios/classics/tournament.toml",
        "scenarios/belarus_poland/border_crisis.toml",
        "scenarios/bench/border_net.toml",
    ];
    for path in scenarios {
        let steps = ["--steps", "30"];
        let run = stdout(
            &[
                &["run", path, "-q", "--format", "html", "-o", "-"][..],
                &steps,
            ]
            .concat(),
        );
        assert!(check_page(&run) > 0, "{path}");
        let ensemble = stdout(
            &[
                &[
                    "run", path, "-q", "--runs", "12", "--format", "html", "-o", "-",
                ][..],
                &steps,
            ]
            .concat(),
        );
        assert!(check_page(&ensemble) > 0, "{path}");
        check_svg(&plot(".", &["run", path, "--steps", "30"], "graph"));
    }
}

#[test]
fn pages_and_charts_are_byte_identical_on_any_thread_count() {
    let with = |threads: &str| {
        stdout_in(
            LB,
            &[
                "run",
                "baseline.toml",
                "--runs",
                "30",
                "--threads",
                threads,
                "-q",
                "-o",
                "-",
                "--format",
                "html",
            ],
        )
    };
    assert_eq!(with("1"), with("2"));
    let args = [
        "compare",
        "baseline.toml",
        "monitoring.toml",
        "--runs",
        "20",
        "--format",
        "html",
    ];
    assert_eq!(
        stdout_in(LB, &[&args[..], &["--threads", "1"]].concat()),
        stdout_in(LB, &[&args[..], &["--threads", "2"]].concat())
    );
}

/// A scenario whose every free text is markup or script.
const HOSTILE: &str = r#"
[scenario]
name = "</script><script>document.documentElement.setAttribute('data-pwned','1')</script>"
description = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\"> ]]> <!-- & --> \u001b[2J"
steps = 6
time_unit = "<b onmouseover=alert(1)>week</b>"
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1], description = "</style><script>alert(2)</script>" }
[parameters]
p = { value = 0.1, description = "<svg onload=alert(3)>" }
[actors.A]
name = "<svg onload=alert(4)>"
kind = "\" onclick=\"alert(5)"
[actors.B]
name = "</title></svg><script>alert(6)</script>"
kind = "<![CDATA[ x ]]>"
[[relations]]
from = "A"
to = "B"
kind = "</text><a href=\"javascript:alert(7)\">x</a>"
[actions.provoke]
effects = [{ var = "tension", on = "relation", add = "p" }]
[rules.provoke]
actor = "A"
target = "B"
action = "provoke"
probability = 0.5
[outcomes]
hot = { when = "tension(A, B) > 0.6", description = "</td><img src=x onerror=alert(8)>" }
"#;

/// Hostile pages are still well-formed, have no element or attribute of the hostile text (only
/// the page's own script), and show that text escaped.
#[test]
fn hostile_names_and_descriptions_cannot_run_code_in_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.toml");
    std::fs::write(&path, HOSTILE).unwrap();
    let path = path.to_str().unwrap();
    let run = stdout(&["run", path, "-q", "--format", "html", "-o", "-"]);
    let ensemble = stdout(&[
        "run", path, "-q", "--runs", "20", "--format", "html", "-o", "-",
    ]);
    let other = dir.path().join("other.toml");
    std::fs::write(&other, HOSTILE.replace("value = 0.1", "value = 0.2")).unwrap();
    let compare = stdout(&[
        "compare",
        path,
        other.to_str().unwrap(),
        "--runs",
        "20",
        "--format",
        "html",
    ]);
    let sweep = stdout(&[
        "sweep", path, "--vary", "p=0..0.2", "--design", "oat", "--runs", "10", "-q", "--format",
        "html",
    ]);
    assert!(sweep.contains("data-chart=\"tornado:outcome.hot\""));
    let explain = stdout(&["explain", path, "tension(A, B)", "--format", "html"]);
    let explain_runs = stdout(&[
        "explain",
        path,
        "outcome.hot",
        "--runs",
        "20",
        "--counterfactual",
        "--format",
        "html",
    ]);
    assert!(explain.contains("data-chart=\"waterfall:tension(A,B)\""));
    // The run's action markers, with the hostile time unit in every hover text.
    assert!(run.contains(
        "<title>&lt;b onmouseover=alert(1)&gt;week&lt;/b&gt; 1: A provoke → B (rule provoke)</title>"
    ));
    assert!(explain.contains("after &lt;b onmouseover=alert(1)&gt;week&lt;/b&gt; 6"));
    for page in [&run, &explain, &explain_runs] {
        assert!(!page.contains("<b onmouseover"));
    }
    for page in [&run, &ensemble, &compare, &sweep, &explain, &explain_runs] {
        check_page(page);
        assert!(!page.contains("<svg onload"));
        assert!(!page.contains("<img"));
        assert!(!page.contains('\u{1b}'));
    }
    assert!(run.contains("&lt;/script&gt;&lt;script&gt;document.documentElement"));
    assert!(ensemble.contains("&lt;img src=x onerror=&quot;"));
    for chart in ["graph", "reached", "outcomes"] {
        let svg = plot(
            dir.path().to_str().unwrap(),
            &["run", "hostile.toml", "--runs", "20"],
            chart,
        );
        check_svg(&svg);
        assert!(!svg.contains("<script") && !svg.contains("<a "), "{svg}");
    }
}

#[test]
fn html_is_inferred_from_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let baseline = Path::new(LB).join("baseline.toml");
    stdout(&[
        "run",
        baseline.to_str().unwrap(),
        "--steps",
        "5",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>\n"));
    check_page(&text);
    let out = dir.path().join("c.html");
    stdout_in(
        LB,
        &[
            "compare",
            "baseline.toml",
            "monitoring.toml",
            "--runs",
            "10",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    check_page(&std::fs::read_to_string(&out).unwrap());
}

/// Runs the binary expecting failure, and returns its standard error.
fn fails(args: &[&str]) -> String {
    let out = Command::cargo_bin("detente")
        .unwrap()
        .current_dir(LB)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn plots_that_do_not_exist_are_refused_before_any_run_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.svg");
    let at = |chart: &str| format!("{chart}={}", file.display());
    for (args, says) in [
        (
            vec![
                "run",
                "baseline.toml",
                "--runs",
                "5",
                "--plot",
                &at("fan:tension_ltu_blx"),
            ],
            "did you mean `tension_ltu_blr`",
        ),
        (
            vec!["run", "baseline.toml", "--plot", &at("fna:x")],
            "did you mean `fan`",
        ),
        (
            vec!["run", "baseline.toml", "--plot", &at("fan:tension_ltu_blr")],
            "one run draws no `fan` chart",
        ),
        (
            vec![
                "run",
                "baseline.toml",
                "--runs",
                "5",
                "--plot",
                &at("trajectory:tension_ltu_blr"),
            ],
            "an ensemble draws no `trajectory` chart",
        ),
        (
            vec!["run", "baseline.toml", "--plot", "graph"],
            "expected CHART=FILE",
        ),
        (
            vec![
                "compare",
                "baseline.toml",
                "monitoring.toml",
                "--runs",
                "5",
                "--plot",
                &at("outcomes"),
            ],
            "a comparison draws no `outcomes` chart",
        ),
        (
            vec![
                "compare",
                "baseline.toml",
                "monitoring.toml",
                "--runs",
                "5",
                "--plot",
                &at("forest:final.nope"),
            ],
            "no chart `forest:final.nope`",
        ),
    ] {
        let err = fails(&args);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!file.exists(), "{args:?} wrote the plot");
    }
    // Two plots into one file are refused like any two outputs.
    let err = fails(&[
        "run",
        "baseline.toml",
        "--plot",
        &at("graph"),
        "--plot",
        &at("trajectory:blr_reforms"),
    ]);
    assert!(err.contains("are the same file"), "{err}");
}

/// A ring of `n` actors read from a relation file, in a new folder.
fn ring(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("src,dst\n");
    for i in 0..n {
        csv.push_str(&format!("a{i},a{}\n", (i + 1) % n));
    }
    std::fs::write(dir.path().join("ring.csv"), csv).unwrap();
    let toml = "[scenario]\nname = \"ring\"\nsteps = 3\n\
        [variables]\ntension = { of = \"relation\", default = 0.5, range = [0, 1] }\n\
        [[relation_files]]\npath = \"ring.csv\"\nfrom = \"src\"\nto = \"dst\"\ncreate_actors = true\n";
    std::fs::write(dir.path().join("ring.toml"), toml).unwrap();
    dir
}

#[test]
fn graphs_too_large_to_draw_are_summarised() {
    let big = ring(301);
    let dir = big.path().to_str().unwrap();
    let page = stdout_in(
        dir,
        &["run", "ring.toml", "-q", "--format", "html", "-o", "-"],
    );
    check_page(&page);
    assert!(page.contains("301 actors and 301 relations: too many to draw"));
    assert!(!page.contains("data-chart=\"graph\""));
    let out = Command::cargo_bin("detente")
        .unwrap()
        .current_dir(dir)
        .args(["run", "ring.toml", "-q", "--plot", "graph=g.svg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("drawn for at most 300 actors"), "{err}");
    assert!(!big.path().join("g.svg").exists());
    // 300 actors are still drawn.
    let small = ring(300);
    check_svg(&plot(
        small.path().to_str().unwrap(),
        &["run", "ring.toml"],
        "graph",
    ));
}

/// The ids of the charts of `page`, in order.
fn chart_ids(page: &str) -> Vec<String> {
    page.split("data-chart=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

#[test]
fn sweep_pages_are_well_formed_with_their_charts_and_byte_identical() {
    let page = |dir: &str, args: &[&str]| {
        let mut all = vec!["sweep"];
        all.extend(args);
        all.extend(["-q", "--format", "html"]);
        let first = stdout_in(dir, &all);
        let mut again = all.clone();
        again.extend(["--threads", "1"]);
        assert_eq!(
            first,
            stdout_in(dir, &again),
            "{args:?}: not byte-identical"
        );
        let charts = check_page(&first);
        assert!(first.contains("common random numbers: every point runs the same"));
        assert!(first.contains("<section id=\"noise\"><h2>Run noise</h2>"));
        assert_eq!(charts, chart_ids(&first).len());
        first
    };
    // Morris: μ* bars per output, no response curves.
    let morris = page(LB, &["combined_sensitivity.toml", "--runs", "20"]);
    assert_eq!(
        chart_ids(&morris),
        [
            "morris:outcome.border_reopened",
            "morris:final.tension_ltu_blr"
        ]
    );
    assert!(morris.contains("<dt>design</dt><dd>morris (10 × 4)</dd>"));
    assert!(morris.contains("--vary front_leverage_share=0.05..0.2"));
    // One at a time: a response curve per output and factor, then a tornado per output.
    let oat = page(
        LB,
        &[
            "combined_sensitivity.toml",
            "--design",
            "oat",
            "--runs",
            "10",
        ],
    );
    let ids = chart_ids(&oat);
    assert_eq!(ids.len(), 2 * 4 + 2, "{ids:?}");
    assert!(ids.contains(&"response:outcome.border_reopened:front_leverage_share".to_string()));
    assert_eq!(
        &ids[8..],
        [
            "tornado:outcome.border_reopened",
            "tornado:final.tension_ltu_blr"
        ]
    );
    assert!(oat.contains("id=\"chart-tornado-outcome.border_reopened\""));
    // Sobol: S1 and ST bars; a Latin hypercube: response curves only.
    let sobol = page(
        "scenarios/sensitivity",
        &["ishigami.toml", "--points", "64"],
    );
    assert_eq!(chart_ids(&sobol), ["sobol:final.y"]);
    assert!(sobol.contains("<th class=\"n\">ST</th>"));
    let lhs = page(
        "scenarios/sensitivity",
        &["ishigami.toml", "--design", "lhs", "--points", "16"],
    );
    assert_eq!(
        chart_ids(&lhs),
        [
            "response:final.y:x1",
            "response:final.y:x2",
            "response:final.y:x3"
        ]
    );
    // Inferred from the file name.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sweep.html");
    stdout_in(
        "scenarios/sensitivity",
        &[
            "sweep",
            "ishigami.toml",
            "--points",
            "8",
            "-q",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    check_page(&std::fs::read_to_string(&file).unwrap());
}

/// The charts of `page` whose id is `id`, as XML text (the `<svg>` element).
fn chart_svg(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("data-chart=\"{id}\""))
        .unwrap_or_else(|| panic!("no chart {id}: {:?}", chart_ids(page)));
    let svg = start + page[start..].find("<svg").unwrap();
    let end = svg + page[svg..].find("</svg>").unwrap() + "</svg>".len();
    page[svg..end].to_string()
}

/// The hover texts of the elements of `svg` named `element`.
fn titles_of(svg: &str, element: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name(element))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
        .map(|t| t.text().unwrap_or("").to_string())
        .collect()
}

/// The bars of a waterfall: its rectangles of a bar's height (legend swatches are lower).
fn waterfall_bars(svg: &str) -> usize {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("height") == Some("14.0"))
        .count()
}

fn explain_json(dir: &str, args: &[&str]) -> serde_json::Value {
    let text = stdout_in(dir, &[args, &["--format", "json"]].concat());
    serde_json::from_str(&text).unwrap()
}

#[test]
fn one_run_explanation_page_has_a_waterfall_bar_per_source_and_its_tables() {
    let args = ["explain", "baseline.toml", "tension(LTU, BLR)"];
    let page = stdout_in(LB, &[&args[..], &["--format", "html"]].concat());
    assert_eq!(check_page(&page), 1);
    assert_eq!(chart_ids(&page), ["waterfall:tension(LTU,BLR)"]);
    let json = explain_json(LB, &args);
    let sources = json["accounts"][0]["sources"].as_array().unwrap();
    assert!(sources.len() > 10);
    let svg = chart_svg(&page, "waterfall:tension(LTU,BLR)");
    // Start, one bar per source, end; and as many hover rows.
    assert_eq!(waterfall_bars(&svg), sources.len() + 2);
    let rows = titles_of(&svg, "rect");
    assert_eq!(rows.len(), sources.len() + 2);
    assert!(rows[0].starts_with("start: the value after week 0\n0.7000"));
    assert!(rows
        .last()
        .unwrap()
        .starts_with("end: the value after week 104"));
    // In the report's order, each with its label and the steps it was taken in.
    for (row, s) in rows[1..].iter().zip(sources) {
        assert!(row.starts_with(s["label"].as_str().unwrap()), "{row}");
    }
    assert!(rows.iter().any(
        |r| r.contains("BLR push_migrants → LTU (rule blr_retaliates)")
            && r.contains("taken in week 3, 29, 56, 83")
    ));
    // The sources table (with firing steps), the largest steps, the manifest.
    assert!(page.contains("<th>taken in week</th>"));
    assert!(page.contains("<h3>Largest changes</h3>"));
    assert!(page.contains("<td>3, 29, 56, 83</td>"));
    assert!(page.contains(
        "<code>detente explain SCENARIO &quot;tension(LTU, BLR)&quot; --seed 42 --replay 0</code>"
    ));
    assert!(!page.contains("section id=\"counterfactual\""));
}

#[test]
fn a_clamped_place_has_a_clamp_bar_and_a_golden_waterfall() {
    let svg = plot(
        LB,
        &["explain", "baseline.toml", "trust(LTU, BLR)"],
        "waterfall:trust(LTU,BLR)",
    );
    check_svg(&svg);
    // Start, trust_drift, the clamp, end.
    assert_eq!(waterfall_bars(&svg), 4);
    assert!(svg.contains("fill=\"#CC79A7\""), "the clamp's colour");
    assert!(svg.contains("range clamp"));
    insta::assert_snapshot!("svg_waterfall_clamp", svg);
    // The place by number, and with spaces, is the same chart.
    for subject in ["0", "trust(LTU, BLR)"] {
        let again = plot(
            LB,
            &["explain", "baseline.toml", "trust(LTU, BLR)"],
            &format!("waterfall:{subject}"),
        );
        assert_eq!(again, svg, "{subject}");
    }
}

#[test]
fn ensemble_explanation_with_a_counterfactual_has_intervals_forests_and_tables() {
    let args = [
        "explain",
        "combined.toml",
        "tension(LTU, BLR)",
        "--runs",
        "40",
        "--counterfactual",
        "ltu_unified_front",
        "ltu_backchannel",
    ];
    let page = stdout_in(LB, &[&args[..], &["--format", "html"]].concat());
    assert_eq!(check_page(&page), 3);
    assert_eq!(
        chart_ids(&page),
        [
            "waterfall:tension(LTU,BLR)",
            "forest:counterfactual",
            "forest:outcomes"
        ]
    );
    let json = explain_json(LB, &args);
    let sources = json["accounts"][0]["sources"].as_array().unwrap();
    let svg = chart_svg(&page, "waterfall:tension(LTU,BLR)");
    assert_eq!(waterfall_bars(&svg), sources.len() + 2);
    // Every source's hover text has its interval and share; its error bar is drawn.
    let rows = titles_of(&svg, "rect");
    for row in &rows[1..rows.len() - 1] {
        assert!(
            row.contains("\n95% interval [") && row.contains(" of the 40 runs"),
            "{row}"
        );
    }
    assert!(svg.contains("95% interval</text>"), "the legend");
    // The forests: one row per removal on the value; the outcomes' rows under their headings.
    let value = chart_svg(&page, "forest:counterfactual");
    let rows = titles_of(&value, "rect");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with("with − without rule ltu_unified_front\n"));
    let outcomes = chart_svg(&page, "forest:outcomes");
    assert!(outcomes.contains(">P(border_reopened)</text>"));
    // The tables.
    assert!(page.contains("<th class=\"n\">share of runs</th>"));
    assert!(page.contains("<h3>Effect on the value</h3>"));
    assert!(page.contains("<h3>Effect on the outcomes</h3>"));
    assert!(page.contains("<td>rule ltu_backchannel</td><td>border_reopened</td>"));
    assert!(page.contains(
        "--runs 40 --counterfactual rule:ltu_unified_front rule:ltu_backchannel --counterfactual-runs 40"
    ));
    // The same bytes again, on any thread count.
    let again = stdout_in(
        LB,
        &[&args[..], &["--format", "html", "--threads", "1"]].concat(),
    );
    assert_eq!(page, again);
}

#[test]
fn an_outcome_is_explained_per_place_and_its_page_is_inferred_from_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.html");
    stdout_in(
        LB,
        &[
            "explain",
            "combined.toml",
            "outcome.border_reopened",
            "--runs",
            "20",
            "--counterfactual",
            "ltu_accepts_talks",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let page = std::fs::read_to_string(&out).unwrap();
    check_page(&page);
    assert!(page.contains("<h1>What led to outcome.border_reopened</h1>"));
    assert_eq!(
        chart_ids(&page),
        ["waterfall:trade_strain(LTU,BLR)", "forest:outcomes"]
    );
    assert!(!page.contains("<h3>Effect on the value</h3>"));
    // A run that never reached the outcome: its note, and no chart.
    let page = stdout_in(
        LB,
        &[
            "explain",
            "baseline.toml",
            "outcome.border_reopened",
            "--format",
            "html",
        ],
    );
    assert_eq!(check_page(&page), 0);
    assert!(page.contains("the outcome was not reached in this run"));
}

#[test]
fn explanation_plots_are_checked_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.svg");
    let at = |chart: &str| format!("{chart}={}", file.display());
    for (args, says) in [
        (
            vec![
                "explain",
                "baseline.toml",
                "tension(LTU, BLR)",
                "--plot",
                &at("waterfall:tension(BLR,LTU)"),
            ],
            "no place `tension(BLR,LTU)`; it has waterfall:tension(LTU,BLR) (or waterfall:0)",
        ),
        (
            vec![
                "explain",
                "baseline.toml",
                "tension(LTU, BLR)",
                "--plot",
                &at("forest:outcomes"),
            ],
            "needs --counterfactual",
        ),
        (
            vec![
                "explain",
                "baseline.toml",
                "tension(LTU, BLR)",
                "--plot",
                &at("fan:tension_ltu_blr"),
            ],
            "an explanation draws no `fan` chart",
        ),
    ] {
        let err = fails(&args);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!file.exists(), "{args:?} wrote the plot");
    }
    // A forest with --counterfactual, written alone.
    let svg = plot(
        LB,
        &[
            "explain",
            "combined.toml",
            "tension(LTU, BLR)",
            "--counterfactual",
            "ltu_backchannel",
            "--counterfactual-runs",
            "10",
        ],
        "forest:counterfactual",
    );
    check_svg(&svg);
    assert!(svg.contains("rule ltu_backchannel"));
}

#[test]
fn many_sources_share_a_bar_and_many_actions_share_a_marker_row() {
    // 36 rules, each with its own action, all on one relation.
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from(
        "[scenario]\nname = \"many\"\nsteps = 40\n\
         [variables]\ntension = { of = \"relation\", default = 0.5, range = [0, 1] }\n\
         [actors.A]\n[actors.B]\n[[relations]]\nfrom = \"A\"\nto = \"B\"\n\
         [dynamics.reversion]\nvar = \"tension\"\nadd = \"-0.05 * (tension - 0.5)\"\n\
         [report.series]\ntension_ab = \"tension(A, B)\"\n",
    );
    for i in 0..36 {
        let add = if i % 3 == 0 { -0.001 } else { 0.001 } * f64::from(i + 1);
        toml.push_str(&format!(
            "[actions.act_{i:02}]\neffects = [{{ var = \"tension\", on = \"relation\", add = {add} }}]\n\
             [rules.rule_{i:02}]\nactor = \"A\"\ntarget = \"B\"\naction = \"act_{i:02}\"\nprobability = 0.3\n"
        ));
    }
    std::fs::write(dir.path().join("many.toml"), toml).unwrap();
    let dir = dir.path().to_str().unwrap();
    let page = stdout_in(
        dir,
        &[
            "explain",
            "many.toml",
            "tension(A, B)",
            "--runs",
            "10",
            "--format",
            "html",
        ],
    );
    check_page(&page);
    let svg = chart_svg(&page, "waterfall:tension(A,B)");
    // Start, 29 sources, the smaller rest together, the clamp, end.
    assert_eq!(waterfall_bars(&svg), 33);
    assert!(svg.contains("smaller sources</text>"));
    let run = stdout_in(
        dir,
        &["run", "many.toml", "-q", "--format", "html", "-o", "-"],
    );
    check_page(&run);
    let chart = chart_svg(&run, "trajectory:tension_ab");
    // 20 rows: 19 actions and the others together.
    assert!(chart.contains(">17 other actions</text>"), "{chart}");
}

#[test]
fn one_run_charts_mark_every_action_taken() {
    let args = ["run", "baseline.toml", "-q"];
    let page = stdout_in(LB, &[&args[..], &["--format", "html", "-o", "-"]].concat());
    check_page(&page);
    let json: serde_json::Value =
        serde_json::from_str(&stdout_in(LB, &[&args[..], &["-o", "-"]].concat())).unwrap();
    let taken: u64 = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["count"].as_u64().unwrap())
        .sum();
    assert!(taken > 100);
    for id in chart_ids(&page) {
        if !id.starts_with("trajectory:") {
            continue;
        }
        let svg = chart_svg(&page, &id);
        let ticks = titles_of(&svg, "rect");
        // One line per taking, `week N: actor action → target (rule or event name)`.
        let lines: Vec<&str> = ticks
            .iter()
            .flat_map(|t| t.lines())
            .filter(|l| l.contains(" (rule ") || l.contains(" (event "))
            .collect();
        assert_eq!(lines.len() as u64, taken, "{id}");
        assert!(lines.contains(&"week 3: BLR push_migrants → LTU (rule blr_retaliates)"));
    }
    assert!(page.contains("<h3>Firing log</h3>"));
    assert!(page.contains(
        "<tr><td class=\"n\">3</td><td>BLR</td><td>push_migrants</td><td>LTU</td><td>rule <code>blr_retaliates</code></td></tr>"
    ));
    // The same bytes again; a plotted trajectory has its markers too.
    assert_eq!(
        page,
        stdout_in(LB, &[&args[..], &["--format", "html", "-o", "-"]].concat())
    );
    let svg = plot(LB, &["run", "baseline.toml"], "trajectory:tension_ltu_blr");
    assert!(svg.contains("week 3: BLR push_migrants → LTU (rule blr_retaliates)"));
}

#[test]
fn an_ensemble_page_lists_its_shocks() {
    let page = stdout(&[
        "run",
        "scenarios/belarus_poland/border_crisis.toml",
        "--runs",
        "20",
        "-q",
        "--format",
        "html",
        "-o",
        "-",
    ]);
    check_page(&page);
    assert!(
        page.contains("<h2") && page.contains(">Shocks<"),
        "a Shocks section"
    );
    assert!(page.contains(
        "<td>wagner_relocation</td><td class=\"n\">100.0%</td><td class=\"n\">20 of 20</td>"
    ));
}
