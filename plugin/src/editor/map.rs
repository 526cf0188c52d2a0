//! The map: every example as a point (class colour and marker shape), the class centres with
//! their names, and the latest hit animated onto it. Hover shows a hit's details; click selects
//! it for the selected-hit panel (play, relabel, delete).

use super::widgets::{class_color, marker};
use super::{TimbrelEditor, ACCENT, WARN};
use crate::worker::ExampleKey;
use egui::{pos2, Color32, Pos2, Rect, RichText, Sense, Stroke, StrokeKind, Vec2};
use std::time::{Duration, Instant};

/// Half the width of the map's square, in map units (examples lie mostly within the unit circle).
const EXTENT: f32 = 1.4;
/// Time the latest-hit marker takes to move to its new place.
const ANIMATION: Duration = Duration::from_millis(300);
/// How near the pointer must be to a point to hover or select it, in points.
const PICK_RADIUS: f32 = 8.0;

/// The latest hit's marker animation.
#[derive(Debug, Clone, Copy)]
pub(super) struct LatestHit {
    from: [f32; 2],
    to: [f32; 2],
    since: Instant,
    ready_sample: u64,
}

impl Default for LatestHit {
    fn default() -> Self {
        Self {
            from: [0.0; 2],
            to: [0.0; 2],
            since: Instant::now() - ANIMATION,
            ready_sample: u64::MAX,
        }
    }
}

impl LatestHit {
    /// Where the marker is now, in map units.
    fn position(&self, now: Instant) -> [f32; 2] {
        let t = (now.duration_since(self.since).as_secs_f32() / ANIMATION.as_secs_f32())
            .clamp(0.0, 1.0);
        let ease = 1.0 - (1.0 - t).powi(3);
        [
            self.from[0] + (self.to[0] - self.from[0]) * ease,
            self.from[1] + (self.to[1] - self.from[1]) * ease,
        ]
    }
}

/// Keeps point `i` (drawn at `at`) in `nearest` as (distance, index) when it is within
/// [`PICK_RADIUS`] of the pointer and nearer than the one kept so far.
fn pick(pointer: Option<Pos2>, at: Pos2, i: usize, nearest: &mut Option<(f32, usize)>) {
    if let Some(ptr) = pointer {
        let d = at.distance(ptr);
        if d < PICK_RADIUS && nearest.is_none_or(|(best, _)| d < best) {
            *nearest = Some((d, i));
        }
    }
}

/// Draws the map, `width` points wide, in the remaining height.
pub(super) fn map_view(ui: &mut egui::Ui, ed: &mut TimbrelEditor, now: Instant, width: f32) {
    let (map, zones, classes, latest) = {
        let state = ed.shared.view.load();
        let latest = state
            .log
            .back()
            .and_then(|h| h.map_xy.map(|xy| (xy, h.ready_sample, h.prediction)));
        (
            state.map.clone(),
            state.zones.clone(),
            ed.shared.params.dataset.project().dataset.classes.clone(),
            latest,
        )
    };
    let title = if zones.is_some() {
        "Map: proposed zones (rings) and training hits"
    } else {
        "Map of the training hits"
    };
    ui.label(RichText::new(title).strong()).on_hover_text(
        "Similar sounds lie close together. Hover a hit for its details, click to select it.",
    );
    let side = width.min(ui.available_height() - 4.0).max(120.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, side), Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_gray(18));
    painter.rect_stroke(
        rect,
        4.0,
        Stroke::new(1.0, Color32::from_gray(60)),
        StrokeKind::Inside,
    );
    if map.is_none() && zones.is_none() {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Train a few hits to see the map",
            egui::FontId::proportional(14.0),
            Color32::GRAY,
        );
        return;
    }
    let map = map.unwrap_or_default();
    let square = Rect::from_center_size(rect.center(), Vec2::splat(rect.height() - 8.0));
    let to_screen = |xy: [f32; 2]| -> Pos2 {
        let x = (xy[0] / EXTENT).clamp(-1.0, 1.0);
        let y = (xy[1] / EXTENT).clamp(-1.0, 1.0);
        pos2(
            square.center().x + x * square.width() * 0.5,
            square.center().y - y * square.height() * 0.5,
        )
    };
    let outliers: Vec<ExampleKey> = ed
        .shared
        .view
        .load()
        .quality
        .as_ref()
        .map(|q| q.outliers.iter().map(|o| o.0).collect())
        .unwrap_or_default();

    // Points, then outlier rings and the selection.
    let pointer = response.hover_pos();
    let mut nearest: Option<(f32, usize)> = None;
    for (i, p) in map.points.iter().enumerate() {
        let at = to_screen(p.xy);
        let color = classes
            .get(p.class)
            .map_or(Color32::GRAY, |c| class_color(c.color));
        painter.add(marker(p.class, at, 3.5, color, Stroke::NONE));
        if outliers.contains(&p.key) {
            painter.circle_stroke(at, 6.5, Stroke::new(1.5, WARN));
        }
        if ed.selected == Some(p.key) {
            painter.circle_stroke(at, 8.0, Stroke::new(2.0, Color32::WHITE));
        }
        pick(pointer, at, i, &mut nearest);
    }
    // Class centres, named, so the map does not rely on colour.
    for &(class, xy) in &map.centres {
        let at = to_screen(xy);
        let color = classes
            .get(class)
            .map_or(Color32::GRAY, |c| class_color(c.color));
        painter.line_segment(
            [at - Vec2::new(7.0, 0.0), at + Vec2::new(7.0, 0.0)],
            Stroke::new(2.0, Color32::WHITE),
        );
        painter.line_segment(
            [at - Vec2::new(0.0, 7.0), at + Vec2::new(0.0, 7.0)],
            Stroke::new(2.0, Color32::WHITE),
        );
        let name = classes.get(class).map_or("?".to_owned(), |c| {
            if c.ignore {
                format!("{} (ignored)", c.name)
            } else {
                c.name.clone()
            }
        });
        painter.text(
            at + Vec2::new(9.0, -9.0),
            egui::Align2::LEFT_BOTTOM,
            name,
            egui::FontId::proportional(13.0),
            color,
        );
    }
    // The proposed zones: free-play hits as rings in the colour each zone will get, and each
    // zone's centre with the name it will be kept under.
    let zone_colors = zones.as_ref().map_or_else(Vec::new, |z| {
        super::zones::zone_colors(ed, &classes, z.zones.len())
    });
    let mut nearest_take: Option<(f32, usize)> = None;
    if let Some(z) = &zones {
        for (i, (&xy, &zone)) in z.xy.iter().zip(&z.labels).enumerate() {
            let at = to_screen(xy);
            painter.circle_stroke(at, 4.0, Stroke::new(1.5, zone_colors[zone]));
            pick(pointer, at, i, &mut nearest_take);
        }
        for (i, zone) in z.zones.iter().enumerate() {
            let at = to_screen(zone.centre);
            let diamond = vec![
                at + Vec2::new(0.0, -7.0),
                at + Vec2::new(7.0, 0.0),
                at + Vec2::new(0.0, 7.0),
                at + Vec2::new(-7.0, 0.0),
            ];
            painter.add(egui::Shape::convex_polygon(
                diamond,
                Color32::from_gray(18),
                Stroke::new(2.0, zone_colors[i]),
            ));
            painter.text(
                at + Vec2::new(9.0, 9.0),
                egui::Align2::LEFT_TOP,
                format!("{} ({})", super::zones::zone_label(ed, i), zone.hits),
                egui::FontId::proportional(13.0),
                zone_colors[i],
            );
        }
    }
    // The latest hit glides to its place.
    if let Some((xy, ready, prediction)) = latest {
        if ready != ed.latest_anim.ready_sample {
            ed.latest_anim = LatestHit {
                from: ed.latest_anim.position(now),
                to: xy,
                since: now,
                ready_sample: ready,
            };
        }
        let at = to_screen(ed.latest_anim.position(now));
        painter.circle_stroke(at, 9.0, Stroke::new(2.5, ACCENT));
        let label = match prediction.and_then(|p| p.best) {
            Some(c) => format!(
                "latest: {}",
                classes.get(c as usize).map_or("?", |k| k.name.as_str())
            ),
            None if prediction.is_some_and(|p| p.ignored) => "latest: ignored".to_owned(),
            None if prediction.is_some() => "latest: unknown".to_owned(),
            None => "latest".to_owned(),
        };
        painter.text(
            at + Vec2::new(11.0, 4.0),
            egui::Align2::LEFT_TOP,
            label,
            egui::FontId::proportional(12.0),
            ACCENT,
        );
    }
    // Legend.
    let mut y = rect.top() + 6.0;
    for (i, class) in classes.iter().enumerate() {
        let count = map.points.iter().filter(|p| p.class == i).count();
        if count == 0 {
            continue;
        }
        let at = pos2(rect.left() + 10.0, y + 6.0);
        painter.add(marker(i, at, 4.0, class_color(class.color), Stroke::NONE));
        painter.text(
            at + Vec2::new(8.0, 0.0),
            egui::Align2::LEFT_CENTER,
            format!(
                "{} ({count}){}",
                class.name,
                if class.ignore { ", ignored" } else { "" }
            ),
            egui::FontId::proportional(11.0),
            Color32::LIGHT_GRAY,
        );
        y += 14.0;
    }
    if let Some(z) = &zones {
        for (i, zone) in z.zones.iter().enumerate() {
            let at = pos2(rect.left() + 10.0, y + 6.0);
            painter.circle_stroke(at, 4.0, Stroke::new(1.5, zone_colors[i]));
            painter.text(
                at + Vec2::new(8.0, 0.0),
                egui::Align2::LEFT_CENTER,
                format!(
                    "{} ({}, proposed)",
                    super::zones::zone_label(ed, i),
                    zone.hits
                ),
                egui::FontId::proportional(11.0),
                Color32::LIGHT_GRAY,
            );
            y += 14.0;
        }
    }
    if !outliers.is_empty() {
        let at = pos2(rect.left() + 10.0, y + 6.0);
        painter.circle_stroke(at, 5.0, Stroke::new(1.5, WARN));
        painter.text(
            at + Vec2::new(8.0, 0.0),
            egui::Align2::LEFT_CENTER,
            "doubtful hit",
            egui::FontId::proportional(11.0),
            Color32::LIGHT_GRAY,
        );
    }

    let take_is_nearer = match (nearest, nearest_take) {
        (Some((a, _)), Some((b, _))) => b < a,
        (None, Some(_)) => true,
        _ => false,
    };
    if let (true, Some((_, i)), Some(z)) = (take_is_nearer, nearest_take, &zones) {
        let zone = z.labels[i];
        response.clone().on_hover_text_at_pointer(format!(
            "free-play hit at {:.2} s, level {:.1} dBFS\nproposed zone {}: {}",
            z.times[i],
            z.levels[i],
            zone + 1,
            super::zones::zone_label(ed, zone)
        ));
    } else if let Some((_, i)) = nearest {
        let p = map.points[i];
        let name = classes.get(p.class).map_or("?", |c| c.name.as_str());
        let doubtful = if outliers.contains(&p.key) {
            "\ndoubtful: misclassified or unknown when held out"
        } else {
            ""
        };
        let text = format!(
            "{name} hit recorded at {:.2} s\nlevel {:.1} dBFS, {:.0} ms of audio{doubtful}\nclick to select",
            p.key.time_s,
            p.level_dbfs,
            p.snippet_s * 1000.0
        );
        response.clone().on_hover_text_at_pointer(text);
        if response.clicked() {
            ed.selected = Some(p.key);
        }
    } else if response.clicked() {
        ed.selected = None;
    }
}
