//! The live view: the latest hit's class, probabilities, interpolation and confidence; the strip
//! of recent hits; and the detector settings with the detection function and its threshold.

use super::widgets::{class_color, marker};
use super::{TimbrelEditor, ACCENT, WARN};
use crate::class_names::class_name;
use crate::worker::HitSummary;
use egui::{pos2, Color32, RichText, Sense, Stroke, StrokeKind, Vec2};
use nice_plug_egui::widgets::ParamSlider;

/// Colour of the retrigger mask in the detection display.
const MASK_COLOUR: Color32 = Color32::from_rgb(230, 170, 60);

/// The latest hit: its class in large type, the probability bars, the interpolation meter with
/// the pair's names at its ends, confidence and novelty.
pub(super) fn latest_hit(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    let (latest, classes, pair) = {
        let state = ed.shared.view.load();
        (
            state.log.back().copied(),
            state.model_classes.clone(),
            state.model_pair,
        )
    };
    ui.label(RichText::new("Latest hit").strong());
    let Some(hit) = latest else {
        ui.label("No hits yet: play the drum, or switch on the demo input.");
        return;
    };
    let Some(p) = hit.prediction else {
        let armed = hit.trained_as.map_or(String::new(), |c| {
            format!(", recorded into {}", ed.class_name(c))
        });
        ui.label(format!(
            "{:.1} dBFS at {:.2} s: no model yet{armed}",
            hit.peak_dbfs, hit.onset_s
        ));
        speed_meter(ui, &hit);
        return;
    };
    let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let name = |i: usize| class_name(&names, i);
    ui.horizontal_wrapped(|ui| {
        match p.best {
            Some(c) => {
                ui.label(
                    RichText::new(name(c as usize))
                        .size(22.0)
                        .strong()
                        .color(class_color(classes[c as usize].color)),
                );
            }
            None if p.ignored => {
                ui.label(
                    RichText::new("IGNORED")
                        .size(22.0)
                        .strong()
                        .color(Color32::GRAY),
                )
                .on_hover_text("Sounds like an ignore class: sends no note, CC or output.");
                ui.label(format!("(like {})", name(p.best_class as usize)));
            }
            None => {
                ui.label(RichText::new("UNKNOWN").size(22.0).strong().color(WARN));
                if p.no_new_stroke {
                    ui.label(format!(
                        "(no new stroke; sounds like {})",
                        name(p.best_class as usize)
                    ))
                    .on_hover_text(
                        "The drum's body barely rose over what rang before this hit: a hi-hat or \
                         cymbal over its ringing, or a ghost note in it. See New stroke.",
                    );
                } else {
                    ui.label(format!("(nearest: {})", name(p.best_class as usize)));
                }
            }
        }
        ui.label(format!("confidence {:.0} %", p.confidence * 100.0));
        ui.label(format!("position {:.2}", p.interpolation));
        ui.label(format!("novelty {:.2}", p.novelty)).on_hover_text(
            "Distance from the trained classes; above the threshold a hit is unknown",
        );
    });
    ui.horizontal_wrapped(|ui| {
        for (i, class) in classes.iter().enumerate().take(p.class_count as usize) {
            let (rect, _) = ui.allocate_exact_size(Vec2::new(60.0, 12.0), Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2.0, Color32::from_gray(35));
            let mut bar = rect;
            bar.set_width(rect.width() * p.probabilities[i].clamp(0.0, 1.0));
            painter.rect_filled(bar, 2.0, class_color(class.color));
            ui.label(format!(
                "{} {:.0} %",
                class.name,
                p.probabilities[i] * 100.0
            ));
            ui.add_space(6.0);
        }
    });
    ui.horizontal(|ui| {
        ui.label(name(pair.0));
        let width = (ui.available_width() - 60.0).clamp(80.0, 240.0);
        let (rect, _) = ui.allocate_exact_size(Vec2::new(width, 16.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_gray(35));
        painter.rect_stroke(
            rect,
            2.0,
            Stroke::new(1.0, Color32::GRAY),
            StrokeKind::Inside,
        );
        let x = rect.left() + rect.width() * p.interpolation.clamp(0.0, 1.0);
        painter.line_segment(
            [pos2(x, rect.top()), pos2(x, rect.bottom())],
            Stroke::new(4.0, ACCENT),
        );
        ui.label(name(pair.1));
    });
    speed_meter(ui, &hit);
}

/// The speed after `hit`: its rate in hits per second and a bar over the speed range.
fn speed_meter(ui: &mut egui::Ui, hit: &HitSummary) {
    let Some(speed) = hit.speed else { return };
    ui.horizontal(|ui| {
        ui.label("speed");
        let (rect, _) = ui.allocate_exact_size(Vec2::new(120.0, 10.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_gray(35));
        let mut bar = rect;
        bar.set_width(rect.width() * speed.value.clamp(0.0, 1.0));
        painter.rect_filled(bar, 2.0, ACCENT);
        ui.label(format!("{:.1} hits/s", speed.rate_hz))
            .on_hover_text(
                "Recent hit rate (Speed smoothing, Speed slowest/fastest, Speed counts)",
            );
    });
}

/// The strip of recent hits: class (name, colour and marker), time, position and level.
pub(super) fn recent_hits(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    let (log, classes) = {
        let state = ed.shared.view.load();
        (
            state.log.iter().rev().take(24).copied().collect::<Vec<_>>(),
            state.model_classes.clone(),
        )
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new("Recent hits").strong());
        ui.label(format!(
            "({} detected)",
            ed.shared
                .meters
                .hits
                .load(std::sync::atomic::Ordering::Relaxed)
        ));
    });
    egui::ScrollArea::horizontal()
        .id_salt("hits")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                for hit in log {
                    let (label, color, class) = match hit.prediction {
                        Some(p) => match p.best {
                            Some(c) => classes
                                .get(c as usize)
                                .map_or(("?".to_owned(), Color32::GRAY, None), |k| {
                                    (k.name.clone(), class_color(k.color), Some(c as usize))
                                }),
                            None if p.ignored => ("ignored".to_owned(), Color32::GRAY, None),
                            None => ("unknown".to_owned(), WARN, None),
                        },
                        None => match hit.trained_as {
                            Some(c) => (format!("+{}", ed.class_name(c)), ACCENT, None),
                            None => ("hit".to_owned(), Color32::GRAY, None),
                        },
                    };
                    egui::Frame::new()
                        .stroke(Stroke::new(1.0, color))
                        .inner_margin(3.0)
                        .show(ui, |ui| {
                            ui.vertical(|ui| {
                                ui.horizontal(|ui| {
                                    if let Some(c) = class {
                                        let (rect, _) = ui
                                            .allocate_exact_size(Vec2::splat(10.0), Sense::hover());
                                        ui.painter().add(marker(
                                            c,
                                            rect.center(),
                                            4.0,
                                            color,
                                            Stroke::NONE,
                                        ));
                                    }
                                    ui.label(RichText::new(label).color(color).small());
                                });
                                let pos = hit.prediction.map_or(String::new(), |p| {
                                    format!(" pos {:.2}", p.interpolation)
                                });
                                ui.label(
                                    RichText::new(format!("{:.2} s{pos}", hit.onset_s)).small(),
                                );
                            });
                        });
                }
            });
        });
}

/// The `Learn levels` button and what learning is doing.
fn learn_levels_row(ui: &mut egui::Ui, ed: &TimbrelEditor) {
    use crate::levels::{Status, LEARN_SECONDS};
    let p = &ed.shared.params;
    let levels = &p.learned_levels;
    let on = p.learn_levels.value();
    ui.horizontal(|ui| {
        let label = if on {
            "Listening... (stop)"
        } else {
            "Learn levels"
        };
        let button = ui
            .add(egui::Button::new(label).selected(on))
            .on_hover_text(format!(
                "Play normally for {LEARN_SECONDS:.0} s: gate, threshold and retrigger decay are \
                 set from what is heard (noise, soft hits, how fast hits decay)."
            ));
        if button.clicked() {
            ed.set(&p.learn_levels, !on);
        }
        let status = match levels.status() {
            Status::Listening => format!(
                "{} hits, {:.1} of {LEARN_SECONDS:.0} s",
                levels.hits(),
                levels.seconds()
            ),
            Status::TooFewHits => "too few hits heard: play at least 3".to_owned(),
            Status::TooShort => "too short: listen at least 1 s".to_owned(),
            Status::Learned | Status::Idle => match levels.snapshot() {
                Some(s) => format!(
                    "learned from {} hits: noise {:.0} dBFS, soft hits {:.0} dBFS",
                    s.levels.hits, s.levels.noise_dbfs, s.levels.soft_hit_dbfs
                ),
                None => String::new(),
            },
        };
        ui.label(RichText::new(status).small());
    });
}

/// Detector settings and the detection function (largest value per frame) against its
/// threshold, so the threshold can be set by eye.
pub(super) fn detector_panel(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    ui.label(RichText::new("Detector").strong());
    let Some(gui) = &ed.gui else { return };
    let setter = gui.param_setter();
    let p = &ed.shared.params;
    egui::Grid::new("detector")
        .num_columns(2)
        .spacing([6.0, 3.0])
        .show(ui, |ui| {
            macro_rules! row {
                ($label:expr, $param:expr) => {
                    ui.label($label);
                    ui.add(ParamSlider::for_param($param, &setter).with_width(150.0));
                    ui.end_row();
                };
            }
            row!("Detector", &p.detector);
            row!("Threshold", &p.threshold_db);
            row!("Gate", &p.floor_dbfs);
            row!("High-pass", &p.highpass_hz);
            row!("Lockout", &p.min_interval_ms);
            row!("Retrigger decay", &p.retrigger_decay_ms);
            row!("Window", &p.window);
            row!("Unknown", &p.unknown_scale);
            row!("New stroke", &p.new_stroke_db);
        });
    learn_levels_row(ui, ed);
    // The detection function over the last few seconds, newest on the right, with the
    // threshold and the retrigger mask: a hit fires where the blue line rises above both.
    let (rect, _) = ui.allocate_exact_size(
        Vec2::new(ui.available_width().min(270.0), 56.0),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(22));
    let threshold = ed.detection.back().map_or(0.0, |d| d.threshold);
    let top = (threshold * 2.0).max(threshold + 6.0).max(1.0);
    let y = |v: f32| rect.bottom() - rect.height() * (v / top).clamp(0.0, 1.0);
    let n = ed.detection.len().max(2);
    let line = |value: &dyn Fn(&super::DetectionFrame) -> f32| -> Vec<egui::Pos2> {
        ed.detection
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let v = value(d);
                pos2(
                    rect.left() + rect.width() * i as f32 / (n - 1) as f32,
                    y(if v.is_finite() { v } else { 0.0 }),
                )
            })
            .collect()
    };
    if ed.detection.iter().any(|d| d.mask.is_finite()) {
        painter.add(egui::Shape::line(
            line(&|d| d.mask),
            Stroke::new(1.0, MASK_COLOUR),
        ));
    }
    painter.add(egui::Shape::line(
        line(&|d| d.value),
        Stroke::new(1.5, Color32::LIGHT_BLUE),
    ));
    painter.line_segment(
        [
            pos2(rect.left(), y(threshold)),
            pos2(rect.right(), y(threshold)),
        ],
        Stroke::new(1.0, WARN),
    );
    painter.text(
        pos2(rect.left() + 3.0, y(threshold) - 2.0),
        egui::Align2::LEFT_BOTTOM,
        format!("threshold {threshold:.1}"),
        egui::FontId::proportional(10.0),
        WARN,
    );
    ui.label(
        RichText::new(
            "Detection function (blue), threshold (red) and retrigger mask (amber): a hit fires \
             where blue rises above both.",
        )
        .small(),
    );
}
