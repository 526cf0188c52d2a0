//! Timbrel: a drum-hit classifier plugin (CLAP, VST3 and standalone).
//!
//! This file is glue: the plugin struct, `impl Plugin` (with `process()`, which reads as the
//! signal flow), the format impls and the exports. Where each part lives:
//!
//! - detection and descriptors: `timbrel_core::analysis` (the [`Analyzer`] runs on the audio
//!   thread); learned detector levels: [`levels`];
//! - classification: `timbrel_learn::Model` (`Model::classify_scaled` applies the unknown
//!   threshold with the user's scale, per hit in `process()`); interpolation (where between two trained classes a hit lies):
//!   `timbrel_learn`, mapped to the outputs' range in [`signals`];
//! - training, the dataset, the map and the free-play take: [`worker`] (its module header
//!   documents every thread and what it may touch), with auto-zones in [`zones`], snippets in
//!   [`snippets`] and the lock-free model hand-over in [`swap`]; arming and the train-count
//!   limit: [`arming`];
//! - persistence (the project state): [`persist`];
//! - outputs: MIDI notes and CCs ([`outputs`] decides, [`midi`] schedules and translates), the
//!   auxiliary control signals and output parameters ([`signals`], [`publish`]); latency
//!   compensation (the audio delayed by the reported window): [`delay`];
//! - parameters: [`params`], class names: [`class_names`]; the editor: [`editor`]; auditioning
//!   snippets: [`audition`]; the demo input: [`demo`].

use nice_plug::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use timbrel_core::analysis::{Analyzer, AnalyzerEvent, HitRecord};

pub mod arming;
pub mod audition;
pub mod clap_entry;
pub mod class_names;
pub mod delay;
pub mod demo;
pub mod editor;
pub mod host_outputs;
pub mod levels;
pub mod midi;
pub mod outputs;
pub mod param_text;
pub mod params;
pub mod persist;
pub mod publish;
pub mod signals;
pub mod snippets;
pub mod swap;
pub mod vst3_entry;
pub mod worker;
pub mod zones;

use arming::Arming;
use demo::DemoPlayer;
use midi::NoteScheduler;
use params::TimbrelParams;
use publish::{OutputBus, OutputTask, PUBLISH_INTERVAL_S};
use signals::{Signals, AUX_CHANNELS};
use snippets::{AudioChunk, ChunkWriter};
use swap::ModelReceiver;
use timbrel_learn::{Model, Prediction};
use worker::{
    Commands, Meters, Project, Published, ToWorker, Worker, WorkerParts, WorkerView,
    AUDIO_QUEUE_CAPACITY, HIT_QUEUE_CAPACITY,
};

/// The plugin instance.
pub struct Timbrel {
    params: Arc<TimbrelParams>,
    meters: Arc<Meters>,
    /// The worker's view for the editor, published by the worker.
    view: Arc<Published<WorkerView>>,
    /// Streaming onset detector and descriptor extractor; built in `activate()`.
    analyzer: Option<Analyzer>,
    /// Mono mix of the current block, sized for the host's largest block in `activate()`.
    mono: Vec<f32>,
    /// "Learn levels" on the audio thread (allocated in `activate()`).
    listening: Option<levels::Listening>,
    /// Audio-thread end of the hit ring.
    hits_out: rtrb::Producer<ToWorker>,
    /// Audio-thread end of the signal ring, and the chunk being filled.
    audio_out: rtrb::Producer<AudioChunk>,
    chunks: ChunkWriter,
    /// The trained model in use, swapped in without locks.
    models: ModelReceiver<Model>,
    /// The armed class and the train-count limit.
    arming: Arming,
    /// The worker thread, started with the instance (`None` if it could not start).
    worker: Option<Worker>,
    notes: NoteScheduler,
    /// The demo performance, prepared in `activate()`.
    demo: Option<DemoPlayer>,
    /// The continuous outputs (auxiliary control signals, output parameters).
    signals: Signals,
    /// The main audio delayed by the reported latency (latency compensation), sized in
    /// `activate()`.
    delay: delay::PassThroughDelay,
    /// Hands the output parameters' values to the main thread.
    output_bus: Arc<OutputBus>,
    /// Samples since the output parameters were last published.
    since_publish: u64,
    /// Snippets the editor asked to hear, mixed into the output after the analysis.
    audition: audition::AuditionPlayer,
    /// The editor's end of the audition ring.
    audition_sender: Arc<audition::AuditionSender>,
    /// Whether the demo input was on in the previous block.
    demo_was_on: bool,
    sample_rate: f32,
}

impl Default for Timbrel {
    fn default() -> Self {
        let (audition_sender, audition) = audition::audition_channel();
        let (commands, inbox) = worker::command_queue();
        let project = Arc::new(Published::new(Project::default()));
        let view = Arc::new(Published::new(WorkerView::default()));
        let class_names = params::default_class_names();
        let params = Arc::new(TimbrelParams::new(
            persist::PersistedDataset::new(commands.clone(), project.clone()),
            class_names.clone(),
        ));
        let meters = Arc::new(Meters::default());
        let (hits_out, hits) = rtrb::RingBuffer::new(HIT_QUEUE_CAPACITY);
        let (audio_out, audio) = rtrb::RingBuffer::new(AUDIO_QUEUE_CAPACITY);
        let (model_sender, models) = swap::model_channel();
        let parts = WorkerParts {
            hits,
            audio,
            models: model_sender,
            meters: meters.clone(),
            inbox,
            project,
            view: view.clone(),
            class_names,
            config: timbrel_learn::TrainConfig::default(),
        };
        let worker = Worker::spawn(parts, commands)
            .map_err(|err| nice_error!("could not start the worker thread: {err}"))
            .ok();
        // The output parameters a format export reports itself (CLAP, VST3), registered as the
        // plugin is built so that the export knows them before the host asks.
        let output_bus = Arc::new(OutputBus::default());
        let host = output_bus.host();
        if let Err(err) = host.register(params.outputs.targets(&Default::default()).map(|(p, _)| p))
        {
            nice_error!("output parameters: {err}");
        }
        host.register_train(params.train.as_ptr());
        Self {
            params,
            meters,
            view,
            analyzer: None,
            mono: Vec::new(),
            listening: None,
            hits_out,
            audio_out,
            chunks: ChunkWriter::default(),
            models,
            arming: Arming::default(),
            worker,
            notes: NoteScheduler::default(),
            demo: None,
            signals: Signals::new(44_100.0),
            delay: delay::PassThroughDelay::default(),
            output_bus,
            since_publish: 0,
            audition,
            audition_sender: Arc::new(audition_sender),
            demo_was_on: false,
            sample_rate: 44_100.0,
        }
    }
}

impl Timbrel {
    /// The meters the audio thread publishes (for the editor, embedding hosts and tests).
    pub fn meters(&self) -> &Arc<Meters> {
        &self.meters
    }

    /// The worker's latest view: recent hits with predictions, training status, map, zones.
    pub fn worker_view(&self) -> Arc<WorkerView> {
        self.view.load()
    }

    /// The queue to the worker (dataset edits, zones, imports).
    pub fn commands(&self) -> &Commands {
        self.params.dataset.commands()
    }

    /// The parameters, with the handle on the persisted project.
    pub fn timbrel_params(&self) -> &Arc<TimbrelParams> {
        &self.params
    }

    /// Where the editor (or a test) sends snippets to be heard through the output.
    pub fn audition_sender(&self) -> &Arc<audition::AuditionSender> {
        &self.audition_sender
    }

    /// The output parameters' hand-over to the main thread.
    pub fn output_bus(&self) -> &Arc<OutputBus> {
        &self.output_bus
    }

    /// Replaces the input by the demo performance while `Demo input` is on (from its beginning
    /// each time it is switched on).
    fn play_demo(&mut self, buffer: &mut Buffer) {
        let demo_on = self.params.demo_input.value();
        if let (true, Some(demo)) = (demo_on, self.demo.as_mut()) {
            if !self.demo_was_on {
                demo.rewind();
            }
            let (first, rest) = buffer.as_slice().split_at_mut(1);
            demo.fill(first[0]);
            for channel in rest.iter_mut() {
                channel.copy_from_slice(first[0]);
            }
        }
        self.demo_was_on = demo_on;
    }

    /// Sends the hit ring a message, counting it when the ring is full.
    fn tell_worker(&mut self, message: ToWorker) {
        if self.hits_out.push(message).is_err() {
            self.meters.queue_overflows.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Hands the last hit's output values to the host: to the format
    /// export when it reports them itself ([`host_outputs`]), else to the main thread.
    fn publish_outputs(
        &mut self,
        block: &Block,
        position: u64,
        context: &mut impl ProcessContext<Self>,
    ) {
        let (hits, samples) = (block.hits, block.samples);
        let host = self.output_bus.host();
        if host.is_linked() && hits > 0 {
            // The block's last hit, at its sample.
            let values = self.signals.values();
            let normalized = self.params.outputs.targets(&values).map(|(_, n)| n);
            host.store(normalized, block.rendered as u32);
        }
        // The editor's route: after a hit, and again while a value it could not hand over
        // (a task was still pending) differs from what it last handed over.
        self.since_publish += samples as u64;
        let retry = self.since_publish as f32 >= PUBLISH_INTERVAL_S * self.sample_rate;
        if hits > 0 || retry {
            let values = self.signals.values();
            let timeout = (publish::PENDING_TIMEOUT_S * self.sample_rate) as u64;
            if (hits > 0 || values != self.output_bus.load())
                && self.output_bus.store(&values, position, timeout)
            {
                context.execute_gui(OutputTask::Publish);
                self.since_publish = 0;
            }
        }
    }

    /// The latency reported to the host, in samples: `analyzer`'s window (the time from a hit's
    /// onset to its result) with *Latency compensation* on, 0 with it off.
    fn latency_samples(&self, analyzer: &Analyzer) -> u32 {
        if self.params.latency_compensation.value() {
            analyzer.latency_samples()
        } else {
            0
        }
    }

    /// The longest latency [`Self::latency_samples`] can report for `analyzer` (its longest
    /// window at its sample rate), in samples.
    fn max_latency_samples(analyzer: &Analyzer) -> usize {
        let longest = timbrel_core::analysis::AnalysisSettings {
            window_ref_samples: *timbrel_core::analysis::settings::WINDOW_REF_RANGE.end(),
            ..Default::default()
        };
        longest.window_len_samples(analyzer.sample_rate())
    }

    /// Publishes the block's detection meters, MIDI counters and latency for the editor.
    fn update_meters(&self, analyzer: &mut Analyzer) {
        let meter = analyzer.take_detection_peak();
        // The editor takes the largest value since its last frame (and resets it).
        self.meters
            .detection_value
            .fetch_max(meter.value, Ordering::Relaxed);
        self.meters
            .detection_mask
            .fetch_max(meter.mask.unwrap_or(f32::NEG_INFINITY), Ordering::Relaxed);
        self.meters
            .detection_threshold
            .store(meter.threshold, Ordering::Relaxed);
        self.meters.latency_ms.store(
            analyzer.latency_samples() as f32 * 1000.0 / self.sample_rate,
            Ordering::Relaxed,
        );
        let dropped = self.notes.dropped();
        self.meters
            .midi_dropped
            .store(dropped.ccs + dropped.notes, Ordering::Relaxed);
        self.meters
            .late_note_offs
            .store(dropped.late_offs, Ordering::Relaxed);
    }
}

/// Names of the auxiliary control output's channels, in order.
pub const AUX_CHANNEL_NAMES: [&str; AUX_CHANNELS] = [
    "position",
    "confidence",
    "P(aux class A)",
    "P(aux class B)",
    "speed",
];
/// The auxiliary control output (see [`AUX_CHANNEL_NAMES`]).
const CONTROL_PORT: &[NonZeroU32] = &[new_nonzero_u32(AUX_CHANNELS as u32)];
/// Port names of layouts with the control output.
const CONTROL_NAMES: PortNames = PortNames {
    layout: None,
    main_input: None,
    main_output: None,
    aux_inputs: &[],
    aux_outputs: &["Control"],
};

/// Replaces NaN, infinities and subnormals by zero; every other value passes unchanged.
#[inline]
fn sanitize(x: f32) -> f32 {
    if x.is_normal() {
        x
    } else {
        0.0
    }
}

/// Writes the mono mix of `channels[..][start..start + mono.len()]` into `mono`.
fn mix_to_mono(channels: &[&mut [f32]], start: usize, mono: &mut [f32]) {
    mono.fill(0.0);
    let gain = 1.0 / channels.len() as f32;
    for channel in channels {
        for (m, x) in mono.iter_mut().zip(&channel[start..]) {
            *m += *x * gain;
        }
    }
}

/// What `process()` keeps while it works through one block.
struct Block {
    /// Analyzer position of the block's first sample.
    start: u64,
    /// Samples in the block.
    samples: usize,
    /// Samples of the block the control signals have been rendered for.
    rendered: usize,
    /// Hits in the block.
    hits: u32,
    /// The `Unknown threshold` parameter.
    unknown_scale: f32,
    /// What `New stroke` asks of a hit sent as a class.
    new_stroke: timbrel_learn::NewStroke,
    /// The outputs' position range and curve.
    range: timbrel_core::control::RangeCurve,
    /// The auxiliary output's two classes (0-based).
    aux_classes: [usize; 2],
}

impl Block {
    fn new(start: u64, samples: usize, params: &TimbrelParams) -> Self {
        let aux_classes = [
            params.signals.aux_class_a.value(),
            params.signals.aux_class_b.value(),
        ]
        .map(|c| (c.clamp(1, timbrel_learn::MAX_CLASSES as i32) - 1) as usize);
        Self {
            start,
            samples,
            rendered: 0,
            hits: 0,
            unknown_scale: params.unknown_scale.value(),
            new_stroke: params::new_stroke(params.new_stroke_db.value()),
            range: params.signals.range(),
            aux_classes,
        }
    }
}

impl Timbrel {
    /// Makes the input safe to pass through (NaN, infinities and subnormals become zero; the
    /// rest is bit-exact) and meters its peak.
    fn sanitize_input(&self, buffer: &mut Buffer) {
        let mut peak = 0.0f32;
        for channel in buffer.as_slice().iter_mut() {
            for x in channel.iter_mut() {
                *x = sanitize(*x);
                peak = peak.max(x.abs());
            }
        }
        self.meters
            .input_peak_dbfs
            .store(20.0 * peak.log10(), Ordering::Relaxed);
    }

    /// Feeds "Learn levels" and the worker's signal ring (for snippets) with a chunk of the
    /// mono mix that starts at analyzer position `position`.
    fn listen_and_stream(&mut self, position: u64, mono: &[f32]) {
        if let Some(listening) = self.listening.as_mut() {
            let detector = self.params.parameter_settings().detector;
            listening.process(
                self.params.learn_levels.value(),
                mono,
                &detector,
                &self.params.learned_levels,
            );
        }
        let audio_out = &mut self.audio_out;
        self.chunks.write(position, mono, |chunk| {
            // NOTE: a full ring only costs snippets their audio; hits are unaffected.
            let _ = audio_out.push(*chunk);
        });
    }

    /// One finished hit: record it if a class is armed, classify it, move the control signals
    /// and schedule its MIDI (unless it sounds like an ignore class), and tell the worker.
    fn hit(&mut self, hit: &HitRecord, block: &mut Block, control: Option<&mut [&mut [f32]]>) {
        self.meters.hits.fetch_add(1, Ordering::Relaxed);
        block.hits += 1;
        let train = self.arming.record(&self.meters);
        let prediction = self.models.current().map(|model| {
            let mut prediction = Prediction::default();
            model.classify_hit(hit, block.unknown_scale, block.new_stroke, &mut prediction);
            prediction
        });
        let position = prediction
            .as_ref()
            .map_or(0.0, |p| block.range.map(p.interpolation));
        let offset =
            ((hit.ready_sample - block.start) as usize).clamp(block.rendered, block.samples);
        self.signals.render(
            control,
            block.rendered,
            offset - block.rendered,
            block.aux_classes,
        );
        block.rendered = offset;
        // A hit like an ignore class (bleed of the rest of the kit) sends nothing.
        let mut speed = None;
        if !prediction.as_ref().is_some_and(|p| p.ignored) {
            let reading = self.signals.hit(
                hit.onset_sample,
                prediction.as_ref(),
                position,
                hit.peak_dbfs,
            );
            outputs::send_hit(
                &self.params.midi,
                &self.params.class_outputs,
                &mut self.notes,
                hit,
                prediction.as_ref(),
                outputs::HitValues {
                    position,
                    speed: reading.value,
                },
                self.sample_rate,
            );
            speed = Some(reading);
        }
        let unknown = prediction.as_ref().is_some_and(Prediction::sounds_unknown);
        self.tell_worker(ToWorker::Hit {
            hit: *hit,
            train,
            collect: self.arming.collects(unknown),
            prediction,
            speed,
        });
    }

    /// Ends the block's arming: a disarm or the reached limit retrains; the limit also asks the
    /// main thread to return `Train` to off (when there is a context to do it with).
    fn end_arming(&mut self, context: &mut impl ProcessContext<Self>) {
        let end = self.arming.end_block();
        if end.training_stopped {
            self.tell_worker(ToWorker::TrainingStopped);
        }
        // `Train` goes Off: through the format export (CLAP) from the first block, editor or
        // not; otherwise through the editor's context once it has been opened.
        if end.limit_reached
            && !self.output_bus.host().request_disarm()
            && self.output_bus.has_gui()
        {
            context.execute_gui(OutputTask::Disarm);
        }
    }
}

impl Plugin for Timbrel {
    const NAME: &'static str = "Timbrel";
    const VENDOR: &'static str = "Timbrel";
    const URL: &'static str = env!("CARGO_PKG_REPOSITORY");
    const EMAIL: &'static str = "timbrel@users.noreply.github.com";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    // Stereo and mono, each with and without the auxiliary control output.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_output_ports: CONTROL_PORT,
            names: PortNames {
                layout: Some("Stereo with control output"),
                ..CONTROL_NAMES
            },
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            aux_output_ports: CONTROL_PORT,
            names: PortNames {
                layout: Some("Mono with control output"),
                ..CONTROL_NAMES
            },
            ..AudioIOLayout::const_default()
        },
    ];

    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type SysExMessage = ();
    type BackgroundTask = OutputTask;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        let bus = self.output_bus.clone();
        let params = self.params.clone();
        Box::new(move |task| match task {
            OutputTask::Publish => bus.publish(&params.outputs),
            OutputTask::Disarm => bus.disarm(&params.train),
        })
    }

    type Editor = nice_plug_egui::EguiEditor<editor::TimbrelEditor>;

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(editor::Shared {
            params: self.params.clone(),
            meters: self.meters.clone(),
            view: self.view.clone(),
            outputs: self.output_bus.clone(),
            audition: self.audition_sender.clone(),
        })
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.sample_rate = buffer_config.sample_rate;
        self.meters
            .sample_rate
            .store(self.sample_rate, Ordering::Relaxed);
        let analyzer = Analyzer::new(self.sample_rate, self.params.analysis_settings());
        let channels = audio_io_layout
            .main_output_channels
            .map_or(0, |c| c.get() as usize);
        self.delay = delay::PassThroughDelay::new(channels, Self::max_latency_samples(&analyzer));
        context.set_latency_samples(self.latency_samples(&analyzer));
        self.analyzer = Some(analyzer);
        // NOTE: blocks larger than announced are analysed in chunks of this size.
        let max_block = (buffer_config.max_buffer_size as usize).max(1);
        self.mono = vec![0.0; max_block];
        self.listening = Some(levels::Listening::new(
            self.sample_rate,
            &self.params.parameter_settings().detector,
        ));
        self.notes = NoteScheduler::new(outputs::events_per_block(max_block, self.sample_rate));
        self.demo = Some(DemoPlayer::new(self.sample_rate));
        self.signals = Signals::new(self.sample_rate);
        // NOTE: the worker thread starts with the instance, so that a state loaded before the
        // first activation is applied (and its model waits in the model ring) by now.
        self.worker.is_some()
    }

    fn reset(&mut self) {
        if let Some(analyzer) = self.analyzer.as_mut() {
            analyzer.reset();
        }
        self.notes.reset();
        self.signals = Signals::new(self.sample_rate);
        self.delay.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Taken out for the block (a move: nothing is allocated or freed) and put back at its end.
        let Some(mut analyzer) = self.analyzer.take() else {
            return ProcessStatus::Error("process() before activate()");
        };
        let samples = buffer.samples();
        if samples > 0 && buffer.channels() > 0 {
            self.play_demo(buffer);
            self.sanitize_input(buffer);
            analyzer.set_settings(self.params.analysis_settings());
            self.models.update();
            let model_loaded = self.models.current().is_some();
            self.meters
                .model_loaded
                .store(model_loaded, Ordering::Relaxed);
            let (train, limit) = (self.params.train.value(), self.params.train_limit.value());
            let collect = self.params.collect_unknowns.value();
            let kit_playing = self.params.train_with_kit.value();
            self.arming
                .begin_block(train, limit, collect, kit_playing, &self.meters);
            // Training hits are also described under a synthetic hi-hat (what a hat played
            // with this drum does to it, for the model's novelty); no cost while disarmed.
            analyzer.set_hat_mix((train > 0).then_some(timbrel_learn::dataset::HAT_LEVEL_DB));
            self.signals.configure(&self.params.signals);
            let mut block = Block::new(analyzer.position(), samples, &self.params);
            let mut control = aux.outputs.first_mut().map(|port| port.as_slice());
            let mut mono = std::mem::take(&mut self.mono);
            // Every sample is analysed, in chunks of at most the announced block size (some
            // hosts send larger blocks when rendering offline); each chunk's MIDI goes out after
            // it, so the scheduler only ever holds one announced block's events.
            let mut chunk_start = 0;
            while chunk_start < samples {
                let len = (samples - chunk_start).min(mono.len());
                let chunk = &mut mono[..len];
                mix_to_mono(buffer.as_slice_immutable(), chunk_start, chunk);
                self.listen_and_stream(analyzer.position(), chunk);
                analyzer.process(chunk, |event| match event {
                    AnalyzerEvent::Onset { .. } => {
                        self.meters.onsets.fetch_add(1, Ordering::Relaxed);
                    }
                    AnalyzerEvent::Hit(hit) => self.hit(hit, &mut block, control.as_deref_mut()),
                });
                chunk_start += len;
                let start = block.start;
                self.notes.finish_block(analyzer.position(), |note| {
                    // The scheduler only hands out events inside this chunk, so inside the block.
                    let timing = (note.sample - start) as u32;
                    context
                        .try_send_event(midi::note_event(note, timing))
                        .is_ok()
                });
            }
            self.mono = mono;
            // Latency compensation: the audio leaves as late as the results (see `delay`).
            let latency = self.latency_samples(&analyzer);
            context.set_latency_samples(latency);
            self.delay.process(buffer.as_slice(), latency as usize);
            self.end_arming(context);
            let (rendered, aux_classes) = (block.rendered, block.aux_classes);
            self.signals
                .render(control, rendered, samples - rendered, aux_classes);
            self.publish_outputs(&block, analyzer.position(), context);
            // Auditioned snippets are heard, after the analysis, so they never count as hits.
            self.audition.mix_into(buffer.as_slice());
            self.update_meters(&mut analyzer);
        }
        self.analyzer = Some(analyzer);
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Timbrel {
    const CLAP_ID: &'static str = "audio.timbrel.timbrel";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Learns your drum hits: what kind each hit was and where it was struck");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Analyzer,
        ClapFeature::Drum,
        ClapFeature::Mono,
        ClapFeature::Stereo,
    ];
}

impl Vst3Plugin for Timbrel {
    const VST3_CLASS_ID: [u8; 16] = *b"TimbrelDrumHits1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Analyzer,
        Vst3SubCategory::Drum,
    ];
}

// Issue #16: our own CLAP export, so that the output parameters work without the editor.
export_clap_with_outputs!(Timbrel);
// Issue #16: our own VST3 export, so that the output parameters work without the editor.
export_vst3_with_outputs!(Timbrel);
