//! A static scatter plot of the map (PNG, via `plotters` with a bundled font).

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor};

use crate::pipeline::{Collection, SampleMap};
use crate::MapError;

/// Width of the PNG, in pixels.
pub const WIDTH: u32 = 1600;
/// Height of the PNG, in pixels.
pub const HEIGHT: u32 = 1100;

const TAB: [RGBColor; 20] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xae, 0xc7, 0xe8),
    RGBColor(0xff, 0xbb, 0x78),
    RGBColor(0x98, 0xdf, 0x8a),
    RGBColor(0xff, 0x98, 0x96),
    RGBColor(0xc5, 0xb0, 0xd5),
    RGBColor(0xc4, 0x9c, 0x94),
    RGBColor(0xf7, 0xb6, 0xd2),
    RGBColor(0xdb, 0xdb, 0x8d),
    RGBColor(0x9e, 0xda, 0xe5),
];

/// Colour of group `g`: a 20-colour table, then golden-angle hues.
fn colour(g: usize) -> RGBColor {
    if g < TAB.len() {
        return TAB[g];
    }
    let hsl = HSLColor(((g as f64 * 137.508) % 360.0) / 360.0, 0.65, 0.55);
    let (r, gg, b) = hsl.rgb();
    RGBColor(r, gg, b)
}

/// Registers the bundled font (Ubuntu Light, from `epaint_default_fonts`) once per process.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // NOTE: the bytes are a valid TTF shipped by the crate; failure would be a packaging bug.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// Draws the map to a PNG at `path`: points coloured by folder label (by cluster when there is
/// only one folder), a legend with counts, and a title with the quality summary.
pub fn write(c: &Collection, map: &SampleMap, path: &Path) -> Result<(), MapError> {
    register_font();
    let err = |e: String| MapError::Png {
        path: path.to_path_buf(),
        message: e,
    };
    let by_cluster = c.labels.len() < 2;
    let (groups, names): (Vec<usize>, Vec<String>) = if by_cluster {
        (
            map.clustering.labels.clone(),
            (0..map.clustering.k)
                .map(|k| format!("cluster {k}"))
                .collect(),
        )
    } else {
        (c.label_of.clone(), c.labels.clone())
    };
    let (mut x0, mut x1, mut y0, mut y1) = (
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
    );
    for p in &map.positions {
        (x0, x1, y0, y1) = (x0.min(p[0]), x1.max(p[0]), y0.min(p[1]), y1.max(p[1]));
    }
    let (px, py) = (0.04 * (x1 - x0).max(1e-6), 0.04 * (y1 - y0).max(1e-6));
    let n = map.positions.len();
    let radius = if n > 5000 {
        2
    } else if n > 1000 {
        3
    } else {
        4
    };

    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let f = |s: Option<f32>| s.map_or("n/a".to_string(), |v| format!("{v:.2}"));
    let caption = format!(
        "{} samples, {} of {} · silhouette folder {} · cluster {} (k={}) · purity {:.2}",
        n,
        map.options.method.name(),
        map.options.features.name(),
        f(map.quality.silhouette_labels),
        f(map.quality.silhouette_clusters),
        map.clustering.k,
        map.quality.contingency.purity
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 26))
        .margin(20)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (g, name) in names.iter().enumerate() {
        let col = colour(g);
        let count = groups.iter().filter(|&&x| x == g).count();
        chart
            .draw_series(
                map.positions
                    .iter()
                    .zip(&groups)
                    .filter(|(_, &gg)| gg == g)
                    .map(|(p, _)| Circle::new((p[0], p[1]), radius, col.mix(0.8).filled())),
            )
            .map_err(|e| err(e.to_string()))?
            .label(format!("{name} ({count})"))
            .legend(move |(x, y)| Circle::new((x + 6, y), 6, col.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 18))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
