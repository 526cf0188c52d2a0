//! The egui editor: input level, a flash on every hit, detector settings and the recent hits.
//!
//! The editor only reads atomics and the worker's hit log; it never touches the audio thread's
//! data, and parameter changes go through the host via the [`ParamSetter`].

use crate::engine::{HitLog, Meters};
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
    log: HitLog,
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
        log,
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
    log: HitLog,
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
                    let label = if on { "■ Stop demo input" } else { "▶ Demo input" };
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

        ui.columns(2, |cols| {
            cols[0].label(RichText::new("Detector").strong());
            if let Some(gui) = &self.gui {
                let setter = gui.param_setter();
                let p = &self.params;
                egui::Grid::new("detector").num_columns(2).show(&mut cols[0], |ui| {
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
                    ui.label("Hit note");
                    ui.add(ParamSlider::for_param(&p.hit_note, &setter));
                    ui.end_row();
                });
            }

            cols[1].label(RichText::new("Recent hits").strong());
            let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            if log.is_empty() {
                cols[1].label("No hits yet: play the drum.");
            }
            egui::ScrollArea::vertical().id_salt("hits").show(&mut cols[1], |ui| {
                egui::Grid::new("hitlog").num_columns(3).striped(true).show(ui, |ui| {
                    if !log.is_empty() {
                        ui.label("time (s)");
                        ui.label("peak (dBFS)");
                        ui.label("latency (ms)");
                        ui.end_row();
                    }
                    for hit in log.iter().rev() {
                        ui.label(format!("{:.3}", hit.onset_s));
                        ui.label(format!("{:.1}", hit.peak_dbfs));
                        ui.label(format!("{:.1}", hit.latency_ms));
                        ui.end_row();
                    }
                });
            });
        });
    }
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
