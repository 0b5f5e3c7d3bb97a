//! Reports: what runs, ensembles and comparisons mean for a reader, and the exporters that turn
//! them into text. Not the simulation: everything here takes finished results, returns values or
//! strings, and does no I/O.
//!
//! Two halves. The report types are built by [`run`], [`ensemble`] and [`compare`] (with
//! [`metric`] naming what each number measures); they are plain data, and the JSON ones derive
//! serde. The exporters — [`json`], [`markdown`], [`csv`], [`text`], [`html`], one file per
//! format — each take a report value and return a `String`; [`dot`] writes a model's relation
//! graph for Graphviz. [`chart`] draws reports as SVG charts (for the HTML pages, and alone for
//! `--plot`), on the primitives of the internal `svg` module; [`relation_graph`](mod@relation_graph) is the relation
//! graph as a reader sees it. [`Format`] names the exporters for the command line; adding a
//! format is one new exporter file and one [`Format`] variant.
//! A sweep is written while it runs, so [`sweep`] holds its report types together with its three
//! exporters, each split into head, row and tail.

pub mod chart;
pub mod compare;
pub mod csv;
pub mod dot;
pub mod ensemble;
pub mod error;
pub mod expect;
pub mod explain;
pub mod format;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod metric;
pub(crate) mod number;
pub mod relation_graph;
pub mod run;
pub(crate) mod svg;
pub mod sweep;
pub mod text;

pub use chart::{Chart, ChartId, ChartKind};
pub use compare::{Comparison, Difference, VariantComparison};
pub use ensemble::{
    BandsReport, EnsembleReport, MetricColumn, MetricStats, OutcomeStats, RunsTable, SeriesBands,
};
pub use error::ReportError;
pub use format::Format;
pub use metric::{MetricId, MetricKind};
pub use relation_graph::{relation_graph, RelationGraph};
pub use run::{
    run_report, scenario_info, trajectory, ActionCount, OutcomeReport, RunReport, ScenarioInfo,
    SeriesReport, ShockCount, TakenAction, Trajectory, RUN_FORMAT, RUN_FORMAT_VERSION,
};
