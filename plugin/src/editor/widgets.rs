//! Small drawing helpers shared by the editor's panels.

use super::ACCENT;
use egui::{pos2, Color32, Pos2, Sense, Shape, Stroke, StrokeKind, Vec2};

/// A class's display colour.
pub(crate) fn class_color(rgb: [u8; 3]) -> Color32 {
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

/// A horizontal level meter from `floor` to 0 dBFS with its value as text.
pub(crate) fn level_meter(ui: &mut egui::Ui, dbfs: f32, floor: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(140.0, 14.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(30));
    let fraction = ((dbfs - floor) / -floor).clamp(0.0, 1.0);
    let mut filled = rect;
    filled.set_width(rect.width() * fraction);
    painter.rect_filled(filled, 2.0, ACCENT);
    painter.rect_stroke(
        rect,
        2.0,
        Stroke::new(1.0, Color32::GRAY),
        StrokeKind::Inside,
    );
    let text = if dbfs <= floor {
        "-inf dBFS".to_owned()
    } else {
        format!("{dbfs:.1} dBFS")
    };
    ui.label(text);
}

/// The hit lamp, lit after every onset, with a text label so that colour is not the only cue.
pub(crate) fn hit_flash(ui: &mut egui::Ui, lit: bool) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(16.0), Sense::hover());
    let color = if lit { ACCENT } else { Color32::from_gray(50) };
    ui.painter()
        .circle(rect.center(), 7.0, color, Stroke::new(1.0, Color32::GRAY));
    ui.label(if lit { "HIT" } else { "hit" });
}

/// A class's marker: each class has its own shape as well as its colour (shape = class index
/// modulo 5: circle, square, triangle, diamond, cross).
pub(crate) fn marker(
    class: usize,
    center: Pos2,
    radius: f32,
    fill: Color32,
    stroke: Stroke,
) -> Shape {
    let r = radius;
    let c = center;
    match class % 5 {
        0 => Shape::circle_filled(c, r, fill),
        1 => Shape::rect_filled(
            egui::Rect::from_center_size(c, Vec2::splat(2.0 * r * 0.9)),
            0.0,
            fill,
        ),
        2 => Shape::convex_polygon(
            vec![
                pos2(c.x, c.y - r * 1.1),
                pos2(c.x + r, c.y + r * 0.8),
                pos2(c.x - r, c.y + r * 0.8),
            ],
            fill,
            stroke,
        ),
        3 => Shape::convex_polygon(
            vec![
                pos2(c.x, c.y - r * 1.2),
                pos2(c.x + r * 1.2, c.y),
                pos2(c.x, c.y + r * 1.2),
                pos2(c.x - r * 1.2, c.y),
            ],
            fill,
            stroke,
        ),
        _ => Shape::Vec(vec![
            Shape::line_segment(
                [pos2(c.x - r, c.y - r), pos2(c.x + r, c.y + r)],
                Stroke::new(2.0, fill),
            ),
            Shape::line_segment(
                [pos2(c.x - r, c.y + r), pos2(c.x + r, c.y - r)],
                Stroke::new(2.0, fill),
            ),
        ]),
    }
}

/// The name of a marker shape, for legends and tooltips.
pub(crate) fn marker_name(class: usize) -> &'static str {
    ["circle", "square", "triangle", "diamond", "cross"][class % 5]
}
