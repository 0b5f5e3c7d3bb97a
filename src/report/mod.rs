//! Reports: what runs, ensembles and comparisons mean for a reader, and the exporters that turn
//! them into text. Not the simulation: every function here takes finished results and returns
//! values or strings, and does no I/O.
//!
//! The report types ([`RunReport`], [`EnsembleReport`], [`Comparison`]) are built by [`run`],
//! [`ensemble`] and [`compare`]; each exporter ([`json`], [`markdown`], [`csv`], [`text`]) takes a
//! report value and returns a `String`. [`Format`] names the exporters for the command line.

pub mod compare;
pub mod ensemble;
pub mod format;
pub mod json;
pub mod number;
pub mod run;

pub use compare::{Comparison, Difference, VariantComparison};
pub use ensemble::{
    BandsReport, EnsembleReport, MetricColumn, MetricStats, OutcomeStats, SeriesBands,
};
pub use format::Format;
pub use run::{
    run_report, scenario_info, trajectory_csv, ActionCount, OutcomeReport, RunReport, ScenarioInfo,
    SeriesReport, RUN_FORMAT, RUN_FORMAT_VERSION,
};
