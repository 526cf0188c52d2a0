//! The egui editor: the training panel a drummer looks at.
//!
//! Layout (about 900 × 600 logical pixels, resizable, scaled by the host's DPI factor): a top bar
//! (input meter, hit lamp, latency, demo input, model files), the classes and detector on the
//! left, the latest hit and the map of the examples in the middle, model quality and the
//! selected hit on the right, and the recent hits along the bottom.
//!
//! Threading (see [`crate::worker`] for every thread): the editor reads the audio thread's
//! atomics ([`Meters`]) and the worker's latest snapshots (its [`WorkerView`] and the
//! [`crate::worker::Project`]), asks the worker for every change of the dataset with a
//! [`Command`], changes parameters through the host with the [`ParamSetter`], and sends snippets
//! to hear through a lock-free ring. Nothing here makes the audio thread wait.

mod classes;
mod files;
mod live;
mod map;
mod quality;
mod widgets;
mod zones;

use crate::audition::AuditionSender;
use crate::params::{TimbrelParams, EDITOR_SIZE};
use crate::publish::OutputBus;
use crate::worker::{Command, Commands, ExampleKey, Meters, Published, WorkerView};
use egui::{Color32, RichText};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};
use std::collections::VecDeque;
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
pub(crate) const ACCENT: Color32 = Color32::from_rgb(255, 170, 40);
/// Colour of warnings (always with text).
pub(crate) const WARN: Color32 = Color32::from_rgb(255, 110, 100);
/// One editor frame of the detection display: the largest detection-function value, the
/// threshold and the largest retrigger mask since the previous frame (units as
/// [`timbrel_core::analysis::DetectionMeter`]; the mask is negative infinity without one).
#[derive(Debug, Clone, Copy, PartialEq)]
struct DetectionFrame {
    value: f32,
    threshold: f32,
    mask: f32,
}

/// Frames of detection-function history shown (about 4 s at 60 frames per second).
const DETECTION_HISTORY: usize = 240;
/// Width of the right column (quality, selected hit), in points.
const RIGHT_COLUMN: f32 = 265.0;
/// How long a status message stays.
const MESSAGE_TIME: Duration = Duration::from_secs(8);

/// What the editor shares with the plugin.
pub struct Shared {
    /// Parameters and the persisted dataset.
    pub params: Arc<TimbrelParams>,
    /// The audio thread's meters.
    pub meters: Arc<Meters>,
    /// The worker's hit log, training status, map and quality.
    pub view: Arc<Published<WorkerView>>,
    /// Receives the editor's context so that the output parameters can move.
    pub outputs: Arc<OutputBus>,
    /// Where snippets to hear go.
    pub audition: Arc<AuditionSender>,
}

/// Creates the editor, or `None` if the host cannot show one.
pub fn create(shared: Shared) -> Option<EguiEditor<TimbrelEditor>> {
    let state = shared.params.editor_state.clone();
    let settings = EguiNiceSettings::new()
        .with_tile("Timbrel")
        .with_resize_hint(ResizeHint::RESIZABLE.with_min_logical_size(
            nice_plug::editor::dpi::LogicalSize::new(
                EDITOR_SIZE.0 as f32 * 0.8,
                EDITOR_SIZE.1 as f32 * 0.8,
            ),
        ));
    let seen_limit_stops = shared.meters.limit_stops.load(Ordering::Relaxed);
    let app = TimbrelEditor {
        shared,
        seen_limit_stops,
        seen_edits: 0,
        gui: None,
        meter_dbfs: METER_FLOOR_DBFS,
        last_frame: Instant::now(),
        seen_onsets: 0,
        seen_levels: 0,
        flash_until: None,
        detection: VecDeque::with_capacity(DETECTION_HISTORY),
        selected: None,
        renaming: None,
        message: None,
        latest_anim: map::LatestHit::default(),
        model_path: files::default_path(),
        zone_count: 0,
        zone_edits: zones::ZoneEdits::default(),
    };
    create_egui_editor(state, RepaintNotifier::new(), settings, app)
}

/// The editor's state, alive while the plugin instance is.
pub struct TimbrelEditor {
    shared: Shared,
    gui: Option<GuiContext>,
    /// Displayed meter level with fall-back applied, in dBFS.
    meter_dbfs: f32,
    last_frame: Instant,
    seen_onsets: u64,
    /// The learned-levels generation last copied into the parameters.
    seen_levels: u64,
    flash_until: Option<Instant>,
    /// Detection-function peaks per frame, with the threshold at the time.
    detection: VecDeque<DetectionFrame>,
    /// The example selected on the map or in the outlier list.
    selected: Option<ExampleKey>,
    /// A class being renamed, with the text typed so far.
    renaming: Option<(usize, String)>,
    /// A message for the user (errors, confirmations), shown for a few seconds.
    message: Option<(String, bool, Instant)>,
    /// The latest hit's animation on the map.
    latest_anim: map::LatestHit,
    /// The model file to export to or import from.
    model_path: String,
    /// Zones to propose (0: the best split).
    zone_count: usize,
    /// Train-count limit stops already reported.
    seen_limit_stops: u64,
    /// Dataset edits whose outcome was already shown.
    seen_edits: u64,
    /// Names and keep ticks for the shown auto-zones proposal.
    zone_edits: zones::ZoneEdits,
}

impl NiceEguiApp for TimbrelEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.shared.outputs.attach(gui.clone());
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let now = Instant::now();
        self.update_meters(now);
        self.report_limit_stop();
        self.report_edits();
        self.follow_learned_levels();
        egui::Frame::new()
            .inner_margin(8.0)
            .show(ui, |ui| self.panel(ui, now));
        ui.ctx().request_repaint_after(Duration::from_millis(16));
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

impl TimbrelEditor {
    /// Reads the meters once per frame: level with fall-back, hit flash, detection history.
    fn update_meters(&mut self, now: Instant) {
        let meters = &self.shared.meters;
        let dt = now.duration_since(self.last_frame).as_secs_f32();
        self.last_frame = now;
        let level = meters
            .input_peak_dbfs
            .load(Ordering::Relaxed)
            .max(METER_FLOOR_DBFS);
        self.meter_dbfs = level.max(self.meter_dbfs - METER_FALL_DB_PER_S * dt);
        let onsets = meters.onsets.load(Ordering::Relaxed);
        if onsets != self.seen_onsets {
            self.seen_onsets = onsets;
            self.flash_until = Some(now + FLASH);
        }
        let peak = meters
            .detection_value
            .swap(f32::NEG_INFINITY, Ordering::Relaxed);
        let mask = meters
            .detection_mask
            .swap(f32::NEG_INFINITY, Ordering::Relaxed);
        let threshold = meters.detection_threshold.load(Ordering::Relaxed);
        if self.detection.len() == DETECTION_HISTORY {
            self.detection.pop_front();
        }
        self.detection.push_back(DetectionFrame {
            value: peak,
            threshold,
            mask,
        });
    }

    /// Says so when the train-count limit stopped a recording (the audio thread stopped
    /// recording, and the main thread returns `Train` to off: see [`crate::arming`]).
    fn report_limit_stop(&mut self) {
        let stops = self.shared.meters.limit_stops.load(Ordering::Relaxed);
        if stops != self.seen_limit_stops {
            self.seen_limit_stops = stops;
            let limit = self.shared.params.train_limit.value();
            self.say(
                format!("Recorded {limit} hits: training stopped by itself."),
                false,
            );
        }
    }

    /// Shows the outcome of the latest dataset edit the worker applied, once.
    fn report_edits(&mut self) {
        let outcome = self.shared.view.load().edit_outcome.clone();
        if let Some((id, result)) = outcome {
            if id != self.seen_edits {
                self.seen_edits = id;
                match result {
                    Ok(message) if !message.is_empty() => self.say(message, false),
                    Ok(_) => {}
                    Err(message) => self.say(message, true),
                }
            }
        }
    }

    /// The queue to the worker.
    pub(crate) fn commands(&self) -> &Commands {
        self.shared.params.dataset.commands()
    }

    /// Copies newly learned levels into their parameters, so that the controls show what is in
    /// use, and turns `Learn levels` off again; says what was learned.
    fn follow_learned_levels(&mut self) {
        let params = self.shared.params.clone();
        let levels = &params.learned_levels;
        let generation = levels.generation();
        if generation == self.seen_levels || self.gui.is_none() {
            return;
        }
        self.seen_levels = generation;
        let Some(s) = levels.snapshot() else {
            return;
        };
        let l = s.levels;
        // Only the values still in use: a parameter moved since keeps the user's value.
        let in_use = params.analysis_settings().detector;
        self.set(&params.floor_dbfs, in_use.floor_dbfs);
        self.set(&params.threshold_db, in_use.threshold_db);
        self.set(&params.retrigger_decay_ms, in_use.retrigger_decay_ms);
        if params.learn_levels.value() {
            self.set(&params.learn_levels, false);
        }
        self.say(format!("Learned {l}."), false);
    }

    /// Shows the outcome of an action: a confirmation, or the error.
    pub(crate) fn say_result(&mut self, result: Result<String, String>) {
        match result {
            Ok(text) => self.say(text, false),
            Err(text) => self.say(text, true),
        }
    }

    /// Shows `text` for a few seconds (`error` in the warning colour, with an "Error:" prefix).
    pub(crate) fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some((text.into(), error, Instant::now()));
    }

    /// Draws the whole panel.
    fn panel(&mut self, ui: &mut egui::Ui, now: Instant) {
        egui::Panel::top("top")
            .resizable(false)
            .show(ui, |ui| self.top_bar(ui, now));
        egui::Panel::bottom("recent")
            .resizable(false)
            .show(ui, |ui| live::recent_hits(ui, self));
        egui::Panel::left("left")
            .default_size(285.0)
            .min_size(240.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("left-scroll")
                    .show(ui, |ui| {
                        // NOTE: while an unreadable state is kept, nothing the classes or the
                        // zones would change could be saved: they wait for Start over.
                        let editable = !self.shared.params.dataset.project().is_kept();
                        ui.add_enabled_ui(editable, |ui| {
                            classes::classes_panel(ui, self);
                            ui.separator();
                            zones::zones_panel(ui, self);
                        });
                        ui.separator();
                        live::detector_panel(ui, self);
                        ui.separator();
                        files::files_panel(ui, self);
                    });
            });
        // The middle and the right column share what is left; egui's right panel does not
        // shrink the space left for content inside a Ui, so the split is done here.
        let rest = ui.available_rect_before_wrap();
        let right_width = RIGHT_COLUMN.min(rest.width() * 0.45);
        let middle = egui::Rect::from_min_max(
            rest.min,
            egui::pos2(rest.max.x - right_width - 6.0, rest.max.y),
        );
        let right =
            egui::Rect::from_min_max(egui::pos2(rest.max.x - right_width, rest.min.y), rest.max);
        ui.painter().vline(
            right.left() - 3.0,
            right.y_range(),
            ui.visuals().widgets.noninteractive.bg_stroke,
        );
        ui.scope_builder(egui::UiBuilder::new().max_rect(right), |ui| {
            ui.shrink_clip_rect(right);
            egui::ScrollArea::vertical()
                .id_salt("right-scroll")
                .show(ui, |ui| {
                    quality::quality_panel(ui, self);
                    ui.separator();
                    quality::selected_panel(ui, self);
                });
        });
        ui.scope_builder(egui::UiBuilder::new().max_rect(middle), |ui| {
            ui.shrink_clip_rect(middle);
            live::latest_hit(ui, self);
            ui.separator();
            map::map_view(ui, self, now, middle.width());
        });
    }

    /// Title, meter, flash, latency, demo switch, and the message line.
    fn top_bar(&mut self, ui: &mut egui::Ui, now: Instant) {
        ui.horizontal(|ui| {
            ui.heading(RichText::new("Timbrel").strong());
            ui.label(format!("v{}", env!("CARGO_PKG_VERSION")));
            ui.separator();
            widgets::level_meter(ui, self.meter_dbfs, METER_FLOOR_DBFS);
            widgets::hit_flash(ui, self.flash_until.is_some_and(|t| now < t));
            ui.separator();
            let latency = self.shared.meters.latency_ms.load(Ordering::Relaxed);
            ui.label(format!("latency {latency:.1} ms")).on_hover_text("Hit-to-result latency: the analysis window");
            if self.gui.is_some() {
                let compensation = &self.shared.params.latency_compensation;
                let on = compensation.value();
                if ui
                    .selectable_label(on, if on { "compensated" } else { "live" })
                    .on_hover_text(
                        "Live: results leave one window after each hit, the audio is not delayed. \
                         Compensated: the window is reported to the host as latency and the audio \
                         is delayed by it, so a host with delay compensation puts the notes, CCs \
                         and control signals on the hits (for mixing). Click to switch.",
                    )
                    .clicked()
                {
                    self.set(compensation, !on);
                }
            }
            let lost = self.shared.meters.queue_overflows.load(Ordering::Relaxed);
            if lost > 0 {
                ui.colored_label(WARN, format!("{lost} hits lost (queue full)"));
            }
            let meters = &self.shared.meters;
            let dropped = meters.midi_dropped.load(Ordering::Relaxed);
            let late = meters.late_note_offs.load(Ordering::Relaxed);
            if dropped > 0 || late > 0 {
                ui.colored_label(WARN, format!("MIDI: {dropped} events dropped, {late} note-offs late"))
                    .on_hover_text("More MIDI than the host took in a block: CCs went first, then notes; every note-off was sent");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if self.gui.is_none() {
                    return;
                }
                let demo = &self.shared.params.demo_input;
                let on = demo.value();
                let label = if on { "Demo input: on" } else { "Demo input: off" };
                if ui
                    .selectable_label(on, label)
                    .on_hover_text("Replace the input with a built-in drum performance: centre, edge and in-between hits")
                    .clicked()
                {
                    self.set(demo, !on);
                }
            });
        });
        let project = self.shared.params.dataset.project();
        if let Some(problem) = &project.problem {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(WARN, format!("Warning: {problem}"));
                if project.is_kept()
                    && ui
                        .button("Start over")
                        .on_hover_text(
                            "Forget the saved state this Timbrel cannot read and start with empty \
                             classes; the project's next save replaces it",
                        )
                        .clicked()
                {
                    self.commands().send(Command::StartOver);
                    self.say("Started over: the unreadable state is gone.", false);
                }
            });
        }
        if let Some((text, error, since)) = &self.message {
            if since.elapsed() < MESSAGE_TIME {
                let text = if *error {
                    format!("Error: {text}")
                } else {
                    text.clone()
                };
                ui.colored_label(if *error { WARN } else { Color32::LIGHT_GREEN }, text);
            } else {
                self.message = None;
            }
        }
    }

    /// Sets a parameter through the host, as one gesture (nothing without a host context).
    pub(crate) fn set<P: Param>(&self, param: &P, value: P::Plain) {
        if let Some(gui) = &self.gui {
            let setter = gui.param_setter();
            setter.begin_set_parameter(param);
            setter.set_parameter(param, value);
            setter.end_set_parameter(param);
        }
    }

    /// The name of the dataset's class `index` (0-based), or "Class N" if it is gone.
    pub(crate) fn class_name(&self, index: u8) -> String {
        self.shared.params.class_names.name(index as usize)
    }

    /// Plays the snippet of the example `key` names through the plugin's output.
    pub(crate) fn audition(&mut self, key: ExampleKey) {
        let (samples, rate) = {
            let project = self.shared.params.dataset.project();
            let data = &project.dataset;
            match key.find(data).map(|i| &data.examples[i]) {
                Some(e) => crate::snippets::playable(e),
                None => (Vec::new(), 0.0),
            }
        };
        if samples.is_empty() {
            self.say("This hit has no recorded audio.", true);
            return;
        }
        let host_rate = self.shared.meters.sample_rate.load(Ordering::Relaxed);
        let audio = crate::audition::resample(&samples, rate, host_rate);
        self.shared.audition.play(&audio);
    }
}
