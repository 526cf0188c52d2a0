//! An in-process test host: drives `Timbrel` directly with buffers and mock contexts, the way the
//! CLAP and VST3 wrappers do, and runs every `process()` call under [`assert_no_alloc`], which aborts on any allocation
//! there, in debug and release builds alike.

#![allow(dead_code)]

pub mod takes;

/// Runs `f` with allocation forbidden on this thread: nice-plug's checker in debug builds, and in
/// release builds (which CI uses, to share the bundles' compiled dependencies, and where
/// nice-plug's checker is compiled out) a small checking allocator of our own. Either aborts the
/// test process on any allocation or deallocation inside `f`.
pub fn assert_no_alloc<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(debug_assertions)]
    return nice_assert_no_alloc::assert_no_alloc(f);
    #[cfg(not(debug_assertions))]
    return release_check::assert_no_alloc(f);
}

#[cfg(not(debug_assertions))]
mod release_check {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static FORBIDDEN: Cell<bool> = const { Cell::new(false) };
    }

    struct Checker;

    #[global_allocator]
    static CHECKER: Checker = Checker;

    fn check() {
        if FORBIDDEN.try_with(|f| f.replace(false)).unwrap_or(false) {
            use std::io::Write;
            let _ = std::io::stderr().write_all(b"allocation inside process() (assert_no_alloc)\n");
            std::process::abort();
        }
    }

    // SAFETY: forwards to the system allocator after the check.
    unsafe impl GlobalAlloc for Checker {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            check();
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            check();
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            check();
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            check();
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    pub fn assert_no_alloc<T>(f: impl FnOnce() -> T) -> T {
        FORBIDDEN.with(|x| x.set(true));
        let result = f();
        FORBIDDEN.with(|x| x.set(false));
        result
    }
}

use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::prelude::*;
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use timbrel::publish::OutputTask;
use timbrel::Timbrel;

/// One MIDI event the plugin sent, at an absolute sample position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentEvent {
    /// Absolute sample position: block start + the event's timing.
    pub sample: u64,
    /// `true` for note-on.
    pub on: bool,
    /// `true` for a control change: then `key` is the controller and `velocity` its value.
    pub cc: bool,
    /// MIDI key.
    pub key: u8,
    /// MIDI channel, 0..=15.
    pub channel: u8,
    /// Velocity, 0..=1.
    pub velocity: f32,
}

/// Capacity reserved for sent events, so that collecting them never allocates in `process()`.
const EVENT_CAPACITY: usize = 1 << 16;

/// A stand-in for the wrapper's activation context; records the latency reported.
#[derive(Default)]
struct MockActivate {
    latency: Cell<u32>,
}

impl ActivateContext<Timbrel> for MockActivate {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    fn execute(&self, _task: OutputTask) {}
    fn set_latency_samples(&self, samples: u32) {
        self.latency.set(samples);
    }
    fn set_current_voice_capacity(&self, _capacity: u32) {}
}

struct MockProcess<'a> {
    transport: Transport,
    events: &'a mut Vec<(u32, NoteEvent<()>)>,
    /// Tasks posted to the main thread during the call.
    gui_tasks: &'a Cell<u32>,
    /// Disarm tasks posted to the main thread during the call.
    disarm_tasks: &'a Cell<u32>,
    /// The latency the plugin reports, in samples.
    latency: &'a Cell<u32>,
}

impl ProcessContext<Timbrel> for MockProcess<'_> {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    fn execute_background(&self, _task: OutputTask) {}
    fn execute_gui(&self, task: OutputTask) {
        match task {
            OutputTask::Publish => self.gui_tasks.set(self.gui_tasks.get() + 1),
            OutputTask::Disarm => self.disarm_tasks.set(self.disarm_tasks.get() + 1),
        }
    }
    fn transport(&self) -> &Transport {
        &self.transport
    }
    fn next_event(&mut self) -> Option<NoteEvent<()>> {
        None
    }
    fn try_send_event(
        &mut self,
        event: NoteEvent<()>,
    ) -> Result<(), (NoteEvent<()>, nice_plug::context::process::SendEventError)> {
        assert!(
            self.events.len() < self.events.capacity(),
            "test event buffer full"
        );
        self.events.push((event.timing(), event));
        Ok(())
    }
    fn set_latency_samples(&self, samples: u32) {
        self.latency.set(samples);
    }
    fn request_restart(&self) {}
    fn set_current_voice_capacity(&self, _capacity: u32) {}
}

/// A plugin instance activated for a sample rate and channel count.
pub struct TestHost {
    /// The plugin under test.
    pub plugin: Timbrel,
    sample_rate: f32,
    channels: usize,
    max_block: usize,
    position: u64,
    raw_events: Vec<(u32, NoteEvent<()>)>,
    /// Runs the tasks the plugin posts to the main thread, after the block that posted them.
    executor: TaskExecutor<Timbrel>,
    /// Main-thread tasks posted so far.
    pub gui_tasks: u32,
    /// Whether the layout has the auxiliary control output.
    with_control: bool,
    /// Send blocks larger than announced at activation, as some hosts do when rendering
    /// offline (`run` otherwise cuts every block to the announced size).
    pub oversized_blocks: bool,
    /// Everything the auxiliary control output produced, one Vec per channel.
    pub control: Vec<Vec<f32>>,
    /// The latency the plugin reported last (at activation or in a block), in samples.
    pub latency: u32,
}

/// A stand-in for the wrapper's `GuiContext`: applies parameter changes the way the wrappers do
/// and records them.
#[derive(Default)]
pub struct RecordingGui {
    /// Every (parameter, normalized value) set, in order.
    pub changes: Mutex<Vec<(ParamPtr, f32)>>,
}

// SAFETY: the test drives everything from one thread.
unsafe impl Send for RecordingGui {}
// SAFETY: as above; the Mutex guards the only mutable state.
unsafe impl Sync for RecordingGui {}

impl GuiContextInner for RecordingGui {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: the pointer comes from the plugin's own parameters.
        unsafe { param._internal_set_normalized_value(normalized) };
        self.changes.lock().unwrap().push((param, normalized));
    }
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        unimplemented!("not used by the output parameters")
    }
    fn set_state(&self, _state: PluginState) {
        unimplemented!("not used by the output parameters")
    }
    fn request_restart(&self) {}
}

impl TestHost {
    /// Creates and activates a plugin with `channels` (1 or 2) at `sample_rate` Hz.
    pub fn new(sample_rate: f32, channels: usize, max_block: usize) -> Self {
        Self::with_plugin(Timbrel::default(), sample_rate, channels, max_block)
    }

    /// Activates an existing plugin instance.
    pub fn with_plugin(
        plugin: Timbrel,
        sample_rate: f32,
        channels: usize,
        max_block: usize,
    ) -> Self {
        Self::with_layout(plugin, sample_rate, channels, max_block, false)
    }

    /// Creates and activates a plugin whose layout has the auxiliary control output; what it
    /// produces collects in [`TestHost::control`].
    pub fn with_control_output(sample_rate: f32, channels: usize, max_block: usize) -> Self {
        Self::with_layout(Timbrel::default(), sample_rate, channels, max_block, true)
    }

    fn with_layout(
        mut plugin: Timbrel,
        sample_rate: f32,
        channels: usize,
        max_block: usize,
        with_control: bool,
    ) -> Self {
        let layout = Timbrel::AUDIO_IO_LAYOUTS
            .iter()
            .find(|l| {
                l.main_input_channels.map(|c| c.get() as usize) == Some(channels)
                    && l.aux_output_ports.is_empty() != with_control
            })
            .expect("layout for channel count");
        let control_channels = layout
            .aux_output_ports
            .first()
            .map_or(0, |c| c.get() as usize);
        let executor = plugin.task_executor();
        let config = BufferConfig {
            sample_rate,
            min_buffer_size: None,
            max_buffer_size: max_block as u32,
            process_mode: ProcessMode::Realtime,
        };
        let mut activation = MockActivate::default();
        assert!(plugin.activate(layout, &config, &mut activation));
        plugin.reset();
        Self {
            plugin,
            sample_rate,
            channels,
            max_block,
            position: 0,
            raw_events: Vec::with_capacity(EVENT_CAPACITY),
            executor,
            gui_tasks: 0,
            with_control,
            oversized_blocks: false,
            control: vec![Vec::new(); control_channels],
            latency: activation.latency.get(),
        }
    }

    /// Gives the plugin a recording `GuiContext`, as opening the editor does.
    pub fn attach_gui(&mut self) -> Arc<RecordingGui> {
        let gui = Arc::new(RecordingGui::default());
        self.plugin
            .output_bus()
            .attach(GuiContext::new(gui.clone()));
        gui
    }

    /// Parameter `id`'s pointer, from the live plugin's own parameter map.
    fn param_ptr(&self, id: &str) -> ParamPtr {
        let params = self.plugin.params();
        let (_, ptr, _) = params
            .param_map()
            .into_iter()
            .find(|(pid, _, _)| pid == id)
            .unwrap_or_else(|| panic!("no parameter with id {id}"));
        ptr
    }

    /// The plain value of parameter `id` as text, as a host would display it.
    pub fn param_text(&self, id: &str) -> String {
        let ptr = self.param_ptr(id);
        // SAFETY: the pointer comes from the live plugin's own parameter map.
        unsafe { ptr.normalized_value_to_string(ptr.modulated_normalized_value(), true) }
    }

    /// The published dataset.
    pub fn dataset(&self) -> timbrel_learn::Dataset {
        self.plugin
            .timbrel_params()
            .dataset
            .project()
            .dataset
            .clone()
    }

    /// Hits per class in the published dataset.
    pub fn dataset_counts(&self) -> Vec<usize> {
        self.dataset().counts()
    }

    /// The worker's log of recent hits, oldest first.
    pub fn hit_log(&self) -> Vec<timbrel::worker::HitSummary> {
        self.plugin.worker_view().log.iter().copied().collect()
    }

    /// Has the worker forget its log of recent hits, and waits until it did.
    pub fn clear_hit_log(&self) {
        assert!(self
            .plugin
            .commands()
            .send_and_wait(timbrel::worker::Command::ClearHitLog));
    }

    /// Samples processed since activation: where the next block's control output starts.
    pub fn control_position(&self) -> u64 {
        self.position
    }

    /// The normalized value of parameter `id`.
    pub fn param_normalized(&self, id: &str) -> f32 {
        // SAFETY: the pointer comes from the live plugin's own parameter map.
        unsafe { self.param_ptr(id).modulated_normalized_value() }
    }

    /// Sets parameter `id` to a normalised value (0..=1), as a host's automation would between
    /// blocks.
    pub fn set_param_normalized(&mut self, id: &str, normalized: f32) {
        // SAFETY: the pointer comes from the live plugin's own parameter map.
        unsafe {
            self.param_ptr(id)
                ._internal_set_normalized_value(normalized)
        };
    }

    /// Sets parameter `id` to a plain value (in its own unit), as a host's automation would.
    pub fn set_param_plain(&mut self, id: &str, plain: f32) {
        // SAFETY: the pointer comes from the live plugin's own parameter map.
        let normalized = unsafe { self.param_ptr(id).preview_normalized(plain) };
        self.set_param_normalized(id, normalized);
    }

    /// Processes `audio` (one Vec per channel, edited in place) in blocks whose sizes cycle
    /// through `blocks`, and returns the events sent, at absolute sample positions.
    pub fn run(&mut self, audio: &mut [Vec<f32>], blocks: &[usize]) -> Vec<SentEvent> {
        assert_eq!(audio.len(), self.channels);
        let total = audio[0].len();
        let mut out = Vec::new();
        let mut start = 0;
        let mut which = 0;
        let mut buffer = Buffer::default();
        while start < total {
            let mut len = blocks[which % blocks.len()].min(total - start);
            if !self.oversized_blocks {
                len = len.min(self.max_block);
            }
            which += 1;
            let mut slices: Vec<&mut [f32]> = audio
                .iter_mut()
                .map(|c| &mut c[start..start + len])
                .collect();
            // SAFETY: the slices outlive the process call below and all have length `len`.
            unsafe {
                buffer.set_slices(len, |out| {
                    out.clear();
                    out.extend(
                        slices
                            .drain(..)
                            .map(|s| std::mem::transmute::<&mut [f32], &'static mut [f32]>(s)),
                    );
                });
            }
            self.raw_events.clear();
            // The control output starts each block as garbage, as a host's buffers may.
            let mut control: Vec<Vec<f32>> =
                self.control.iter().map(|_| vec![f32::NAN; len]).collect();
            let mut control_buffer = Buffer::default();
            let mut control_slices: Vec<&mut [f32]> =
                control.iter_mut().map(|c| c.as_mut_slice()).collect();
            // SAFETY: `control` outlives the process call and every slice has length `len`.
            unsafe {
                control_buffer.set_slices(len, |out| {
                    out.clear();
                    out.extend(
                        control_slices
                            .drain(..)
                            .map(|s| std::mem::transmute::<&mut [f32], &'static mut [f32]>(s)),
                    );
                });
            }
            let gui_tasks = Cell::new(0);
            let disarm_tasks = Cell::new(0);
            let latency = Cell::new(self.latency);
            let status = {
                // The ports (and the slices they borrow from `control`) end with this scope.
                let mut control_ports = [control_buffer];
                let outputs: &mut [Buffer] = if self.with_control {
                    &mut control_ports
                } else {
                    &mut []
                };
                let mut aux = AuxiliaryBuffers {
                    inputs: &mut [],
                    outputs,
                };
                let mut context = MockProcess {
                    transport: Transport::new(self.sample_rate),
                    events: &mut self.raw_events,
                    gui_tasks: &gui_tasks,
                    disarm_tasks: &disarm_tasks,
                    latency: &latency,
                };
                let plugin = &mut self.plugin;
                assert_no_alloc(|| plugin.process(&mut buffer, &mut aux, &mut context))
            };
            assert_eq!(status, ProcessStatus::Normal);
            self.latency = latency.get();
            for (all, block) in self.control.iter_mut().zip(&control) {
                all.extend_from_slice(block);
            }
            // The host runs posted tasks on its main thread, after the block.
            for _ in 0..gui_tasks.get() {
                (self.executor)(OutputTask::Publish);
            }
            for _ in 0..disarm_tasks.get() {
                (self.executor)(OutputTask::Disarm);
            }
            self.gui_tasks += gui_tasks.get();
            for (timing, event) in self.raw_events.iter() {
                assert!(
                    (*timing as usize) < len,
                    "event timing {timing} outside block of {len}"
                );
                let (on, cc, key, channel, velocity) = match *event {
                    NoteEvent::NoteOn {
                        key,
                        channel,
                        velocity,
                        ..
                    } => (
                        true,
                        false,
                        key.number().expect("concrete key"),
                        channel.number().expect("channel"),
                        velocity,
                    ),
                    NoteEvent::NoteOff { key, channel, .. } => (
                        false,
                        false,
                        key.number().expect("concrete key"),
                        channel.number().expect("channel"),
                        0.0,
                    ),
                    NoteEvent::MidiCC {
                        channel, cc, value, ..
                    } => (false, true, cc, channel, value),
                    ref other => panic!("unexpected event {other:?}"),
                };
                out.push(SentEvent {
                    sample: self.position + *timing as u64,
                    on,
                    cc,
                    key,
                    channel,
                    velocity,
                });
            }
            // SAFETY: drop the borrowed slices before the next iteration re-borrows `audio`.
            unsafe { buffer.set_slices(0, |out| out.clear()) };
            self.position += len as u64;
            start += len;
        }
        out
    }
}
