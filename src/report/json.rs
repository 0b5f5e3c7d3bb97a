//! The JSON exporter: every report type, pretty-printed. The one place report JSON is written.

use serde::Serialize;

/// `report` as pretty JSON with a final newline. Report types hold only strings, numbers and
/// lists, so serialising cannot fail.
pub fn to_string<T: Serialize + ?Sized>(report: &T) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}
