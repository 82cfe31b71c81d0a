//! Comparison charts of a sweep: a figure against a swept key, one line per value of the other
//! keys with the spread over seeds as a band; and a distribution's CDF per point.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::charts::legend;

/// Colours for lines, in order (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (1000, 520);

/// One line of a comparison chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The values of the keys it holds fixed (`raft.heartbeat_interval=50ms`), or "all runs".
    pub label: String,
    /// (x, median, p10, p90) over the seeds, in x order.
    pub points: Vec<(f64, f64, f64, f64)>,
    /// A reference (an ideal, a closed form): drawn dashed in black, without a band.
    pub reference: bool,
}

/// A figure against a swept key.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Title.
    pub title: String,
    /// The x axis: the swept key.
    pub x_desc: String,
    /// The y axis: the figure, with its unit.
    pub y_desc: String,
    /// For a key whose values are not numbers: the label of x = 0, 1, 2, ….
    pub x_ticks: Option<Vec<String>>,
    /// The lines.
    pub lines: Vec<Line>,
}

/// A distribution's CDF per point.
#[derive(Clone, Debug, PartialEq)]
pub struct Cdf {
    /// Title.
    pub title: String,
    /// The x axis: the distribution's values, with their unit.
    pub x_desc: String,
    /// (label, sorted samples) per point.
    pub curves: Vec<(String, Vec<f64>)>,
}

/// A tick label: at most four decimals, trailing zeros dropped (0.03, not 0.030000000000000002).
fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

fn draw_comparison<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Comparison,
) -> Result<(), String> {
    let all = c.lines.iter().flat_map(|l| l.points.iter());
    let (x0, x1, y1) = all.fold((f64::INFINITY, f64::NEG_INFINITY, 0f64), |(a, b, y), p| {
        (a.min(p.0), b.max(p.0), y.max(p.3).max(p.1))
    });
    let (x0, x1) = if x0.is_finite() { (x0, x1) } else { (0.0, 1.0) };
    let pad = if x1 > x0 { (x1 - x0) * 0.05 } else { 0.5 };
    let y1 = if y1 > 0.0 { y1 * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0f64..y1)
        .map_err(err)?;
    let ticks = c.x_ticks.clone();
    let tick = move |x: &f64| match &ticks {
        Some(t) => {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                t.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
        None => short(*x),
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_label_formatter(&tick)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235));
    if let Some(t) = &c.x_ticks {
        mesh.x_labels(t.len().max(2) * 4 + 1);
    }
    mesh.draw().map_err(err)?;
    for line in c.lines.iter().filter(|l| l.reference) {
        let points = line.points.iter().map(|p| (p.0, p.1));
        chart
            .draw_series(DashedLineSeries::new(points, 8, 6, BLACK.stroke_width(2)))
            .map_err(err)?
            .label(line.label.clone())
            .legend(|(x, y)| {
                // Dashed in the legend too: two short strokes.
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (6, 0)], BLACK.stroke_width(2))
                    + PathElement::new([(10, 0), (16, 0)], BLACK.stroke_width(2))
            });
    }
    for (i, line) in c.lines.iter().filter(|l| !l.reference).enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        // The band: p90 along the top, p10 back along the bottom.
        let mut band: Vec<(f64, f64)> = line.points.iter().map(|p| (p.0, p.3)).collect();
        band.extend(line.points.iter().rev().map(|p| (p.0, p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, color.mix(0.15).filled())))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                line.points.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(line.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        chart
            .draw_series(line.points.iter().map(|p| Circle::new((p.0, p.1), 3, color.filled())))
            .map_err(err)?;
    }
    legend(&mut chart, quietest_corner(c, (x0 - pad, x1 + pad), y1))
}

/// The corner of the plot the fewest points fall in, so the legend hides as little as it can
/// (rising curves fill the upper right, falling ones the lower right); upper right on a tie.
fn quietest_corner(c: &Comparison, (x0, x1): (f64, f64), y1: f64) -> SeriesLabelPosition {
    let (xm, ym) = ((x0 + x1) / 2.0, y1 / 2.0);
    let points: Vec<(f64, f64)> =
        c.lines.iter().flat_map(|l| l.points.iter().map(|p| (p.0, p.1))).collect();
    let crowd = |right: bool, upper: bool| {
        points.iter().filter(|(x, y)| (*x >= xm) == right && (*y >= ym) == upper).count()
    };
    [
        (SeriesLabelPosition::UpperRight, crowd(true, true)),
        (SeriesLabelPosition::LowerRight, crowd(true, false)),
        (SeriesLabelPosition::UpperLeft, crowd(false, true)),
        (SeriesLabelPosition::LowerLeft, crowd(false, false)),
    ]
    .into_iter()
    .min_by_key(|&(_, n)| n)
    .map(|(corner, _)| corner)
    .expect("four corners")
}

/// The CDF chart; the x axis is logarithmic when the values span more than two decades (as
/// the Raft paper draws election downtime).
fn draw_cdf_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Cdf,
) -> Result<(), String> {
    let values = c.curves.iter().flat_map(|(_, s)| s.iter().copied());
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi > 0.0 && hi / lo > 100.0 {
        let (lo, hi) = (lo / 1.2, hi * 1.2);
        let x_desc = format!("{} (log scale)", c.x_desc);
        draw_cdf(root, c, &x_desc, (lo..hi).log_scale(), lo)
    } else {
        let hi = if hi > 0.0 { hi * 1.05 } else { 1.0 };
        draw_cdf(root, c, &c.x_desc, 0f64..hi, 0.0)
    }
}

fn draw_cdf<DB, X>(
    root: &DrawingArea<DB, Shift>,
    c: &Cdf,
    x_desc: &str,
    x: X,
    x_min: f64,
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x, 0f64..100.0)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("cumulative percent")
        .x_label_formatter(&|v| short(*v))
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    for (i, (label, samples)) in c.curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let n = samples.len() as f64;
        // A step function: at each sample the share at or below it.
        let mut points = Vec::with_capacity(2 * samples.len());
        for (k, v) in samples.iter().enumerate() {
            let v = v.max(x_min);
            points.push((v, k as f64 / n * 100.0));
            points.push((v, (k + 1) as f64 / n * 100.0));
        }
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(e)?
            .label(format!("{label} ({} samples)", samples.len()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// A figure over two swept keys: one cell per pair of values, coloured by the median.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// Title.
    pub title: String,
    /// The x key.
    pub x_desc: String,
    /// The y key.
    pub y_desc: String,
    /// The x key's values, in order.
    pub xs: Vec<String>,
    /// The y key's values, in order.
    pub ys: Vec<String>,
    /// (x position, y position, median) per cell.
    pub cells: Vec<(usize, usize, f64)>,
}

/// A colour from light yellow (low) to dark blue (high).
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(255, 8), mix(247, 48), mix(188, 107))
}

/// The heatmap: one cell per pair of values, coloured by the median.
fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &Heatmap,
) -> Result<(), String> {
    let (nx, ny) = (h.xs.len().max(1) as f64, h.ys.len().max(1) as f64);
    let mut chart = ChartBuilder::on(root)
        .caption(&h.title, (FONT, 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..nx, 0f64..ny)
        .map_err(err)?;
    let label = |values: &[String], v: f64| {
        let i = v - 0.5;
        if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
            values.get(i.round() as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&h.x_desc)
        .y_desc(&h.y_desc)
        .x_labels(h.xs.len() * 2 + 1)
        .y_labels(h.ys.len() * 2 + 1)
        .x_label_formatter(&|v| label(&h.xs, *v))
        .y_label_formatter(&|v| label(&h.ys, *v))
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    let (lo, hi) = h
        .cells
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| (a.min(c.2), b.max(c.2)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    for &(x, y, v) in &h.cells {
        let t = (v - lo) / span;
        let (x, y) = (x as f64, y as f64);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                shade(t).filled(),
            )))
            .map_err(err)?;
        let color = if t > 0.5 { WHITE } else { BLACK };
        chart
            .draw_series(std::iter::once(Text::new(
                if v.abs() >= 100.0 {
                    format!("{v:.0}")
                } else if v.abs() >= 1.0 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.3}")
                },
                (x + 0.4, y + 0.55),
                (FONT, 15).into_font().color(&color),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// A chart of a sweep, drawn as SVG text or as a PNG file.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepChart {
    /// A figure against a swept key.
    Comparison(Comparison),
    /// A distribution's CDF per point.
    Cdf(Cdf),
    /// A figure over two swept keys.
    Heatmap(Heatmap),
}

impl SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        match self {
            SweepChart::Comparison(c) => draw_comparison(root, c)?,
            SweepChart::Cdf(c) => draw_cdf_chart(root, c)?,
            SweepChart::Heatmap(h) => draw_heatmap(root, h)?,
        }
        root.present().map_err(err)
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, String> {
        let mut out = String::new();
        self.draw(&SVGBackend::with_string(&mut out, SIZE).into_drawing_area())?;
        Ok(out)
    }

    /// The chart as a PNG file at `path` (whose name must end in `.png`).
    pub fn png(&self, path: &std::path::Path) -> Result<(), String> {
        self.draw(&BitMapBackend::new(path, SIZE).into_drawing_area())
    }
}
