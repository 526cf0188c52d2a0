//! Getting the output parameters to the host.
//!
//! nice-plug has no way to set a parameter from the audio thread, and the only object that can
//! tell the host about a parameter change, the `GuiContext`, is handed to the plugin when the
//! editor opens. So:
//!
//! 1. the editor stores its `GuiContext` here when it is built, and it stays usable after the
//!    window closes (it only holds a weak reference to the wrapper);
//! 2. after each hit the audio thread writes the hit's output values into atomics and, when a
//!    context is available, posts one small task with `ProcessContext::execute_gui` (at most
//!    one pending at a time; values it could not hand over are retried [`PUBLISH_INTERVAL_S`]
//!    apart);
//! 3. the task runs on the host's main thread and sets the parameters through the context's
//!    `ParamSetter`, as a GUI would.
//!
//! The output parameters carry each hit's values, held until the next hit (glide and decay shape
//! only the control output). This route serves the standalone, where until the editor has been
//! opened once the output parameters stay at their defaults. The CLAP and VST3 exports report
//! them from the first hit on, editor or not, through [`HostOutputs`] (see
//! [`crate::clap_entry`](mod@crate::clap_entry), [`crate::vst3_entry`]); when they do, this route stays idle (so that
//! the values never go out twice, nor with gestures, which hosts record as automation). The MIDI
//! notes and CCs and the auxiliary control output carry the same information from the first hit
//! on in every format.

use crate::host_outputs::HostOutputs;
use crate::signals::{OutputParams, OutputValues, BANK_CHANNELS};
use atomic_float::AtomicF32;
use nice_plug::context::gui::GuiContext;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Time between two attempts to hand over values a pending task kept back, in seconds.
pub const PUBLISH_INTERVAL_S: f32 = 1.0 / 30.0;
/// How long a posted task may stay pending before it counts as lost and another is posted, in
/// seconds. nice-plug drops a task it cannot schedule without telling the plugin; waiting for
/// it forever would freeze the output parameters. A main thread that is only slow gets one
/// extra task per this interval.
pub const PENDING_TIMEOUT_S: f32 = 1.0;

/// Tasks the audio thread posts to the main thread. They carry no data: the values travel
/// through the [`OutputBus`]'s atomics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTask {
    /// Copy the latest output values into the output parameters.
    Publish,
    /// Return the `Train` parameter to off: the train-count limit was reached (see
    /// [`crate::arming`]).
    Disarm,
}

/// Shared between the audio thread, the editor and the main-thread task executor.
pub struct OutputBus {
    /// The editor's context, once an editor has been opened. Only locked on the main thread.
    gui: Mutex<Option<GuiContext>>,
    /// Whether `gui` holds a context; read by the audio thread.
    gui_ready: AtomicBool,
    /// Whether a publish task is posted and has not run yet.
    pending: AtomicBool,
    /// When the pending task was posted: the audio thread's sample position.
    posted_at: AtomicU64,
    /// Tasks given up as lost (posted again after [`PENDING_TIMEOUT_S`]).
    pub lost: AtomicU64,
    bank: [AtomicF32; BANK_CHANNELS],
    level_dbfs: AtomicF32,
    class: AtomicI32,
    /// Publish tasks that ran, for diagnostics and tests.
    pub published: AtomicU64,
    /// Issue #16 hook: the values a format export reports itself (CLAP), claimed when the plugin
    /// is built.
    host: Arc<HostOutputs>,
}

impl Default for OutputBus {
    fn default() -> Self {
        let values = OutputValues::default();
        Self {
            gui: Mutex::new(None),
            gui_ready: AtomicBool::new(false),
            pending: AtomicBool::new(false),
            posted_at: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            bank: std::array::from_fn(|c| AtomicF32::new(values.bank[c])),
            level_dbfs: AtomicF32::new(values.level_dbfs),
            class: AtomicI32::new(values.class),
            published: AtomicU64::new(0),
            host: HostOutputs::claim(),
        }
    }
}

impl std::fmt::Debug for OutputBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputBus")
            .field("can_publish", &self.can_publish())
            .field("values", &self.load())
            .field("published", &self.published.load(Ordering::Relaxed))
            .finish()
    }
}

impl OutputBus {
    /// Keeps the editor's context for setting the output parameters (main thread).
    pub fn attach(&self, gui: GuiContext) {
        *self.gui.lock().unwrap_or_else(|e| e.into_inner()) = Some(gui);
        self.gui_ready.store(true, Ordering::Release);
    }

    /// Whether an editor was opened once (its context can set parameters from the main thread).
    pub fn has_gui(&self) -> bool {
        self.gui_ready.load(Ordering::Acquire)
    }

    /// Whether this route sets the output parameters: an editor was opened once, and the format
    /// export does not report them itself.
    pub fn can_publish(&self) -> bool {
        self.gui_ready.load(Ordering::Acquire) && !self.host.is_linked()
    }

    /// The output values a format export reports itself, if it does ([`HostOutputs::is_linked`]).
    pub fn host(&self) -> &Arc<HostOutputs> {
        &self.host
    }

    /// Stores the latest values (audio thread; never blocks). Returns whether the caller should
    /// post an [`OutputTask::Publish`]: a context exists, and no task is pending, or the pending
    /// one was posted at least `timeout` samples before `now` (the audio thread's sample
    /// position) and is taken as lost.
    pub fn store(&self, values: &OutputValues, now: u64, timeout: u64) -> bool {
        for (slot, v) in self.bank.iter().zip(&values.bank) {
            slot.store(*v, Ordering::Relaxed);
        }
        self.level_dbfs.store(values.level_dbfs, Ordering::Relaxed);
        self.class.store(values.class, Ordering::Relaxed);
        if !self.can_publish() {
            return false;
        }
        if self.pending.swap(true, Ordering::AcqRel) {
            let posted = self.posted_at.load(Ordering::Relaxed);
            if now.saturating_sub(posted) < timeout {
                return false;
            }
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
        self.posted_at.store(now, Ordering::Relaxed);
        true
    }

    /// The latest stored values.
    pub fn load(&self) -> OutputValues {
        OutputValues {
            bank: std::array::from_fn(|c| self.bank[c].load(Ordering::Relaxed)),
            level_dbfs: self.level_dbfs.load(Ordering::Relaxed),
            class: self.class.load(Ordering::Relaxed),
        }
    }

    /// Runs a publish task (main thread): sets every output parameter whose value changed.
    pub fn publish(&self, outputs: &OutputParams) {
        self.pending.store(false, Ordering::Release);
        if self.host.is_linked() {
            // Issue #16: the format export reports the values itself.
            return;
        }
        let gui = self.gui.lock().unwrap_or_else(|e| e.into_inner());
        let Some(gui) = gui.as_ref() else { return };
        let values = self.load();
        for (param, normalized) in outputs.targets(&values) {
            // SAFETY: the pointers come from the plugin's own parameters, alive as long as it is.
            let current = unsafe { param.modulated_normalized_value() };
            if (current - normalized).abs() > 1e-6 {
                // SAFETY: as above; called on the main thread, as the context requires.
                unsafe {
                    gui.raw_begin_set_parameter(param);
                    gui.raw_set_parameter_normalized(param, normalized);
                    gui.raw_end_set_parameter(param);
                }
            }
        }
        self.published.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs a disarm task (main thread): returns `train` to off through the host, as the
    /// editor's Stop button does; nothing without a context or when it is off already.
    pub fn disarm(&self, train: &nice_plug::prelude::IntParam) {
        use nice_plug::prelude::Param;
        let gui = self.gui.lock().unwrap_or_else(|e| e.into_inner());
        let Some(gui) = gui.as_ref() else { return };
        if train.value() == 0 {
            return;
        }
        let param = train.as_ptr();
        // SAFETY: the pointer comes from the plugin's own parameter, alive as long as it is;
        // called on the main thread, as the context requires.
        unsafe {
            gui.raw_begin_set_parameter(param);
            gui.raw_set_parameter_normalized(param, train.preview_normalized(0));
            gui.raw_end_set_parameter(param);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_task_does_not_freeze_publishing() {
        let bus = OutputBus::default();
        let values = OutputValues::default();
        assert!(!bus.store(&values, 0, 100), "no context: nothing to post");
        bus.gui_ready.store(true, Ordering::Release);
        assert!(bus.store(&values, 0, 100));
        // The task is pending: no second one...
        assert!(!bus.store(&values, 50, 100));
        // ...until it has been pending for the timeout: then it counts as lost.
        assert!(bus.store(&values, 100, 100));
        assert_eq!(bus.lost.load(Ordering::Relaxed), 1);
        assert!(!bus.store(&values, 150, 100));
        // A task that runs clears the way at once.
        bus.publish(&OutputParams::new(&Default::default()));
        assert!(bus.store(&values, 160, 100));
        assert_eq!(bus.lost.load(Ordering::Relaxed), 1);
    }
}
