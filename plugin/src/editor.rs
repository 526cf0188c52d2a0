//! The egui editor: input level, a flash on every hit, detector settings and the recent hits.
//!
//! The editor only reads atomics and the worker's hit log; it never touches the audio thread's
//! data, and parameter changes go through the host via the [`ParamSetter`].

use crate::engine::{HitSummary, Meters, SharedWorkerState, TrainStatus};
use crate::params::{TimbrelParams, EDITOR_SIZE};
use egui::{Color32, RichText, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::prelude::*;
use nice_plug::context::gui::GuiContext;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Lowest level the input meter shows, in dBFS.
const METER_FLOOR_DBFS: f32 = -60.0;
/// How fast the meter falls back, in dB per second.
const METER_FALL_DB_PER_S: f32 = 30.0;
/// How long a hit flash stays lit.
const FLASH: Duration = Duration::from_millis(120);
/// Colour of the hit flash and the meter.
const ACCENT: Color32 = Color32::from_rgb(255, 170, 40);

/// Creates the editor, or `None` if the host cannot show one.
pub fn create(
    params: Arc<TimbrelParams>,
    meters: Arc<Meters>,
    worker: SharedWorkerState,
    outputs: Arc<crate::publish::OutputBus>,
) -> Option<EguiEditor<TimbrelEditor>> {
    let state = params.editor_state.clone();
    let settings = EguiNiceSettings::new().with_tile("Timbrel").with_resize_hint(
        ResizeHint::RESIZABLE.with_min_logical_size(nice_plug::editor::dpi::LogicalSize::new(
            EDITOR_SIZE.0 as f32 * 0.6,
            EDITOR_SIZE.1 as f32 * 0.6,
        )),
    );
    let app = TimbrelEditor {
        params,
        meters,
        worker,
        outputs,
        gui: None,
        meter_dbfs: METER_FLOOR_DBFS,
        last_frame: Instant::now(),
        seen_onsets: 0,
        flash_until: None,
    };
    create_egui_editor(state, RepaintNotifier::new(), settings, app)
}

/// The editor's state, alive while the plugin instance is.
pub struct TimbrelEditor {
    params: Arc<TimbrelParams>,
    meters: Arc<Meters>,
    worker: SharedWorkerState,
    /// Receives the editor's context so the output parameters can move (see [`crate::publish`]).
    outputs: Arc<crate::publish::OutputBus>,
    gui: Option<GuiContext>,
    /// Displayed meter level with fall-back applied, in dBFS.
    meter_dbfs: f32,
    last_frame: Instant,
    seen_onsets: u64,
    flash_until: Option<Instant>,
}

impl NiceEguiApp for TimbrelEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.outputs.attach(gui.clone());
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let now = Instant::now();
        let dt = now.duration_since(self.last_frame).as_secs_f32();
        self.last_frame = now;
        let level = self.meters.input_peak_dbfs.load(Ordering::Relaxed).max(METER_FLOOR_DBFS);
        self.meter_dbfs = level.max(self.meter_dbfs - METER_FALL_DB_PER_S * dt);
        let onsets = self.meters.onsets.load(Ordering::Relaxed);
        if onsets != self.seen_onsets {
            self.seen_onsets = onsets;
            self.flash_until = Some(now + FLASH);
        }
        let flashing = self.flash_until.is_some_and(|t| now < t);

        egui::Frame::new().inner_margin(12.0).show(ui, |ui| self.panel(ui, now, flashing));
        ui.ctx().request_repaint_after(Duration::from_millis(16));
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

impl TimbrelEditor {
    /// Draws the whole panel.
    fn panel(&mut self, ui: &mut egui::Ui, _now: Instant, flashing: bool) {
        ui.horizontal(|ui| {
            ui.heading(RichText::new("Timbrel").strong());
            ui.label(format!("v{}", env!("CARGO_PKG_VERSION")));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(gui) = &self.gui {
                    let setter = gui.param_setter();
                    let demo = &self.params.demo_input;
                    let on = demo.value();
                    let label = if on { "Demo input: on" } else { "Demo input: off" };
                    if ui
                        .selectable_label(on, label)
                        .on_hover_text("Replace the input with a built-in drum performance")
                        .clicked()
                    {
                        setter.begin_set_parameter(demo);
                        setter.set_parameter(demo, !on);
                        setter.end_set_parameter(demo);
                    }
                }
            });
        });
        ui.separator();
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.label("Input");
                level_meter(ui, self.meter_dbfs);
            });
            ui.add_space(16.0);
            ui.vertical(|ui| {
                ui.label("Hit");
                hit_flash(ui, flashing);
            });
            ui.add_space(16.0);
            ui.vertical(|ui| {
                let hits = self.meters.hits.load(Ordering::Relaxed);
                ui.label(format!("Hits detected: {hits}"));
                ui.label(format!(
                    "Hit-to-result latency: {:.1} ms",
                    self.meters.latency_ms.load(Ordering::Relaxed)
                ));
                let lost = self.meters.queue_overflows.load(Ordering::Relaxed);
                if lost > 0 {
                    ui.colored_label(Color32::LIGHT_RED, format!("Hits lost (queue full): {lost}"));
                }
            });
        });
        ui.separator();

        let (log, status, model_classes, pair) = {
            let state = self.worker.lock().unwrap_or_else(|e| e.into_inner());
            let log = state.log.iter().rev().take(24).copied().collect::<Vec<_>>();
            (log, state.status.clone(), state.model_classes.clone(), state.model_pair)
        };
        ui.columns(3, |cols| {
            self.classes_section(&mut cols[0], &status);
            latest_section(&mut cols[1], log.first(), &model_classes, pair);
            cols[2].label(RichText::new("Detector").strong());
            if let Some(gui) = &self.gui {
                let setter = gui.param_setter();
                let p = &self.params;
                egui::Grid::new("detector").num_columns(2).show(&mut cols[2], |ui| {
                    ui.label("Detector");
                    ui.add(ParamSlider::for_param(&p.detector, &setter));
                    ui.end_row();
                    ui.label("Threshold");
                    ui.add(ParamSlider::for_param(&p.threshold_db, &setter));
                    ui.end_row();
                    ui.label("Gate");
                    ui.add(ParamSlider::for_param(&p.floor_dbfs, &setter));
                    ui.end_row();
                    ui.label("High-pass");
                    ui.add(ParamSlider::for_param(&p.highpass_hz, &setter));
                    ui.end_row();
                    ui.label("Lockout");
                    ui.add(ParamSlider::for_param(&p.min_interval_ms, &setter));
                    ui.end_row();
                    ui.label("Window");
                    ui.add(ParamSlider::for_param(&p.window, &setter));
                    ui.end_row();
                    ui.label("Unknown");
                    ui.add(ParamSlider::for_param(&p.unknown_scale, &setter));
                    ui.end_row();
                    ui.label("Hit note");
                    ui.add(ParamSlider::for_param(&p.midi.hit_note, &setter));
                    ui.end_row();
                });
            }
        });
        ui.separator();
        recent_hits(ui, &log, &model_classes);
    }

    /// The classes with their example counts and train buttons, and the training status.
    fn classes_section(&mut self, ui: &mut egui::Ui, status: &TrainStatus) {
        ui.label(RichText::new("Classes").strong());
        let armed = self.params.train.value();
        let dataset = self.params.dataset.clone();
        let (classes, counts) = {
            let data = dataset.lock();
            (data.classes.clone(), data.counts())
        };
        let Some(gui) = &self.gui else { return };
        let setter = gui.param_setter();
        egui::Grid::new("classes").num_columns(3).show(ui, |ui| {
            for (i, class) in classes.iter().enumerate() {
                let [r, g, b] = class.color;
                ui.horizontal(|ui| {
                    swatch(ui, Color32::from_rgb(r, g, b));
                    ui.label(&class.name);
                });
                ui.label(format!("{} hits", counts.get(i).copied().unwrap_or(0)));
                let is_armed = armed == i as i32 + 1;
                let label = if is_armed { "Training... (stop)" } else { "Train" };
                if ui.selectable_label(is_armed, label).on_hover_text("Arm: every hit joins this class until you click again").clicked() {
                    let value = if is_armed { 0 } else { i as i32 + 1 };
                    setter.begin_set_parameter(&self.params.train);
                    setter.set_parameter(&self.params.train, value);
                    setter.end_set_parameter(&self.params.train);
                }
                ui.end_row();
            }
        });
        let text = match status {
            TrainStatus::Untrained => "Not trained yet: arm a class and play.".to_owned(),
            TrainStatus::Training => "Training...".to_owned(),
            TrainStatus::Trained { kind, cv_accuracy, examples, millis } => format!(
                "Model: {kind}, {examples} hits, cross-validated accuracy {:.0} % ({millis:.0} ms)",
                cv_accuracy * 100.0
            ),
            TrainStatus::Failed(message) => format!("Training failed: {message}"),
        };
        ui.label(text);
    }
}

/// The latest hit: class, probabilities, interpolation, confidence and the unknown flag.
fn latest_section(
    ui: &mut egui::Ui,
    latest: Option<&HitSummary>,
    classes: &[timbrel_learn::ClassInfo],
    pair: (usize, usize),
) {
    ui.label(RichText::new("Latest hit").strong());
    let Some(hit) = latest else {
        ui.label("No hits yet: play the drum.");
        return;
    };
    let Some(p) = hit.prediction else {
        ui.label(format!("{:.1} dBFS at {:.2} s (no model yet)", hit.peak_dbfs, hit.onset_s));
        return;
    };
    let name = |i: u8| classes.get(i as usize).map_or_else(|| format!("class {i}"), |c| c.name.clone());
    match p.best {
        Some(c) => ui.label(RichText::new(name(c)).size(20.0).strong()),
        None => ui.label(RichText::new(format!("unknown (nearest: {})", name(p.best_class))).size(20.0).color(Color32::LIGHT_RED)),
    };
    ui.label(format!("confidence {:.0} %, novelty {:.2}", p.confidence * 100.0, p.novelty));
    for (i, class) in classes.iter().enumerate().take(p.class_count as usize) {
        let [r, g, b] = class.color;
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(Vec2::new(120.0, 12.0), Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2.0, Color32::from_gray(35));
            let mut bar = rect;
            bar.set_width(rect.width() * p.probabilities[i].clamp(0.0, 1.0));
            painter.rect_filled(bar, 2.0, Color32::from_rgb(r, g, b));
            ui.label(format!("{} {:.0} %", class.name, p.probabilities[i] * 100.0));
        });
    }
    ui.add_space(6.0);
    ui.label(format!("Interpolation {:.2}", p.interpolation));
    let (rect, _) = ui.allocate_exact_size(Vec2::new(200.0, 14.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(35));
    let x = rect.left() + rect.width() * p.interpolation.clamp(0.0, 1.0);
    painter.line_segment([egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())], Stroke::new(3.0, ACCENT));
    let name = |i: usize| classes.get(i).map_or("?", |c| c.name.as_str());
    ui.horizontal(|ui| {
        ui.set_width(200.0);
        ui.label(format!("0 = {}", name(pair.0)));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(format!("{} = 1", name(pair.1)));
        });
    });
}

/// The strip of recent hits: time, class, interpolation, level.
fn recent_hits(ui: &mut egui::Ui, log: &[HitSummary], classes: &[timbrel_learn::ClassInfo]) {
    ui.label(RichText::new("Recent hits").strong());
    egui::ScrollArea::horizontal().id_salt("hits").show(ui, |ui| {
        ui.horizontal(|ui| {
            for hit in log {
                let (label, color) = match hit.prediction {
                    Some(p) => match p.best {
                        Some(c) => classes.get(c as usize).map_or(("?".to_owned(), Color32::GRAY), |k| {
                            (k.name.clone(), Color32::from_rgb(k.color[0], k.color[1], k.color[2]))
                        }),
                        None => ("unknown".to_owned(), Color32::LIGHT_RED),
                    },
                    None => ("hit".to_owned(), Color32::GRAY),
                };
                egui::Frame::new().stroke(Stroke::new(1.0, color)).inner_margin(4.0).show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(RichText::new(label).color(color));
                        ui.label(format!("{:.2} s", hit.onset_s));
                        if let Some(p) = hit.prediction {
                            ui.label(format!("pos {:.2}", p.interpolation));
                        }
                        ui.label(format!("{:.0} dB", hit.peak_dbfs));
                    });
                });
            }
        });
    });
}

/// A small colour swatch next to a class name (the name carries the meaning, not the colour).
fn swatch(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(12.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

/// Draws a horizontal level meter from [`METER_FLOOR_DBFS`] to 0 dBFS with its value as text.
fn level_meter(ui: &mut egui::Ui, dbfs: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(220.0, 18.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(30));
    let fraction = ((dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS).clamp(0.0, 1.0);
    let mut filled = rect;
    filled.set_width(rect.width() * fraction);
    painter.rect_filled(filled, 2.0, ACCENT);
    painter.rect_stroke(rect, 2.0, Stroke::new(1.0, Color32::GRAY), StrokeKind::Inside);
    let text = if dbfs <= METER_FLOOR_DBFS { "-inf dBFS".to_owned() } else { format!("{dbfs:.1} dBFS") };
    ui.label(text);
}

/// Draws the hit lamp: lit for [`FLASH`] after every onset, with a text label so that colour is
/// not the only cue.
fn hit_flash(ui: &mut egui::Ui, lit: bool) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(18.0), Sense::hover());
    let color = if lit { ACCENT } else { Color32::from_gray(50) };
    ui.painter().circle(rect.center(), 8.0, color, Stroke::new(1.0, Color32::GRAY));
    ui.label(if lit { "HIT" } else { "—" });
}
