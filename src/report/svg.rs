//! SVG primitives the charts are drawn with: an element writer that escapes every text and
//! attribute, fixed-precision numbers, linear scales with round ticks, axes, legends, hover
//! columns and the palette. Not the charts themselves (`chart.rs` decides what to draw) and no
//! I/O: everything is written into a `String`.
//!
//! Output is deterministic: coordinates are printed with one decimal (never `-0.0`), nothing
//! depends on a clock or a hash map's order, and text widths are estimated from character
//! counts rather than measured, so the same report gives the same bytes everywhere.

use std::fmt::Write;

/// The fonts charts ask for: the reader's own sans-serif fonts, nothing downloaded.
pub(crate) const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

/// Text and axis colours.
pub(crate) const INK: &str = "#222222";
pub(crate) const MUTED: &str = "#5f5f5f";
pub(crate) const GRID: &str = "#e4e4e4";
/// The colour of a single fan or trajectory.
pub(crate) const ACCENT: &str = "#1f5fa8";

/// Colours for categories (variants, outcomes, kinds): Okabe and Ito's palette, which
/// colour-blind readers can tell apart, in an order that keeps neighbours distinct; the yellow,
/// hard to see on white, comes last.
pub(crate) const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A200",
];

/// Dash patterns, for categories past the palette's length and for relation kinds.
pub(crate) const DASHES: [&str; 5] = ["", "6 3", "2 3", "8 3 2 3", "1 5"];

/// The colour of category `i`.
pub(crate) fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The dash pattern of category `i` (none for the first round of colours).
pub(crate) fn dash(i: usize) -> &'static str {
    DASHES[(i / PALETTE.len()) % DASHES.len()]
}

/// Text for XML: `&`, `<`, `>`, `"` and `'` escaped, and characters XML forbids (control
/// characters but tab and line breaks) dropped, so any name is safe in text and attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c as u32, 0x7f..=0x9f | 0xfffe | 0xffff) => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: one decimal, no negative zero, and 0 for what is not finite.
pub(crate) fn n(x: f64) -> String {
    fixed(x, 1)
}

/// `x` with `decimals` decimals, no negative zero, and 0 for what is not finite.
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    let x = if x.is_finite() { x } else { 0.0 };
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A value for people in hover texts and labels: four decimals below 1,000, fewer above.
pub(crate) fn value(x: f64) -> String {
    let a = x.abs();
    let decimals = if a >= 100_000.0 {
        0
    } else if a >= 1_000.0 {
        1
    } else {
        4
    };
    fixed(x, decimals)
}

/// A probability as a percentage with one decimal.
pub(crate) fn pct(x: f64) -> String {
    format!("{}%", fixed(100.0 * x, 1))
}

/// The estimated width of `s` at font size `size`: about 0.6 em a character, a little more than
/// the average of common sans-serif fonts, so that labels rather overestimate than overlap.
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// An SVG document being written: elements go in as they are drawn, later ones on top; its
/// height is given when it is finished, once everything is placed.
pub(crate) struct Svg {
    out: String,
    width: f64,
    label: String,
}

/// How a text is placed and set.
#[derive(Clone, Copy)]
pub(crate) struct Font {
    pub(crate) size: f64,
    pub(crate) anchor: &'static str,
    pub(crate) bold: bool,
    pub(crate) fill: &'static str,
}

impl Font {
    /// Regular text of `size`, anchored at its start.
    pub(crate) const fn plain(size: f64) -> Font {
        Font {
            size,
            anchor: "start",
            bold: false,
            fill: INK,
        }
    }

    /// The same font anchored at `anchor` (`start`, `middle` or `end`).
    pub(crate) const fn at(self, anchor: &'static str) -> Font {
        Font { anchor, ..self }
    }

    /// The same font in bold.
    pub(crate) const fn bold(self) -> Font {
        Font { bold: true, ..self }
    }

    /// The same font in `fill`.
    pub(crate) const fn fill(self, fill: &'static str) -> Font {
        Font { fill, ..self }
    }
}

/// A stroke: colour, width and dash pattern (empty for solid).
#[derive(Clone, Copy)]
pub(crate) struct Stroke<'a> {
    pub(crate) colour: &'a str,
    pub(crate) width: f64,
    pub(crate) dash: &'a str,
}

impl<'a> Stroke<'a> {
    /// A solid stroke.
    pub(crate) const fn solid(colour: &'a str, width: f64) -> Stroke<'a> {
        Stroke {
            colour,
            width,
            dash: "",
        }
    }

    /// The same stroke dashed with `dash` (empty for solid).
    pub(crate) const fn dashed(self, dash: &'a str) -> Stroke<'a> {
        Stroke { dash, ..self }
    }

    fn attrs(&self) -> String {
        let mut s = format!(
            r#" fill="none" stroke="{}" stroke-width="{}""#,
            esc(self.colour),
            fixed(self.width, 2)
        );
        if !self.dash.is_empty() {
            let _ = write!(s, r#" stroke-dasharray="{}""#, esc(self.dash));
        }
        s
    }
}

impl Svg {
    /// A drawing `width` wide, labelled `label` for screen readers.
    pub(crate) fn new(width: f64, label: &str) -> Svg {
        Svg {
            out: String::new(),
            width,
            label: label.to_string(),
        }
    }

    /// The finished `<svg>` element, `height` high, on white.
    pub(crate) fn finish(self, height: f64) -> String {
        let (w, h) = (n(self.width), n(height));
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{}" font-size="12" role="img" aria-label="{}">
<rect width="{w}" height="{h}" fill="#ffffff"/>
{}</svg>"##,
            esc(FONT),
            esc(&self.label),
            self.out
        )
    }

    /// Closes an element opened with a hover text, or writes it self-closing.
    fn close(&mut self, name: &str, title: Option<&str>) {
        match title {
            Some(t) => {
                let _ = writeln!(self.out, "><title>{}</title></{name}>", esc(t));
            }
            None => self.out.push_str("/>\n"),
        }
    }

    /// A chart's title, bold, at its top left.
    pub(crate) fn heading(&mut self, s: &str) {
        self.text(12.0, 20.0, s, Font::plain(14.0).bold());
    }

    /// Text at (`x`, `y`), its baseline at `y`.
    pub(crate) fn text(&mut self, x: f64, y: f64, s: &str, font: Font) {
        self.text_titled(x, y, s, font, None);
    }

    /// Text with a hover text.
    pub(crate) fn text_titled(&mut self, x: f64, y: f64, s: &str, font: Font, title: Option<&str>) {
        let _ = write!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}" fill="{}""#,
            n(x),
            n(y),
            fixed(font.size, 1),
            font.fill
        );
        if font.anchor != "start" {
            let _ = write!(self.out, r#" text-anchor="{}""#, font.anchor);
        }
        if font.bold {
            self.out.push_str(r#" font-weight="bold""#);
        }
        self.out.push('>');
        if let Some(t) = title {
            let _ = write!(self.out, "<title>{}</title>", esc(t));
        }
        let _ = writeln!(self.out, "{}</text>", esc(s));
    }

    /// Text turned a quarter anticlockwise, centred on (`x`, `y`): a vertical axis's label.
    pub(crate) fn text_up(&mut self, x: f64, y: f64, s: &str, font: Font) {
        let _ = writeln!(
            self.out,
            r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle" font-size="{}" fill="{}">{}</text>"#,
            n(x),
            n(y),
            fixed(font.size, 1),
            font.fill,
            esc(s)
        );
    }

    /// A straight line.
    pub(crate) fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: Stroke) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}"{}/>"#,
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            stroke.attrs()
        );
    }

    /// A line through `points`, with an optional hover text.
    pub(crate) fn polyline(&mut self, points: &[(f64, f64)], stroke: Stroke, title: Option<&str>) {
        if points.is_empty() {
            return;
        }
        let _ = write!(
            self.out,
            r#"<polyline points="{}"{} stroke-linejoin="round""#,
            point_list(points),
            stroke.attrs()
        );
        self.close("polyline", title);
    }

    /// A filled area bounded by `points`.
    pub(crate) fn polygon(&mut self, points: &[(f64, f64)], fill: &str, opacity: f64) {
        if points.is_empty() {
            return;
        }
        let _ = writeln!(
            self.out,
            r#"<polygon points="{}" fill="{}" fill-opacity="{}" stroke="none"/>"#,
            point_list(points),
            esc(fill),
            fixed(opacity, 2)
        );
    }

    /// A path with data `d` (built from [`n`]-formatted numbers), stroked, with an optional
    /// hover text.
    pub(crate) fn path(&mut self, d: &str, stroke: Stroke, title: Option<&str>) {
        let _ = write!(
            self.out,
            r#"<path d="{}"{} stroke-linecap="round""#,
            esc(d),
            stroke.attrs()
        );
        self.close("path", title);
    }

    /// A filled polygon with an optional hover text: an arrowhead, a marker.
    pub(crate) fn shape(&mut self, points: &[(f64, f64)], fill: &str, title: Option<&str>) {
        let _ = write!(
            self.out,
            r#"<polygon points="{}" fill="{}" stroke="none""#,
            point_list(points),
            esc(fill)
        );
        self.close("polygon", title);
    }

    /// A circle, filled or (with `fill` `"#ffffff"`) open, with an optional hover text.
    pub(crate) fn circle(
        &mut self,
        (cx, cy): (f64, f64),
        r: f64,
        fill: &str,
        stroke: Stroke,
        title: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="{}""#,
            n(cx),
            n(cy),
            n(r),
            esc(fill),
            esc(stroke.colour),
            fixed(stroke.width, 2)
        );
        self.close("circle", title);
    }

    /// A filled rectangle.
    pub(crate) fn rect(
        &mut self,
        (x, y): (f64, f64),
        (w, h): (f64, f64),
        fill: &str,
        opacity: f64,
    ) {
        self.rect_titled((x, y), (w, h), (fill, opacity), None);
    }

    /// A filled rectangle (`fill` at an opacity) with an optional hover text.
    pub(crate) fn rect_titled(
        &mut self,
        (x, y): (f64, f64),
        (w, h): (f64, f64),
        (fill, opacity): (&str, f64),
        title: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}""#,
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0)),
            esc(fill)
        );
        if opacity < 1.0 {
            let _ = write!(self.out, r#" fill-opacity="{}""#, fixed(opacity, 2));
        }
        self.close("rect", title);
    }

    /// An invisible rectangle that shows `title` on hover (`class="hit"`: the page's style
    /// shades it while hovered).
    pub(crate) fn hit(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), title: &str) {
        let _ = write!(
            self.out,
            r##"<rect class="hit" x="{}" y="{}" width="{}" height="{}" fill="#000000" fill-opacity="0""##,
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        );
        self.close("rect", Some(title));
    }
}

fn point_list(points: &[(f64, f64)]) -> String {
    let mut s = String::with_capacity(points.len() * 12);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{},{}", n(x), n(y));
    }
    s
}

/// A linear map from data values (`d0..d1`) to drawing coordinates (`r0..r1`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    pub(crate) fn new((d0, d1): (f64, f64), (r0, r1): (f64, f64)) -> Scale {
        Scale { d0, d1, r0, r1 }
    }

    /// Where `x` goes; a value outside the domain goes outside the range, a degenerate domain
    /// maps everything to the middle.
    pub(crate) fn map(&self, x: f64) -> f64 {
        if self.d1 == self.d0 || !x.is_finite() {
            (self.r0 + self.r1) / 2.0
        } else {
            self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
        }
    }
}

/// Round tick marks covering a domain: the domain widened to whole steps.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ticks {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) values: Vec<f64>,
    pub(crate) decimals: usize,
    /// Printed after each label (`%`), or empty.
    pub(crate) unit: &'static str,
}

impl Ticks {
    /// The label of tick `x`.
    pub(crate) fn label(&self, x: f64) -> String {
        format!("{}{}", fixed(x, self.decimals), self.unit)
    }

    /// The widest tick label's estimated width at `size`.
    pub(crate) fn label_width(&self, size: f64) -> f64 {
        self.values
            .iter()
            .map(|&v| text_width(&self.label(v), size))
            .fold(0.0, f64::max)
    }
}

/// About `target` round ticks (steps of 1, 2 or 5 times a power of ten) over `lo..hi`, widened
/// to whole steps; a domain of one value is widened around it. `integer` keeps steps whole
/// (time axes).
pub(crate) fn ticks(lo: f64, hi: f64, target: usize, integer: bool) -> Ticks {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo <= 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let mut step = mag
        * if norm <= 1.0 {
            1.0
        } else if norm <= 2.0 {
            2.0
        } else if norm <= 5.0 {
            5.0
        } else {
            10.0
        };
    if integer {
        step = step.max(1.0).round();
    }
    let (first, last) = ((lo / step).floor(), (hi / step).ceil());
    if !(step.is_finite() && step > 0.0) || last - first > 200.0 {
        return Ticks {
            lo,
            hi,
            values: vec![lo, hi],
            decimals: 4,
            unit: "",
        };
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 12.0) as usize;
    let values: Vec<f64> = (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect();
    Ticks {
        lo: first * step,
        hi: last * step,
        values,
        decimals,
        unit: "",
    }
}

/// A plotting area: its place in the drawing and the scales of its two axes.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub(crate) left: f64,
    pub(crate) top: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) x: Scale,
    pub(crate) y: Scale,
    pub(crate) xt: Ticks,
    pub(crate) yt: Ticks,
}

impl Frame {
    /// A frame at (`left`, `top`) of `width` × `height`, its axes spanning the ticks.
    pub(crate) fn new(
        left: f64,
        top: f64,
        (width, height): (f64, f64),
        xt: Ticks,
        yt: Ticks,
    ) -> Frame {
        Frame {
            left,
            top,
            width,
            height,
            x: Scale::new((xt.lo, xt.hi), (left, left + width)),
            y: Scale::new((yt.lo, yt.hi), (top + height, top)),
            xt,
            yt,
        }
    }

    /// The drawing coordinates of data point (`x`, `y`).
    pub(crate) fn at(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x.map(x), self.y.map(y))
    }

    pub(crate) fn bottom(&self) -> f64 {
        self.top + self.height
    }

    pub(crate) fn right(&self) -> f64 {
        self.left + self.width
    }

    /// Grid lines, both axes with their tick labels, and the axes' labels.
    pub(crate) fn axes(&self, svg: &mut Svg, x_label: &str, y_label: &str) {
        self.axes_below(svg, x_label, y_label, 0.0);
    }

    /// [`Frame::axes`] with the horizontal axis's tick labels and label `gap` lower, leaving
    /// room under the plotting area for a strip drawn to the same horizontal scale.
    pub(crate) fn axes_below(&self, svg: &mut Svg, x_label: &str, y_label: &str, gap: f64) {
        let small = Font::plain(11.0).fill(MUTED);
        for &v in &self.yt.values {
            let y = self.y.map(v);
            svg.line((self.left, y), (self.right(), y), Stroke::solid(GRID, 1.0));
            svg.text(self.left - 6.0, y + 4.0, &self.yt.label(v), small.at("end"));
        }
        for &v in &self.xt.values {
            let x = self.x.map(v);
            svg.line(
                (x, self.bottom()),
                (x, self.bottom() + 4.0),
                Stroke::solid(MUTED, 1.0),
            );
            svg.text(
                x,
                self.bottom() + gap + 16.0,
                &self.xt.label(v),
                small.at("middle"),
            );
        }
        let axis = Stroke::solid(MUTED, 1.0);
        svg.line((self.left, self.top), (self.left, self.bottom()), axis);
        svg.line(
            (self.left, self.bottom()),
            (self.right(), self.bottom()),
            axis,
        );
        svg.text(
            self.left + self.width / 2.0,
            self.bottom() + gap + 34.0,
            x_label,
            Font::plain(12.0).at("middle"),
        );
        let y_label_x = self.left - 12.0 - self.yt.label_width(11.0) - 6.0;
        svg.text_up(
            y_label_x.max(12.0),
            self.top + self.height / 2.0,
            y_label,
            Font::plain(12.0),
        );
    }

    /// The horizontal axis alone, for charts of rows: vertical grid lines, tick labels, the
    /// axis line and its label.
    pub(crate) fn x_axis(&self, svg: &mut Svg, x_label: &str) {
        for &v in &self.xt.values {
            let x = self.x.map(v);
            svg.line((x, self.top), (x, self.bottom()), Stroke::solid(GRID, 1.0));
            svg.text(
                x,
                self.bottom() + 16.0,
                &self.xt.label(v),
                Font::plain(11.0).fill(MUTED).at("middle"),
            );
        }
        svg.line(
            (self.left, self.bottom()),
            (self.right(), self.bottom()),
            Stroke::solid(MUTED, 1.0),
        );
        svg.text(
            self.left + self.width / 2.0,
            self.bottom() + 34.0,
            x_label,
            Font::plain(12.0).at("middle"),
        );
    }

    /// Invisible columns, one per time point `xs[i]`, each showing `titles[i]` on hover.
    pub(crate) fn hover_columns(&self, svg: &mut Svg, xs: &[f64], titles: &[String]) {
        let px: Vec<f64> = xs.iter().map(|&x| self.x.map(x)).collect();
        for (i, title) in titles.iter().enumerate().take(px.len()) {
            let lo = if i == 0 {
                self.left
            } else {
                (px[i - 1] + px[i]) / 2.0
            };
            let hi = if i + 1 == px.len() {
                self.right()
            } else {
                (px[i] + px[i + 1]) / 2.0
            };
            svg.hit((lo, self.top), (hi - lo, self.height), title);
        }
    }
}

/// The left margin a frame needs for its vertical axis: the rotated label and the widest tick
/// label.
pub(crate) fn left_margin(yt: &Ticks) -> f64 {
    (30.0 + yt.label_width(11.0) + 8.0).max(52.0)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Swatch<'a> {
    /// A line.
    Line(Stroke<'a>),
    /// A filled band of a colour at an opacity.
    Band(&'a str, f64),
    /// A dot, filled or open.
    Dot(&'a str, bool),
    /// A filled diamond.
    Diamond(&'a str),
}

/// A legend: swatches with labels, in rows that wrap at a width.
pub(crate) struct Legend<'a> {
    items: Vec<(Swatch<'a>, String)>,
    /// Each item's (x offset, row).
    places: Vec<(f64, usize)>,
    rows: usize,
}

/// Height of one legend row.
pub(crate) const LEGEND_ROW: f64 = 18.0;

impl<'a> Legend<'a> {
    /// Lays `items` out in rows of at most `width`.
    pub(crate) fn new(items: Vec<(Swatch<'a>, String)>, width: f64) -> Legend<'a> {
        let mut places = Vec::with_capacity(items.len());
        let (mut x, mut row) = (0.0, 0);
        for (_, label) in &items {
            let w = 26.0 + text_width(label, 11.0) + 22.0;
            if x > 0.0 && x + w > width {
                x = 0.0;
                row += 1;
            }
            places.push((x, row));
            x += w;
        }
        let rows = if items.is_empty() { 0 } else { row + 1 };
        Legend {
            items,
            places,
            rows,
        }
    }

    /// The height the legend takes.
    pub(crate) fn height(&self) -> f64 {
        self.rows as f64 * LEGEND_ROW
    }

    /// Draws the legend with its first row's centre line at `y`.
    pub(crate) fn draw(&self, svg: &mut Svg, x0: f64, y: f64) {
        for ((swatch, label), &(dx, row)) in self.items.iter().zip(&self.places) {
            let (x, y) = (x0 + dx, y + row as f64 * LEGEND_ROW);
            match *swatch {
                Swatch::Line(stroke) => svg.line((x, y), (x + 20.0, y), stroke),
                Swatch::Band(fill, opacity) => svg.rect((x, y - 5.0), (20.0, 10.0), fill, opacity),
                Swatch::Dot(fill, filled) => svg.circle(
                    (x + 10.0, y),
                    4.0,
                    if filled { fill } else { "#ffffff" },
                    Stroke::solid(fill, 1.5),
                    None,
                ),
                Swatch::Diamond(fill) => {
                    svg.shape(&super::chart::diamond((x + 10.0, y), 5.0), fill, None)
                }
            }
            svg.text(x + 26.0, y + 4.0, label, Font::plain(11.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_fixed_and_never_negative_zero() {
        assert_eq!(n(-0.04), "0.0");
        assert_eq!(n(12.345), "12.3");
        assert_eq!(n(f64::NAN), "0.0");
        assert_eq!(fixed(-0.0, 3), "0.000");
        assert_eq!(fixed(-1.5, 0), "-2");
        assert_eq!(value(0.123456), "0.1235");
        assert_eq!(value(1234.56), "1234.6");
        assert_eq!(pct(0.0041), "0.4%");
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            esc(r#"</script><img src=x onerror="a('b')">&"#),
            "&lt;/script&gt;&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(esc("a\u{1b}b\u{0}c\u{85}"), "abc");
    }

    #[test]
    fn ticks_are_round_and_cover_the_domain() {
        let t = ticks(0.03, 0.97, 5, false);
        assert_eq!((t.lo, t.hi, t.decimals), (0.0, 1.0, 1));
        assert_eq!(t.values.len(), 6);
        let t = ticks(0.0, 104.0, 8, true);
        assert_eq!((t.lo, t.hi), (0.0, 120.0));
        assert!(t.values.iter().all(|v| v.fract() == 0.0));
        // One value, nothing finite, a reversed domain: still ticks, never a panic.
        for (lo, hi) in [(0.2838, 0.2838), (0.0, 0.0), (f64::NAN, 1.0), (2.0, 1.0)] {
            let t = ticks(lo, hi, 5, false);
            assert!(t.lo < t.hi && t.values.len() >= 2, "{lo} {hi}: {t:?}");
        }
        let t = ticks(0.0, 3.0, 5, true);
        assert_eq!(t.values, vec![0.0, 1.0, 2.0, 3.0]);
        let t = ticks(-1e300, 1e300, 5, false);
        assert!(t.values.len() >= 2);
    }

    #[test]
    fn clipped_labels_end_in_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
