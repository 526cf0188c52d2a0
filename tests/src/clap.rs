//! A small CLAP host on `clack-host`: enough to load the built Timbrel, list its parameters, set
//! them (through `params.flush` or through events in `process`), save and load its state, pick an
//! audio layout, and run audio through it in any sequence of block sizes while collecting the
//! notes and MIDI control changes it sends. [`Instance::run`] runs a whole signal in one activation;
//! a [`Session`] keeps the plugin active and processing between calls, so a test can send
//! automation in any block, wait for the plugin's background work, and keep playing.
//!
//! The host runs everything on the test's thread: it is the "main thread" (the plugin's CLAP
//! wrapper takes the thread that created the instance as its main thread) and, while processing,
//! also the audio thread. That is allowed by CLAP as long as calls do not overlap. A test can ask
//! the host's thread-check extension to tell the plugin that `process` runs on an audio thread
//! that is not the main thread ([`Instance::separate_audio_thread`]), as in a DAW: the plugin
//! then defers its main-thread work to [`Instance::pump_main_thread`].

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::events::event_types::{
    MidiEvent, NoteOffEvent, NoteOnEvent, ParamGestureBeginEvent, ParamGestureEndEvent,
    ParamValueEvent,
};
use clack_host::prelude::*;
use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The CLAP plugin id Timbrel must have.
pub const PLUGIN_ID: &str = "audio.timbrel.timbrel";

/// The CLAP parameter id the nice-plug wrapper derives from a stable string id (`#[id = "..."]`):
/// a 31-bit Java-style string hash. Hosts store automation under these numbers, so they must
/// never change.
pub fn param_hash(id: &str) -> u32 {
    id.bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        & !(1 << 31)
}

// ---------------------------------------------------------------------------------------------
// Host callbacks

/// The host type.
pub struct TestHost;

/// Thread-safe host state: what the plugin asked for, and everything it logged.
pub struct Shared {
    /// The thread that created the instance: the main thread.
    pub main_thread: std::thread::ThreadId,
    /// Whether the host tells the plugin that `process` runs on an audio thread of its own.
    pub separate_audio_thread: AtomicBool,
    /// Whether a `process` call is running.
    pub in_process: AtomicBool,
    /// `params.request_flush` calls made during `process` (CLAP forbids them on the audio thread).
    pub flushes_in_process: AtomicUsize,
    /// The plugin asked for `on_main_thread`.
    pub callback_requested: AtomicBool,
    /// The plugin asked to be restarted (deactivated and activated again).
    pub restart_requested: AtomicBool,
    /// The plugin asked for a parameter flush.
    pub flush_requested: AtomicBool,
    /// Number of `params.rescan` calls.
    pub rescans: AtomicUsize,
    /// Number of `state.mark_dirty` calls.
    pub dirty_marks: AtomicUsize,
    /// Number of `latency.changed` calls.
    pub latency_changes: AtomicUsize,
    /// Everything the plugin logged, with its severity.
    pub log: Mutex<Vec<(String, String)>>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            main_thread: std::thread::current().id(),
            separate_audio_thread: AtomicBool::new(false),
            in_process: AtomicBool::new(false),
            flushes_in_process: AtomicUsize::new(0),
            callback_requested: AtomicBool::new(false),
            restart_requested: AtomicBool::new(false),
            flush_requested: AtomicBool::new(false),
            rescans: AtomicUsize::new(0),
            dirty_marks: AtomicUsize::new(0),
            latency_changes: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }
}

impl HostThreadCheckImpl for Shared {
    fn is_main_thread(&self) -> bool {
        std::thread::current().id() == self.main_thread
            && !(self.separate_audio_thread.load(Ordering::SeqCst)
                && self.in_process.load(Ordering::SeqCst))
    }
    fn is_audio_thread(&self) -> bool {
        self.in_process.load(Ordering::SeqCst)
    }
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostLogImpl for Shared {
    fn log(&self, severity: LogSeverity, message: &str) {
        eprintln!("[plugin {severity:?}] {message}");
        self.log
            .lock()
            .unwrap()
            .push((format!("{severity:?}"), message.to_owned()));
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {
        if self.in_process.load(Ordering::SeqCst) {
            self.flushes_in_process.fetch_add(1, Ordering::SeqCst);
        }
        self.flush_requested.store(true, Ordering::SeqCst);
    }
}

/// Main-thread host state.
pub struct MainThread<'a> {
    shared: &'a Shared,
}

impl<'a> MainThreadHandler<'a> for MainThread<'a> {}

impl HostParamsImplMainThread for MainThread<'_> {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.shared.rescans.fetch_add(1, Ordering::SeqCst);
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostLatencyImpl for MainThread<'_> {
    fn changed(&self) {
        self.shared.latency_changes.fetch_add(1, Ordering::SeqCst);
    }
}

impl HostStateImpl for MainThread<'_> {
    fn mark_dirty(&self) {
        self.shared.dirty_marks.fetch_add(1, Ordering::SeqCst);
    }
}

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLog>()
            .register::<HostLatency>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostThreadCheck>();
    }
}

// ---------------------------------------------------------------------------------------------
// Loading and describing

/// A loaded `.clap` file.
pub struct Bundle {
    entry: PluginEntry,
}

/// A plugin descriptor, copied out of the plugin.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub features: Vec<String>,
}

fn cstr(s: Option<&CStr>) -> String {
    s.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Bundle {
    /// Loads a `.clap` file (on Linux a shared library).
    pub fn load(path: &Path) -> Self {
        // SAFETY: loading a plugin runs its code; this is what the test is for.
        let entry = unsafe { PluginEntry::load(path) }
            .unwrap_or_else(|e| panic!("could not load {}: {e:?}", path.display()));
        Self { entry }
    }

    /// Every plugin descriptor the bundle's factory offers.
    pub fn descriptors(&self) -> Vec<Descriptor> {
        let factory = self
            .entry
            .get_plugin_factory()
            .expect("the bundle has no plugin factory");
        factory
            .plugin_descriptors()
            .map(|d| Descriptor {
                id: cstr(d.id()),
                name: cstr(d.name()),
                vendor: cstr(d.vendor()),
                version: cstr(d.version()),
                features: d
                    .features()
                    .map(|f| f.to_string_lossy().into_owned())
                    .collect(),
            })
            .collect()
    }

    /// A new, initialised instance of `id`.
    pub fn instantiate(&self, id: &str) -> Instance {
        let host_info = HostInfo::new(
            "timbrel-host-tests",
            "Timbrel",
            "https://example.invalid",
            "0.1.0",
        )
        .unwrap();
        let id = CString::new(id).unwrap();
        let instance = PluginInstance::<TestHost>::new(
            |_| Shared::default(),
            |shared| MainThread { shared },
            &self.entry,
            &id,
            &host_info,
        )
        .unwrap_or_else(|e| panic!("could not instantiate {id:?}: {e:?}"));
        Instance { instance }
    }
}

/// One parameter, as the plugin describes it.
#[derive(Debug, Clone)]
pub struct Param {
    pub id: u32,
    pub name: String,
    pub module: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    pub stepped: bool,
    /// `CLAP_PARAM_IS_READONLY`: an output of the plugin.
    pub read_only: bool,
    /// `CLAP_PARAM_IS_AUTOMATABLE`.
    pub automatable: bool,
}

/// A note event the plugin sent, at an absolute sample position (block start + event time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    pub sample: u64,
    pub on: bool,
    pub channel: i16,
    pub key: i16,
    pub velocity: f64,
    /// Size of the block the event came in, and its time within it.
    pub block_len: u32,
    pub time_in_block: u32,
    /// Position in the stream of note and MIDI events the plugin sent (0, 1, 2, ...), so that
    /// the order of events at the same sample can be checked.
    pub seq: usize,
}

/// A MIDI control change the plugin sent (a CLAP MIDI event with status `0xB0 | channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cc {
    /// Absolute sample position (block start + event time).
    pub sample: u64,
    /// MIDI channel, 0..=15.
    pub channel: u8,
    /// Controller number, 0..=127.
    pub controller: u8,
    /// Value, 0..=127.
    pub value: u8,
    /// Position in the stream of note and MIDI events, as [`Note::seq`].
    pub seq: usize,
}

/// A parameter value the plugin sent (a CLAP `param_value` output event).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamOut {
    /// Absolute sample position (block start + event time).
    pub sample: u64,
    /// Start of the block it came in.
    pub block_start: u64,
    /// CLAP parameter id.
    pub id: u32,
    /// CLAP value (0..1 for continuous parameters, steps above the minimum for stepped ones).
    pub value: f64,
}

/// What a run of audio produced.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Output audio, one `Vec` per channel (empty when the session did not keep it).
    pub output: Vec<Vec<f32>>,
    /// Every note-on and note-off, in order.
    pub notes: Vec<Note>,
    /// Every MIDI control change, in order.
    pub ccs: Vec<Cc>,
    /// Every parameter value event, in order.
    pub param_values: Vec<ParamOut>,
    /// Parameter gesture events (begin or end); hosts record gestures as automation.
    pub param_gestures: usize,
    /// Number of output events that were neither notes, control changes nor parameter events.
    pub other_events: usize,
    /// Events whose time was outside their block.
    pub events_out_of_block: usize,
    /// Events whose time was earlier than the previous event's (CLAP requires sorted events).
    pub events_out_of_order: usize,
    /// Number of `process` calls.
    pub blocks: usize,
}

impl Run {
    /// The note-ons only.
    pub fn note_ons(&self) -> Vec<Note> {
        self.notes.iter().copied().filter(|n| n.on).collect()
    }
    /// The note-offs only.
    pub fn note_offs(&self) -> Vec<Note> {
        self.notes.iter().copied().filter(|n| !n.on).collect()
    }
}

/// A plugin instance plus the host around it.
pub struct Instance {
    instance: PluginInstance<TestHost>,
}

impl Instance {
    fn params_ext(&self) -> PluginParams {
        self.instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin has no params extension")
    }

    fn state_ext(&self) -> PluginState {
        self.instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin has no state extension")
    }

    /// Runs the main-thread callback if the plugin asked for it (as a host's event loop would).
    pub fn pump_main_thread(&mut self) {
        let asked = self
            .instance
            .access_shared_handler(|s| s.callback_requested.swap(false, Ordering::SeqCst));
        if asked {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Everything the plugin logged so far.
    pub fn log(&self) -> Vec<(String, String)> {
        self.instance
            .access_shared_handler(|s| s.log.lock().unwrap().clone())
    }

    /// Makes the host's thread-check tell the plugin that `process` runs on an audio thread
    /// that is not the main thread (default: one thread for everything).
    pub fn separate_audio_thread(&mut self, separate: bool) {
        self.instance
            .access_shared_handler(|s| s.separate_audio_thread.store(separate, Ordering::SeqCst));
    }

    /// `params.request_flush` calls the plugin made during `process` so far.
    pub fn flushes_in_process(&self) -> usize {
        self.instance
            .access_shared_handler(|s| s.flushes_in_process.load(Ordering::SeqCst))
    }

    /// The latency the plugin reports (`latency.get`), in samples. CLAP asks for it while the
    /// plugin is active or being activated; nice-plug answers with the last reported value.
    pub fn latency(&mut self) -> u32 {
        let ext: PluginLatency = self
            .instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin has no latency extension");
        ext.get(&self.instance.plugin_handle())
    }

    /// Number of `latency.changed` calls so far.
    pub fn latency_changes(&self) -> usize {
        self.instance
            .access_shared_handler(|s| s.latency_changes.load(Ordering::SeqCst))
    }

    /// Whether the plugin asked to be restarted since the last call (and forgets it).
    pub fn take_restart_request(&self) -> bool {
        self.instance
            .access_shared_handler(|s| s.restart_requested.swap(false, Ordering::SeqCst))
    }

    /// Number of `params.rescan` calls so far.
    pub fn rescans(&self) -> usize {
        self.instance
            .access_shared_handler(|s| s.rescans.load(Ordering::SeqCst))
    }

    /// Every parameter, in the plugin's order.
    pub fn params(&mut self) -> Vec<Param> {
        let ext = self.params_ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .map(|i| {
                let info = ext
                    .get_info(&handle, i, &mut buffer)
                    .expect("params.get_info failed");
                Param {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    module: String::from_utf8_lossy(info.module).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    stepped: info
                        .flags
                        .contains(clack_extensions::params::ParamInfoFlags::IS_STEPPED),
                    read_only: info
                        .flags
                        .contains(clack_extensions::params::ParamInfoFlags::IS_READONLY),
                    automatable: info
                        .flags
                        .contains(clack_extensions::params::ParamInfoFlags::IS_AUTOMATABLE),
                }
            })
            .collect()
    }

    /// The parameter with stable string id `id`. Panics if there is none.
    pub fn param(&mut self, id: &str) -> Param {
        let hash = param_hash(id);
        self.params()
            .into_iter()
            .find(|p| p.id == hash)
            .unwrap_or_else(|| panic!("no parameter with stable id {id:?} (CLAP id {hash})"))
    }

    /// A parameter's current CLAP value.
    pub fn param_value(&mut self, id: &str) -> f64 {
        let ext = self.params_ext();
        ext.get_value(&self.instance.plugin_handle(), ClapId::new(param_hash(id)))
            .unwrap_or_else(|| panic!("params.get_value({id:?}) failed"))
    }

    /// A value as the plugin displays it.
    pub fn param_text(&mut self, id: &str, value: f64) -> String {
        let ext = self.params_ext();
        let mut buffer = [0u8; 256];
        let text = ext
            .value_to_text(
                &self.instance.plugin_handle(),
                ClapId::new(param_hash(id)),
                value,
                &mut buffer,
            )
            .unwrap_or_else(|_| panic!("params.value_to_text({id:?}) failed"));
        String::from_utf8_lossy(text).into_owned()
    }

    /// The CLAP value the plugin parses from `text` (as when a user types a value in a host).
    pub fn param_value_from_text(&mut self, id: &str, text: &str) -> f64 {
        let ext = self.params_ext();
        let c_text = CString::new(text).unwrap();
        ext.text_to_value(
            &self.instance.plugin_handle(),
            ClapId::new(param_hash(id)),
            &c_text,
        )
        .unwrap_or_else(|| panic!("params.text_to_value({id:?}, {text:?}) failed"))
    }

    /// `value` of the parameter with CLAP id `id` as the plugin displays it, or `None` when
    /// `value_to_text` fails.
    pub fn try_text(&mut self, id: u32, value: f64) -> Option<String> {
        let ext = self.params_ext();
        let mut buffer = [0u8; 256];
        let text = ext
            .value_to_text(
                &self.instance.plugin_handle(),
                ClapId::new(id),
                value,
                &mut buffer,
            )
            .ok()?;
        Some(String::from_utf8_lossy(text).into_owned())
    }

    /// The CLAP value the plugin parses from `text` for the parameter with CLAP id `id`, or
    /// `None` when `text_to_value` refuses it.
    pub fn try_value_from_text(&mut self, id: u32, text: &str) -> Option<f64> {
        let ext = self.params_ext();
        let c_text = CString::new(text).ok()?;
        ext.text_to_value(&self.instance.plugin_handle(), ClapId::new(id), &c_text)
    }

    /// A stepped parameter's current value as a whole number of steps above its minimum (the
    /// wrapper computes CLAP values in `f32`, so 38 comes back as 38.0000008).
    pub fn param_steps(&mut self, id: &str) -> i64 {
        let value = self.param_value(id);
        assert!(
            (value - value.round()).abs() < 1e-4,
            "{id} = {value} is not a whole number of steps"
        );
        value.round() as i64
    }

    /// Sets parameters through `params.flush` while the plugin is inactive. Values are CLAP
    /// values: this wrapper (nice-plug) uses 0..1 for continuous parameters and the number of
    /// steps above the minimum for stepped ones; see [`Self::param_value_from_text`].
    pub fn set_params_by_flush(&mut self, values: &[(&str, f64)]) {
        let ext = self.params_ext();
        let mut events = EventBuffer::new();
        for &(id, value) in values {
            events.push(&ParamValueEvent::new(
                0,
                ClapId::new(param_hash(id)),
                Pckn::match_all(),
                value,
            ));
        }
        let mut out = EventBuffer::new();
        let mut handle = self
            .instance
            .inactive_plugin_handle()
            .expect("flush while active");
        ext.flush(&mut handle, &events.as_input(), &mut out.as_output());
        self.pump_main_thread();
    }

    /// The plugin's saved state.
    pub fn save_state(&mut self) -> Vec<u8> {
        let ext = self.state_ext();
        let mut bytes = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut bytes)
            .expect("state.save failed");
        self.pump_main_thread();
        bytes
    }

    /// Loads a saved state.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let ext = self.state_ext();
        let mut reader = std::io::Cursor::new(bytes);
        let result = ext
            .load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|e| format!("{e:?}"));
        self.pump_main_thread();
        result
    }

    /// Channel count of the main input and output ports in the current layout.
    pub fn main_channels(&mut self) -> (u32, u32) {
        let ext: PluginAudioPorts = self
            .instance
            .plugin_shared_handle()
            .get_extension()
            .expect("no audio-ports extension");
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortInfoBuffer::new();
        let mut channels = |is_input| {
            assert_eq!(
                ext.count(&handle, is_input),
                1,
                "expected exactly one port each way"
            );
            ext.get(&handle, 0, is_input, &mut buffer)
                .expect("audio_ports.get failed")
                .channel_count
        };
        (channels(true), channels(false))
    }

    /// The audio port configurations the plugin offers: (id, name, input channels, output
    /// channels).
    pub fn port_configs(&mut self) -> Vec<(u32, String, u32, u32)> {
        let ext: PluginAudioPortsConfig = self
            .instance
            .plugin_shared_handle()
            .get_extension()
            .expect("no audio-ports-config extension");
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortsConfigBuffer::new();
        (0..ext.count(&handle))
            .map(|i| {
                let c = ext
                    .get(&handle, i, &mut buffer)
                    .expect("audio_ports_config.get failed");
                let ch = |p: &Option<clack_extensions::audio_ports_config::MainPortInfo>| {
                    p.as_ref().map(|p| p.channel_count).unwrap_or(0)
                };
                (
                    c.id.get(),
                    String::from_utf8_lossy(c.name).into_owned(),
                    ch(&c.main_input),
                    ch(&c.main_output),
                )
            })
            .collect()
    }

    /// Selects the audio port configuration with `channels` in and out (inactive only).
    pub fn select_channels(&mut self, channels: u32) {
        let id = self
            .port_configs()
            .into_iter()
            .find(|c| c.2 == channels && c.3 == channels)
            .unwrap_or_else(|| panic!("no {channels}-in/{channels}-out audio port configuration"))
            .0;
        let ext: PluginAudioPortsConfig = self
            .instance
            .plugin_shared_handle()
            .get_extension()
            .unwrap();
        ext.select(&self.instance.plugin_handle(), ClapId::new(id))
            .expect("audio_ports_config.select failed");
        assert_eq!(self.main_channels(), (channels, channels));
    }

    /// Activates at `sample_rate` with `channels` in and out and blocks of up to `max_block`
    /// samples, and starts processing. The session keeps the plugin active until
    /// [`Session::finish`] (or until it is dropped).
    pub fn start(&mut self, sample_rate: f64, channels: usize, max_block: usize) -> Session<'_> {
        self.start_announcing(sample_rate, channels, max_block, max_block)
    }

    /// As [`Self::start`], but announces `announced` as the largest block while sending blocks
    /// of up to `max_block` samples, as some hosts do when rendering offline or freezing.
    pub fn start_announcing(
        &mut self,
        sample_rate: f64,
        channels: usize,
        announced: usize,
        max_block: usize,
    ) -> Session<'_> {
        assert!(channels > 0 && max_block > 0 && announced > 0);
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: announced as u32,
        };
        let processor = self
            .instance
            .activate(|_, _| (), config)
            .expect("activate failed");
        let processor = processor
            .start_processing()
            .expect("start_processing failed");
        Session {
            instance: self,
            processor: Some(processor),
            sample_rate,
            max_block,
            in_bufs: vec![vec![0.0; max_block]; channels],
            out_bufs: vec![vec![0.0; max_block]; channels],
            in_ports: AudioPorts::with_capacity(channels, 1),
            out_ports: AudioPorts::with_capacity(channels, 1),
            in_events: EventBuffer::with_capacity(16),
            out_events: EventBuffer::with_capacity(256),
            pos: 0,
            last_event_sample: 0,
            keep_output: true,
            run: Run {
                output: vec![Vec::new(); channels],
                ..Run::default()
            },
        }
    }

    /// Activates at `sample_rate`, runs `input` (one `Vec` per channel) through the plugin in
    /// blocks whose sizes cycle through `block_sizes`, deactivates, and returns what came out.
    /// `param_events` are sent as input events in the first block, at time 0.
    pub fn run(
        &mut self,
        sample_rate: f64,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        param_events: &[(&str, f64)],
    ) -> Run {
        let len = input[0].len();
        assert!(input.iter().all(|c| c.len() == len));
        assert!(!block_sizes.is_empty() && block_sizes.iter().all(|&b| b > 0));
        let max_block = *block_sizes.iter().max().unwrap();
        let mut session = self.start(sample_rate, input.len(), max_block);
        let first_events: Vec<(u32, &str, f64)> =
            param_events.iter().map(|&(id, v)| (0, id, v)).collect();
        let mut pos = 0usize;
        for (block_index, &block) in block_sizes.iter().cycle().enumerate() {
            if pos >= len {
                break;
            }
            let n = block.min(len - pos);
            let channels: Vec<&[f32]> = input.iter().map(|c| &c[pos..pos + n]).collect();
            session.process(
                &channels,
                if block_index == 0 { &first_events } else { &[] },
            );
            pos += n;
        }
        session.finish()
    }
}

/// An active, processing plugin: feed it blocks one by one, with parameter events, and read
/// what it sent so far. Positions count samples since activation.
pub struct Session<'a> {
    instance: &'a mut Instance,
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    sample_rate: f64,
    max_block: usize,
    in_bufs: Vec<Vec<f32>>,
    out_bufs: Vec<Vec<f32>>,
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    in_events: EventBuffer,
    out_events: EventBuffer,
    pos: u64,
    last_event_sample: u64,
    keep_output: bool,
    run: Run,
}

impl Session<'_> {
    /// Samples processed since activation: the absolute position of the next block's start.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The sample rate the plugin was activated at, in Hz.
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// The largest block this session may process.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Number of input (and output) channels.
    pub fn channels(&self) -> usize {
        self.in_bufs.len()
    }

    /// Whether output audio is collected (default: yes). Long runs turn it off.
    pub fn keep_output(&mut self, keep: bool) {
        self.keep_output = keep;
    }

    /// Everything the plugin sent so far.
    pub fn output(&self) -> &Run {
        &self.run
    }

    /// Processes one block: `input` holds one slice per channel, all of the same length (at
    /// most [`Self::max_block`]); `param_events` are (time in block, stable id, CLAP value), in
    /// time order, as a host sends automation.
    pub fn process(&mut self, input: &[&[f32]], param_events: &[(u32, &str, f64)]) {
        let n = input[0].len();
        assert!(
            n > 0 && n <= self.max_block,
            "block of {n} samples (max {})",
            self.max_block
        );
        assert_eq!(input.len(), self.in_bufs.len(), "channel count");
        assert!(
            input.iter().all(|c| c.len() == n),
            "channels of different lengths"
        );
        for (c, channel) in input.iter().enumerate() {
            self.in_bufs[c][..n].copy_from_slice(channel);
            // Garbage in the output buffer: the plugin must overwrite every sample.
            self.out_bufs[c][..n].fill(f32::from_bits(0x7fc0_dead));
        }
        self.in_events.clear();
        for &(time, id, value) in param_events {
            assert!(
                (time as usize) < n,
                "parameter event at {time} in a block of {n}"
            );
            self.in_events.push(&ParamValueEvent::new(
                time,
                ClapId::new(param_hash(id)),
                Pckn::match_all(),
                value,
            ));
        }
        self.out_events.clear();
        let pos = self.pos;
        let in_process = |instance: &Instance, on: bool| {
            instance
                .instance
                .access_shared_handler(|s| s.in_process.store(on, Ordering::SeqCst))
        };
        in_process(self.instance, true);
        {
            let inputs = self.in_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only(
                    self.in_bufs
                        .iter_mut()
                        .map(|b| InputChannel::variable(&mut b[..n])),
                ),
            }]);
            let mut outputs = self.out_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    self.out_bufs.iter_mut().map(|b| &mut b[..n]),
                ),
            }]);
            self.processor
                .as_mut()
                .expect("session finished")
                .process(
                    &inputs,
                    &mut outputs,
                    &self.in_events.as_input(),
                    &mut self.out_events.as_output(),
                    Some(pos),
                    None,
                )
                .unwrap_or_else(|e| panic!("process failed at sample {pos} (block of {n}): {e:?}"));
        }
        in_process(self.instance, false);
        if self.keep_output {
            for (c, out) in self.run.output.iter_mut().enumerate() {
                out.extend_from_slice(&self.out_bufs[c][..n]);
            }
        }
        let run = &mut self.run;
        for event in self.out_events.iter() {
            let time = event.header().time();
            if time as usize >= n {
                run.events_out_of_block += 1;
            }
            let sample = pos + time as u64;
            if sample < self.last_event_sample {
                run.events_out_of_order += 1;
            }
            self.last_event_sample = sample;
            let seq = run.notes.len() + run.ccs.len();
            let note = match (
                event.as_event::<NoteOnEvent>(),
                event.as_event::<NoteOffEvent>(),
            ) {
                (Some(on), _) => Some((true, on.as_raw())),
                (None, Some(off)) => Some((false, off.as_raw())),
                (None, None) => None,
            };
            if let Some((on, raw)) = note {
                run.notes.push(Note {
                    sample,
                    on,
                    channel: raw.channel,
                    key: raw.key,
                    velocity: raw.velocity,
                    block_len: n as u32,
                    time_in_block: time,
                    seq,
                });
            } else if let Some(midi) = event.as_event::<MidiEvent>() {
                match midi.data() {
                    [status, controller, value] if status & 0xf0 == 0xb0 => run.ccs.push(Cc {
                        sample,
                        channel: status & 0x0f,
                        controller,
                        value,
                        seq,
                    }),
                    _ => run.other_events += 1,
                }
            } else if let Some(value) = event.as_event::<ParamValueEvent>() {
                run.param_values.push(ParamOut {
                    sample,
                    block_start: pos,
                    id: value.param_id().map_or(u32::MAX, |id| id.get()),
                    value: value.value(),
                });
            } else if event.as_event::<ParamGestureBeginEvent>().is_some()
                || event.as_event::<ParamGestureEndEvent>().is_some()
            {
                run.param_gestures += 1;
            } else {
                run.other_events += 1;
            }
        }
        self.pos += n as u64;
        run.blocks += 1;
    }

    /// Plays a mono signal on every input channel, in blocks whose sizes `next_block` chooses
    /// (clipped to what is left). `param_events` go into the first block.
    pub fn play(
        &mut self,
        mono: &[f32],
        mut next_block: impl FnMut() -> usize,
        param_events: &[(u32, &str, f64)],
    ) {
        let channels = self.channels();
        let mut pos = 0;
        while pos < mono.len() {
            let n = next_block().min(mono.len() - pos);
            let block = &mono[pos..pos + n];
            let input: Vec<&[f32]> = (0..channels).map(|_| block).collect();
            self.process(&input, if pos == 0 { param_events } else { &[] });
            pos += n;
        }
    }

    /// Processes `len` samples of silence in blocks of up to `block` samples.
    pub fn silence(&mut self, len: usize, block: usize) {
        let zeros = vec![0.0f32; block.min(self.max_block)];
        let channels = self.in_bufs.len();
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len());
            let input: Vec<&[f32]> = (0..channels).map(|_| &zeros[..n]).collect();
            self.process(&input, &[]);
            left -= n;
        }
    }

    /// Runs the main-thread callback if the plugin asked for it.
    pub fn pump_main_thread(&mut self) {
        self.instance.pump_main_thread();
    }

    /// The instance, for host-side settings and queries while the session runs.
    pub fn instance_mut(&mut self) -> &mut Instance {
        self.instance
    }

    /// Stops processing, deactivates, and returns everything the plugin sent.
    pub fn finish(mut self) -> Run {
        self.stop();
        std::mem::take(&mut self.run)
    }

    fn stop(&mut self) {
        if let Some(processor) = self.processor.take() {
            let processor = processor.stop_processing();
            self.instance.instance.deactivate(processor);
            self.instance.pump_main_thread();
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}
