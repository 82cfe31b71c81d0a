//! The run's charts (plotters), each with the fault windows drawn as labelled shaded bands.
//!
//! Every chart is drawn by one function generic over the backend, so the SVG that the report
//! inlines and the PNG that `--png` adds are the same picture.

use std::collections::BTreeMap;

use check::spans::{Span, SpanEnd};
use platform::series::SeriesChart;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use sim_core::metrics::Bucket;

use crate::bands::Band;
use crate::timeseries::Window;

/// Chart size in pixels: wide enough for a laptop screen, short enough to see two at once.
pub const SIZE: (u32, u32) = (1100, 440);

/// The most successful operations latency-raw draws; beyond it every k-th is drawn (failed
/// and indeterminate ones are always all drawn). Keeps the SVG a few megabytes at most.
const RAW_POINTS_MAX: usize = 40_000;

const FONT: &str = "sans-serif";
const OK_COLOR: RGBColor = RGBColor(31, 119, 180);
const FAIL_COLOR: RGBColor = RGBColor(214, 39, 40);
const INFO_COLOR: RGBColor = RGBColor(255, 127, 14);

/// What the time charts are drawn from.
pub struct ChartData<'a> {
    /// Every client operation.
    pub spans: &'a [Span],
    /// Per-window figures.
    pub windows: &'a [Window],
    /// Window width, seconds.
    pub window_s: f64,
    /// Fault windows.
    pub bands: &'a [Band],
    /// The run's end, seconds.
    pub end_s: f64,
    /// When the quiet period began, seconds.
    pub quiet_s: Option<f64>,
    /// The protocol's series, regrouped into the windows, by name.
    pub series: &'a BTreeMap<String, Vec<Bucket>>,
}

/// One chart of the report.
pub struct Chart {
    /// File name without extension (`latency-raw`).
    pub name: &'static str,
    /// Heading in the report.
    pub title: &'static str,
    /// How to read it, one sentence.
    pub caption: &'static str,
    draw: for<'a, 'b> fn(&DrawingArea<SVGBackend<'a>, Shift>, &ChartData<'b>) -> Result<(), String>,
    draw_png: for<'a, 'b> fn(
        &DrawingArea<BitMapBackend<'a>, Shift>,
        &ChartData<'b>,
    ) -> Result<(), String>,
}

/// The time charts, in report order.
pub fn charts() -> Vec<Chart> {
    macro_rules! chart {
        ($name:literal, $title:literal, $caption:literal, $f:ident) => {
            Chart {
                name: $name,
                title: $title,
                caption: $caption,
                draw: |a, d| $f(a, d),
                draw_png: |a, d| $f(a, d),
            }
        };
    }
    vec![
        chart!(
            "latency-raw",
            "Latency of every operation",
            "Each operation at its invocation time; blue succeeded, red failed with a definite answer (a compare-and-set that found another value), orange indeterminate (timed out). Shaded bands are faults.",
            latency_raw
        ),
        chart!(
            "latency-quantiles",
            "Latency quantiles per window",
            "p50, p95, p99 and max latency of the successful operations invoked in each window.",
            latency_quantiles
        ),
        chart!(
            "throughput",
            "Throughput",
            "Operations per second, by outcome, counted in the window of their invocation.",
            throughput
        ),
        chart!(
            "availability",
            "Availability per window",
            "The share of operations invoked in each window that the system answered: ok, or a definite answer such as a compare-and-set whose comparison failed.",
            availability
        ),
    ]
}

impl Chart {
    /// The chart as an SVG document.
    pub fn svg(&self, data: &ChartData) -> Result<String, String> {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            (self.draw)(&root, data)?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    /// The chart as a PNG file at `path`.
    pub fn png(&self, data: &ChartData, path: &std::path::Path) -> Result<(), String> {
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        (self.draw_png)(&root, data)?;
        root.present().map_err(|e| e.to_string())
    }
}

fn band_color(kind: &str) -> RGBColor {
    let (r, g, b) = crate::bands::fault_rgb(kind);
    RGBColor(r, g, b)
}

type TimeChart<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

/// Draws the frame shared by every time chart (title, axes with units, fault bands, the
/// quiet period's start) and returns the chart for its series.
fn time_chart<'a, DB, Y>(
    root: &'a DrawingArea<DB, Shift>,
    data: &ChartData,
    (title, y_desc): (&str, &str),
    y: Y,
    (lo, hi): (f64, f64),
    y_format: &dyn Fn(&f64) -> String,
) -> Result<TimeChart<'a, DB, Y::CoordDescType>, String>
where
    DB: DrawingBackend + 'a,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0f64..data.end_s.max(1e-9), y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("simulated time (s)")
        .y_desc(y_desc)
        .y_label_formatter(y_format)
        .x_label_formatter(&|x| {
            if data.end_s >= 10.0 { format!("{x:.0}") } else { format!("{x:.1}") }
        })
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    // A minimum width keeps instant faults (a clock step) visible as a thin line.
    let min_width = data.end_s / 600.0;
    chart
        .draw_series(data.bands.iter().map(|b| {
            let end = b.end_s.max(b.start_s + min_width);
            Rectangle::new([(b.start_s, lo), (end, hi)], band_color(b.kind).mix(0.16).filled())
        }))
        .map_err(err)?;
    // Labels go in three staggered rows so neighbouring faults do not print over each other.
    chart
        .draw_series(data.bands.iter().enumerate().map(|(i, b)| {
            EmptyElement::at((b.start_s, hi))
                + Text::new(
                    b.label.clone(),
                    (3, 4 + 16 * (i % 3) as i32),
                    (FONT, 13).into_font().color(&band_color(b.kind).mix(0.95)),
                )
        }))
        .map_err(err)?;
    if let Some(q) = data.quiet_s {
        chart
            .draw_series(DashedLineSeries::new(
                [(q, lo), (q, hi)],
                6,
                4,
                RGBColor(90, 90, 90).stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((q, lo))
                    + Text::new("quiet period", (4, -20), (FONT, 13).into_font().color(&BLACK)),
            ))
            .map_err(err)?;
    }
    Ok(chart)
}

/// Draws the series' legend at `position`, in the style every chart of the report shares.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 14))
        .draw()
        .map_err(|e| e.to_string())
}

fn ms_label(v: &f64) -> String {
    if *v >= 1000.0 {
        format!("{:.0}s", v / 1000.0)
    } else if *v >= 1.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A log axis from below the smallest to above the largest of `values` (milliseconds).
fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi == 0.0 { (0.1, 10.0) } else { ((lo / 2.0).max(1e-3), hi * 2.0) }
}

fn latency_raw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let point =
        |s: &Span| s.latency_ns().map(|l| (s.start_ns as f64 / 1e9, (l as f64 / 1e6).max(1e-3)));
    let of = |end: SpanEnd| data.spans.iter().filter(move |s| s.end == end).filter_map(point);
    let ok_count = data.spans.iter().filter(|s| s.end == SpanEnd::Ok).count();
    let stride = ok_count.div_ceil(RAW_POINTS_MAX).max(1);
    let bounds = log_bounds(data.spans.iter().filter_map(point).map(|p| p.1));
    let title = if stride > 1 {
        format!("Latency of every operation (1 in {stride} successful ones drawn)")
    } else {
        "Latency of every operation".to_string()
    };
    let axis = (bounds.0..bounds.1).log_scale();
    let mut chart = time_chart(root, data, (&title, "latency (ms, log)"), axis, bounds, &ms_label)?;
    chart
        .draw_series(
            of(SpanEnd::Ok).step_by(stride).map(|p| Circle::new(p, 2, OK_COLOR.mix(0.6).filled())),
        )
        .map_err(err)?
        .label(format!("ok ({ok_count})"))
        .legend(|(x, y)| Circle::new((x + 8, y), 4, OK_COLOR.filled()));
    let failed = of(SpanEnd::Failed).count();
    chart
        .draw_series(of(SpanEnd::Failed).map(|p| Cross::new(p, 4, FAIL_COLOR.stroke_width(2))))
        .map_err(err)?
        .label(format!("failed, answered ({failed})"))
        .legend(|(x, y)| Cross::new((x + 8, y), 4, FAIL_COLOR.stroke_width(2)));
    let info = of(SpanEnd::Indeterminate).count();
    chart
        .draw_series(
            of(SpanEnd::Indeterminate).map(|p| TriangleMarker::new(p, 5, INFO_COLOR.filled())),
        )
        .map_err(err)?
        .label(format!("indeterminate ({info})"))
        .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, INFO_COLOR.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn mid(w: &Window, window_s: f64) -> f64 {
    w.start_s + window_s / 2.0
}

/// Draws `points` as a line with a legend entry.
fn line<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut TimeChart<'a, DB, Y>,
    name: &str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(points, color.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(name)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    Ok(())
}

fn latency_quantiles<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<(), String> {
    let bounds = log_bounds(data.windows.iter().filter_map(|w| w.latency_ms).flatten());
    let axis = (bounds.0..bounds.1).log_scale();
    let labels = ("Latency quantiles per window", "latency (ms, log)");
    let mut chart = time_chart(root, data, labels, axis, bounds, &ms_label)?;
    let lines = [
        ("p50", RGBColor(44, 160, 44)),
        ("p95", OK_COLOR),
        ("p99", INFO_COLOR),
        ("max", FAIL_COLOR),
    ];
    for (q, (name, color)) in lines.into_iter().enumerate() {
        let points = data
            .windows
            .iter()
            .filter_map(|w| w.latency_ms.map(|l| (mid(w, data.window_s), l[q].max(1e-3))))
            .collect();
        line(&mut chart, name, color, points)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn throughput<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<(), String> {
    let rate = |n: u64| n as f64 / data.window_s;
    let top = data.windows.iter().map(|w| rate(w.invoked)).fold(1.0, f64::max) * 1.15;
    let labels = ("Throughput", "operations per second");
    let mut chart = time_chart(root, data, labels, 0f64..top, (0.0, top), &|v| format!("{v:.0}"))?;
    type Count = fn(&Window) -> u64;
    let lines: [(&str, RGBColor, Count); 3] = [
        ("ok", OK_COLOR, |w| w.ok),
        ("failed", FAIL_COLOR, |w| w.failed),
        ("indeterminate", INFO_COLOR, |w| w.indeterminate),
    ];
    for (name, color, count) in lines {
        let points = data.windows.iter().map(|w| (mid(w, data.window_s), rate(count(w)))).collect();
        line(&mut chart, name, color, points)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn availability<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<(), String> {
    let labels = ("Availability per window", "answered / invoked (%)");
    let mut chart =
        time_chart(root, data, labels, 0f64..105.0, (0.0, 105.0), &|v| format!("{v:.0}"))?;
    let points: Vec<(f64, f64)> = data
        .windows
        .iter()
        .filter_map(|w| w.availability().map(|a| (mid(w, data.window_s), a * 100.0)))
        .collect();
    line(&mut chart, "availability", OK_COLOR, points.clone())?;
    chart
        .draw_series(points.into_iter().map(|p| Circle::new(p, 2, OK_COLOR.filled())))
        .map_err(|e| e.to_string())?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Line colours for a protocol's charts, in order.
const PALETTE: [RGBColor; 6] = [
    OK_COLOR,
    INFO_COLOR,
    RGBColor(44, 160, 44),
    FAIL_COLOR,
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// A protocol's own chart as an SVG document.
pub fn series_svg(spec: &SeriesChart, data: &ChartData) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        series_chart(&root, spec, data)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// A protocol's own chart as a PNG file at `path`.
pub fn series_png(
    spec: &SeriesChart,
    data: &ChartData,
    path: &std::path::Path,
) -> Result<(), String> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    series_chart(&root, spec, data)?;
    root.present().map_err(|e| e.to_string())
}

/// Draws each line of `spec` from its series, window by window; a series never recorded draws
/// nothing (its legend says so), and a mean over a window with no samples is a gap in its
/// line, not a straight stroke across it.
fn series_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &SeriesChart,
    data: &ChartData,
) -> Result<(), String> {
    let points: Vec<Vec<Option<(f64, f64)>>> = spec
        .lines
        .iter()
        .map(|l| {
            let Some(buckets) = data.series.get(l.series) else { return Vec::new() };
            data.windows
                .iter()
                .zip(buckets)
                .map(|(w, b)| l.show.value(*b, data.window_s).map(|v| (mid(w, data.window_s), v)))
                .collect()
        })
        .collect();
    let top = points.iter().flatten().flatten().map(|p| p.1).fold(1.0, f64::max) * 1.15;
    let format = |v: &f64| if top >= 10.0 { format!("{v:.0}") } else { format!("{v:.2}") };
    let mut chart =
        time_chart(root, data, (spec.title, spec.y_label), 0f64..top, (0.0, top), &format)?;
    for (i, (l, p)) in spec.lines.iter().zip(points).enumerate() {
        let label = if data.series.contains_key(l.series) {
            l.label.to_string()
        } else {
            format!("{} (never recorded)", l.label)
        };
        let color = PALETTE[i % PALETTE.len()];
        // The legend entry, then each run of windows with a value.
        line(&mut chart, &label, color, Vec::new())?;
        for run in p.split(Option::is_none).filter(|run| !run.is_empty()) {
            let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
            // A window alone between gaps is a dot; a line needs two.
            let dot = if run.len() == 1 { 3 } else { 0 };
            chart
                .draw_series(LineSeries::new(run, color.stroke_width(2)).point_size(dot))
                .map_err(|e| e.to_string())?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use platform::series::{SeriesLine, Show};

    use super::*;

    /// The number of polylines a protocol chart of one mean series draws.
    fn polylines(buckets: &[(u64, u64)]) -> usize {
        const SPEC: SeriesChart = SeriesChart {
            name: "test",
            title: "test",
            caption: "",
            y_label: "ms",
            lines: &[SeriesLine { series: "s", label: "s", show: Show::Mean }],
        };
        // One-second windows without client operations.
        let windows =
            crate::timeseries::windows(&[], buckets.len() as u64 * 1_000_000_000, 1_000_000_000);
        let series = BTreeMap::from([(
            "s".to_string(),
            buckets.iter().map(|&(sum, count)| Bucket { sum, count }).collect(),
        )]);
        let data = ChartData {
            spans: &[],
            windows: &windows,
            window_s: 1.0,
            bands: &[],
            end_s: buckets.len() as f64,
            quiet_s: None,
            series: &series,
        };
        series_svg(&SPEC, &data).unwrap().matches("<polyline").count()
    }

    #[test]
    fn a_mean_over_windows_without_samples_is_a_gap_in_its_line() {
        let whole = polylines(&[(10, 1), (12, 1), (14, 1), (16, 1), (18, 1)]);
        let gapped = polylines(&[(10, 1), (12, 1), (0, 0), (16, 1), (18, 1)]);
        assert_eq!(gapped, whole + 1, "two runs of windows are two lines");
    }
}
