//! Timbrel: a drum-hit classifier plugin (CLAP, VST3 and standalone).
//!
//! This file is glue only: the plugin struct, `impl Plugin`, the format impls and the exports.
//! The DSP lives in `timbrel-core`; threads and shared state in [`engine`]; MIDI scheduling in
//! [`midi`]; the GUI in [`editor`].

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use timbrel_core::analysis::{Analyzer, AnalyzerEvent, HitRecord};

pub mod audition;
pub mod clap_entry;
pub mod demo;
pub mod editor;
pub mod engine;
pub mod host_outputs;
pub mod levels;
pub mod midi;
pub mod outputs;
pub mod params;
pub mod publish;
pub mod signals;
pub mod snippets;
pub mod swap;
pub mod vst3_entry;
pub mod zones;

use demo::DemoPlayer;
use engine::{
    Meters, SharedWorkerState, ToWorker, Worker, WorkerParts, AUDIO_QUEUE_CAPACITY,
    HIT_QUEUE_CAPACITY,
};
use midi::NoteScheduler;
use params::TimbrelParams;
use publish::{OutputBus, OutputTask, PUBLISH_INTERVAL_S};
use signals::{Signals, AUX_CHANNELS};
use snippets::{AudioChunk, ChunkWriter};
use swap::ModelReceiver;
use timbrel_learn::{Model, Prediction};

/// The plugin instance.
pub struct Timbrel {
    params: Arc<TimbrelParams>,
    meters: Arc<Meters>,
    worker_state: SharedWorkerState,
    /// Streaming onset detector and descriptor extractor; built in `initialize()`.
    analyzer: Option<Analyzer>,
    /// Mono mix of the current block, sized for the host's largest block in `initialize()`.
    mono: Vec<f32>,
    /// "Learn levels" on the audio thread (allocated in `activate()`).
    listening: Option<levels::Listening>,
    /// Audio-thread end of the hit ring.
    hits_out: Option<rtrb::Producer<ToWorker>>,
    /// Audio-thread end of the signal ring, and the chunk being filled.
    audio_out: Option<rtrb::Producer<AudioChunk>>,
    chunks: ChunkWriter,
    /// The trained model in use, swapped in without locks.
    models: Option<ModelReceiver<Model>>,
    /// The `Train` parameter's value in the previous block.
    last_train: i32,
    /// Drains the hit ring; started on first activation.
    worker: Option<Worker>,
    notes: NoteScheduler,
    /// The demo performance, prepared in `initialize()`.
    demo: Option<DemoPlayer>,
    /// The continuous outputs (auxiliary control signals, output parameters).
    signals: Signals,
    /// Hands the output parameters' values to the main thread.
    output_bus: Arc<OutputBus>,
    /// Samples since the output parameters were last published.
    since_publish: u64,
    /// Snippets the editor asked to hear, mixed into the output after the analysis.
    audition: audition::AuditionPlayer,
    /// The editor's end of the audition ring.
    audition_sender: Arc<audition::AuditionSender>,
    /// Hits recorded since a class was armed (for the train-count limit).
    armed_hits: u32,
    /// Whether the demo input was on in the previous block.
    demo_was_on: bool,
    sample_rate: f32,
}

impl Default for Timbrel {
    fn default() -> Self {
        let (audition_sender, audition) = audition::audition_channel();
        Self {
            params: Arc::new(TimbrelParams::default()),
            meters: Arc::new(Meters::default()),
            worker_state: SharedWorkerState::default(),
            analyzer: None,
            mono: Vec::new(),
            listening: None,
            hits_out: None,
            audio_out: None,
            chunks: ChunkWriter::default(),
            models: None,
            last_train: 0,
            worker: None,
            notes: NoteScheduler::default(),
            demo: None,
            signals: Signals::new(44_100.0),
            output_bus: Arc::new(OutputBus::default()),
            since_publish: 0,
            audition,
            audition_sender: Arc::new(audition_sender),
            armed_hits: 0,
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

    /// The worker's state: recent hits with predictions, training status.
    pub fn worker_state(&self) -> &SharedWorkerState {
        &self.worker_state
    }

    /// The parameters, with the persisted dataset.
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
}

/// Names of the auxiliary control output's channels, in order.
pub const AUX_CHANNEL_NAMES: [&str; AUX_CHANNELS] =
    ["position", "confidence", "P(aux class A)", "P(aux class B)"];
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

/// Classifies a hit; `unknown_scale` scales the model's unknown threshold. Never allocates.
fn classify(model: &Model, hit: &HitRecord, unknown_scale: f32) -> Prediction {
    let mut prediction = Prediction::default();
    model.classify(&hit.descriptor, &mut prediction);
    let known = prediction.novelty <= model.unknown_threshold() * unknown_scale;
    prediction.set_known(known);
    prediction
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

/// Hands a scheduled note event to the host at `timing` samples into the block; returns whether
/// the host took it.
fn send_note(
    context: &mut impl ProcessContext<Timbrel>,
    note: &midi::ScheduledNote,
    timing: u32,
) -> bool {
    let channel = Channel::Number(note.channel);
    let key = Key::Number(note.key);
    let voice_id = VoiceID::Wildcard;
    let event = match note.kind {
        midi::Kind::On => NoteEvent::NoteOn {
            timing,
            voice_id,
            channel,
            key,
            velocity: note.velocity,
        },
        midi::Kind::Off => NoteEvent::NoteOff {
            timing,
            voice_id,
            channel,
            key,
            velocity: 0.0,
        },
        midi::Kind::Cc => NoteEvent::MidiCC {
            timing,
            channel: note.channel,
            cc: note.key,
            value: note.velocity,
        },
    };
    context.try_send_event(event).is_ok()
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
        })
    }

    type Editor = nice_plug_egui::EguiEditor<editor::TimbrelEditor>;

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(editor::Shared {
            params: self.params.clone(),
            meters: self.meters.clone(),
            worker: self.worker_state.clone(),
            outputs: self.output_bus.clone(),
            audition: self.audition_sender.clone(),
        })
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.sample_rate = buffer_config.sample_rate;
        self.meters
            .sample_rate
            .store(self.sample_rate, Ordering::Relaxed);
        self.analyzer = Some(Analyzer::new(
            self.sample_rate,
            self.params.analysis_settings(),
        ));
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
        // Issue #16 hook: the output parameters a format export reports itself (CLAP).
        let outputs = self
            .params
            .outputs
            .targets(&Default::default())
            .map(|(p, _)| p);
        if let Err(err) = self.output_bus.host().register(outputs) {
            nice_error!("output parameters: {err}");
        }
        if self.worker.is_none() {
            let (hits_out, hits) = rtrb::RingBuffer::new(HIT_QUEUE_CAPACITY);
            let (audio_out, audio) = rtrb::RingBuffer::new(AUDIO_QUEUE_CAPACITY);
            let (models, receiver) = swap::model_channel();
            let parts = WorkerParts {
                hits,
                audio,
                models,
                meters: self.meters.clone(),
                dataset: self.params.dataset.clone(),
                class_names: self.params.class_names.clone(),
                state: self.worker_state.clone(),
                config: timbrel_learn::TrainConfig::default(),
            };
            match Worker::spawn(parts) {
                Ok(worker) => {
                    self.worker = Some(worker);
                    self.hits_out = Some(hits_out);
                    self.audio_out = Some(audio_out);
                    self.models = Some(receiver);
                }
                Err(err) => {
                    nice_error!("could not start the worker thread: {err}");
                    return false;
                }
            }
        }
        true
    }

    fn reset(&mut self) {
        if let Some(analyzer) = self.analyzer.as_mut() {
            analyzer.reset();
        }
        self.notes.reset();
        self.signals = Signals::new(self.sample_rate);
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(analyzer) = self.analyzer.as_mut() else {
            return ProcessStatus::Error("process() before activate()");
        };
        let samples = buffer.samples();
        let channels = buffer.channels();
        if samples == 0 || channels == 0 {
            return ProcessStatus::Normal;
        }
        let demo_on = self.params.demo_input.value();
        if let (true, Some(demo)) = (demo_on, self.demo.as_mut()) {
            // Switching the demo on starts the performance from its beginning.
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

        // Pass-through is bit-exact, except that NaN, infinities and subnormals become zero.
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

        analyzer.set_settings(self.params.analysis_settings());
        let block_start = analyzer.position();
        let model = self.models.as_mut().and_then(|models| {
            models.update();
            models.current()
        });
        self.meters
            .model_loaded
            .store(model.is_some(), Ordering::Relaxed);
        let unknown_scale = self.params.unknown_scale.value();
        let train = self.params.train.value();
        if train != self.last_train {
            self.armed_hits = 0;
            self.meters.armed_hits.store(0, Ordering::Relaxed);
        }
        let train_limit = self.params.train_limit.value().max(0) as u32;
        let armed_hits = &mut self.armed_hits;
        let mut limit_reached_now = false;
        let params = &*self.params;
        let sample_rate = self.sample_rate;
        let meters = &self.meters;
        let notes = &mut self.notes;
        let hits_out = &mut self.hits_out;
        let signals = &mut self.signals;
        signals.configure(&params.signals);
        let range = params.signals.range();
        let aux_classes = [
            params.signals.aux_class_a.value(),
            params.signals.aux_class_b.value(),
        ]
        .map(|c| (c.clamp(1, timbrel_learn::MAX_CLASSES as i32) - 1) as usize);
        let mut control = aux.outputs.first_mut().map(|port| port.as_slice());
        // Samples of this block the control signals have been rendered for.
        let mut rendered = 0usize;
        let mut hits_in_block = 0u32;
        let audio_out = &mut self.audio_out;
        let chunks = &mut self.chunks;
        let listening = &mut self.listening;
        let learn_on = params.learn_levels.value();
        let parameter_detector = params.parameter_settings().detector;
        // Every sample is analysed, in chunks of at most the announced block size (some hosts
        // send larger blocks when rendering offline); each chunk's MIDI goes out after it, so
        // the scheduler only ever holds one announced block's events.
        let mut chunk_start = 0;
        while chunk_start < samples {
            let len = (samples - chunk_start).min(self.mono.len());
            let mono = &mut self.mono[..len];
            mix_to_mono(buffer.as_slice_immutable(), chunk_start, mono);
            if let Some(listening) = listening.as_mut() {
                listening.process(learn_on, mono, &parameter_detector, &params.learned_levels);
            }
            if let Some(audio_out) = audio_out.as_mut() {
                chunks.write(analyzer.position(), mono, |chunk| {
                    // NOTE: a full ring only costs snippets their audio; hits are unaffected.
                    let _ = audio_out.push(*chunk);
                });
            }
            analyzer.process(mono, |event| match event {
                AnalyzerEvent::Onset { .. } => {
                    meters.onsets.fetch_add(1, Ordering::Relaxed);
                }
                AnalyzerEvent::Hit(hit) => {
                    meters.hits.fetch_add(1, Ordering::Relaxed);
                    hits_in_block += 1;
                    // Arming records every hit, up to the train-count limit (0 = no limit).
                    let under_limit = train_limit == 0 || *armed_hits < train_limit;
                    let train_class = (train > 0 && under_limit).then(|| (train - 1) as u8);
                    if train_class.is_some() {
                        *armed_hits += 1;
                        meters
                            .armed_hits
                            .store(*armed_hits as u64, Ordering::Relaxed);
                        limit_reached_now |= train_limit > 0 && *armed_hits == train_limit;
                    }
                    let prediction = model.map(|model| classify(model, hit, unknown_scale));
                    let position = prediction
                        .as_ref()
                        .map_or(0.0, |p| range.map(p.interpolation));
                    let offset =
                        ((hit.ready_sample - block_start) as usize).clamp(rendered, samples);
                    signals.render(
                        control.as_deref_mut(),
                        rendered,
                        offset - rendered,
                        aux_classes,
                    );
                    rendered = offset;
                    // A hit like an ignore class (bleed of the rest of the kit) sends nothing.
                    if !prediction.as_ref().is_some_and(|p| p.ignored) {
                        signals.hit(prediction.as_ref(), position, hit.peak_dbfs);
                        outputs::send_hit(
                            &params.midi,
                            &params.class_outputs,
                            notes,
                            hit,
                            prediction.as_ref(),
                            position,
                            sample_rate,
                        );
                    }
                    if let Some(queue) = hits_out.as_mut() {
                        let message = ToWorker::Hit {
                            hit: *hit,
                            train: train_class,
                            prediction,
                        };
                        if queue.push(message).is_err() {
                            meters.queue_overflows.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
            chunk_start += len;
            notes.finish_block(analyzer.position(), |note| {
                // The scheduler only hands out events inside this chunk, so inside the block.
                send_note(context, note, (note.sample - block_start) as u32)
            });
        }
        let dropped = notes.dropped();
        meters
            .midi_dropped
            .store(dropped.ccs + dropped.notes, Ordering::Relaxed);
        meters
            .late_note_offs
            .store(dropped.late_offs, Ordering::Relaxed);
        if (self.last_train > 0 && train == 0) || limit_reached_now {
            if let Some(queue) = hits_out.as_mut() {
                if queue.push(ToWorker::TrainingStopped).is_err() {
                    meters.queue_overflows.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.last_train = train;
        signals.render(control, rendered, samples - rendered, aux_classes);
        self.since_publish += samples as u64;
        let gliding = self.since_publish as f32 >= PUBLISH_INTERVAL_S * sample_rate;
        if hits_in_block > 0 || gliding {
            let values = signals.values();
            let timeout = (publish::PENDING_TIMEOUT_S * sample_rate) as u64;
            if (hits_in_block > 0 || values != self.output_bus.load())
                && self.output_bus.store(&values, analyzer.position(), timeout)
            {
                context.execute_gui(OutputTask::Publish);
                self.since_publish = 0;
            }
        }
        // Issue #16 hook: the CLAP export reports these values as parameter events after this
        // block (at the last hit's sample), editor or not.
        let host = self.output_bus.host();
        if host.is_linked() {
            let values = signals.values();
            let offset = if hits_in_block > 0 {
                rendered
            } else {
                samples - 1
            };
            let normalized = params.outputs.targets(&values).map(|(_, n)| n);
            host.store(normalized, offset as u32, hits_in_block > 0);
        }
        // Auditioned snippets are heard, after the analysis, so they never count as hits.
        self.audition.mix_into(buffer.as_slice());

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
