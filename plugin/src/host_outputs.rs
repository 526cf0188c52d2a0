//! The output parameters' latest values, for a format export that reports them to the host
//! itself (see [`crate::clap_entry`](mod@crate::clap_entry)), whether or not an editor was ever opened.
//!
//! nice-plug gives a plugin no way to set a parameter outside the editor's `GuiContext`. The CLAP
//! export can do it when it owns the `clap_plugin` the host talks to: after each `process` it
//! reads the values the plugin stored here during that block and sends them as the host's
//! parameter-value output events, in the same block.
//!
//! Hand-over: the export calls [`HostOutputs::prepare`] just before it creates the wrapper; the
//! wrapper builds the plugin on the same thread, and the plugin's [`HostOutputs::claim`] takes the
//! prepared (linked) instance out of a thread-local slot. Formats that prepare none (VST3, the
//! standalone, in-process tests) get an unlinked one, and the output parameters keep the editor's
//! route ([`crate::publish`]).
//!
//! Threads: [`HostOutputs::register`] runs on the main thread before processing (it allocates);
//! [`HostOutputs::store`] on the audio thread and [`HostOutputs::take_fresh`] on the audio thread
//! after it, both lock- and allocation-free (atomics only).

use atomic_float::AtomicF32;
use nice_plug::prelude::ParamPtr;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// Most output parameters a plugin can hand over.
pub const MAX_OUTPUTS: usize = 32;

/// `fresh` when no hit set the values since the export last took them.
const NOTHING_FRESH: u32 = u32::MAX;

/// Why the output parameters could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// More parameters than [`MAX_OUTPUTS`].
    #[error("{count} output parameters, at most {MAX_OUTPUTS} can be handed over")]
    TooMany {
        /// The number of parameters offered.
        count: usize,
    },
}

/// The output parameters' latest normalized values, shared by the plugin and its format export.
pub struct HostOutputs {
    /// Whether a format export reads these values (set once, when the instance is created).
    linked: AtomicBool,
    /// The output parameters, one per slot, registered once before processing.
    params: OnceLock<Vec<ParamPtr>>,
    /// Latest normalized value (0..=1) per slot.
    values: [AtomicF32; MAX_OUTPUTS],
    /// Sample offset, in the current block, of the last hit that set the values, or
    /// [`NOTHING_FRESH`].
    fresh: AtomicU32,
    /// The `Train` parameter, which the export sets to Off when the plugin asks
    /// ([`Self::request_disarm`]).
    train: OnceLock<ParamPtr>,
    /// Whether the plugin asked for `Train` to go Off and the export has not done it yet.
    disarm: AtomicBool,
    /// Whether the export applies parameter changes to the plugin's own parameters (CLAP; the
    /// VST3 export only reports them), so that it can set `Train`.
    sets_parameters: AtomicBool,
}

impl Default for HostOutputs {
    fn default() -> Self {
        Self {
            linked: AtomicBool::new(false),
            params: OnceLock::new(),
            values: std::array::from_fn(|_| AtomicF32::new(f32::NAN)),
            fresh: AtomicU32::new(NOTHING_FRESH),
            train: OnceLock::new(),
            disarm: AtomicBool::new(false),
            sets_parameters: AtomicBool::new(false),
        }
    }
}

impl std::fmt::Debug for HostOutputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostOutputs")
            .field("linked", &self.is_linked())
            .field("slots", &self.params().len())
            .finish()
    }
}

thread_local! {
    /// The instance prepared for the next plugin built on this thread.
    static PREPARED: RefCell<Option<Arc<HostOutputs>>> = const { RefCell::new(None) };
}

impl HostOutputs {
    /// Prepares a linked instance for the next plugin created on this thread, and returns it.
    /// Replaces one left unclaimed.
    pub fn prepare() -> Arc<Self> {
        let outputs = Arc::new(Self::default());
        outputs.linked.store(true, Ordering::Release);
        PREPARED.with(|slot| *slot.borrow_mut() = Some(outputs.clone()));
        outputs
    }

    /// Says that the export applies parameter changes to the plugin's parameters too (not only
    /// reports them), so that [`Self::request_disarm`] can be honoured.
    pub fn set_applies_parameters(&self) {
        self.sets_parameters.store(true, Ordering::Release);
    }

    /// Clears this thread's prepared instance, if no plugin claimed it.
    pub fn withdraw() {
        PREPARED.with(|slot| slot.borrow_mut().take());
    }

    /// The instance prepared on this thread for a new plugin, or a new unlinked one.
    pub fn claim() -> Arc<Self> {
        PREPARED
            .with(|slot| slot.borrow_mut().take())
            .unwrap_or_default()
    }

    /// Whether a format export reports these values to the host. Lock-free; any thread.
    pub fn is_linked(&self) -> bool {
        self.linked.load(Ordering::Acquire)
    }

    /// Registers the output parameters, one per slot (main thread, once; later calls are
    /// ignored).
    pub fn register(
        &self,
        params: impl IntoIterator<Item = ParamPtr>,
    ) -> Result<(), RegisterError> {
        if self.params.get().is_some() {
            return Ok(());
        }
        let params: Vec<ParamPtr> = params.into_iter().collect();
        if params.len() > MAX_OUTPUTS {
            return Err(RegisterError::TooMany {
                count: params.len(),
            });
        }
        let _ = self.params.set(params);
        Ok(())
    }

    /// Registers the `Train` parameter, which [`Self::request_disarm`] sets to Off (main thread,
    /// once; later calls are ignored).
    pub fn register_train(&self, train: ParamPtr) {
        let _ = self.train.set(train);
    }

    /// Asks the export to set `Train` to Off after this block, as the host's own change of the
    /// parameter (the train-count limit was reached). Audio thread; never blocks or allocates.
    /// Returns whether an export will do it (else the caller must find another route).
    pub fn request_disarm(&self) -> bool {
        if !self.sets_parameters.load(Ordering::Acquire) || self.train.get().is_none() {
            return false;
        }
        self.disarm.store(true, Ordering::Release);
        true
    }

    /// The `Train` parameter, when the plugin asked for it to go Off since the last call (audio
    /// thread, after the plugin's block).
    pub fn take_disarm(&self) -> Option<ParamPtr> {
        if self.disarm.swap(false, Ordering::Acquire) {
            self.train.get().copied()
        } else {
            None
        }
    }

    /// The registered parameters, in slot order (empty before [`Self::register`]).
    pub fn params(&self) -> &[ParamPtr] {
        self.params.get().map_or(&[], Vec::as_slice)
    }

    /// Stores the slots' normalized values a hit set (audio thread); `offset` is the sample,
    /// within the current block, at which the hit took effect. The export reports every slot
    /// after it, changed or not (a hit is news even when its values repeat the last one's).
    /// Never blocks or allocates.
    pub fn store(&self, normalized: impl IntoIterator<Item = f32>, offset: u32) {
        for (slot, value) in self.values.iter().zip(normalized) {
            slot.store(value, Ordering::Relaxed);
        }
        self.fresh
            .store(offset.min(NOTHING_FRESH - 1), Ordering::Release);
    }

    /// The sample offset, within the block just processed, of the last hit that set the values
    /// since the last call, if any (audio thread, after the plugin's block).
    pub fn take_fresh(&self) -> Option<u32> {
        match self.fresh.swap(NOTHING_FRESH, Ordering::Acquire) {
            NOTHING_FRESH => None,
            offset => Some(offset),
        }
    }

    /// The latest normalized value of `slot` (NaN before the first [`Self::store`]).
    pub fn value(&self, slot: usize) -> f32 {
        self.values
            .get(slot)
            .map_or(f32::NAN, |v| v.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prepared_instance_goes_to_the_next_plugin_on_this_thread_only() {
        let prepared = HostOutputs::prepare();
        let elsewhere = std::thread::spawn(|| HostOutputs::claim().is_linked())
            .join()
            .unwrap();
        assert!(!elsewhere);
        let claimed = HostOutputs::claim();
        assert!(Arc::ptr_eq(&prepared, &claimed) && claimed.is_linked());
        // Taken once: the next plugin gets its own, unlinked.
        assert!(!HostOutputs::claim().is_linked());
        HostOutputs::prepare();
        HostOutputs::withdraw();
        assert!(!HostOutputs::claim().is_linked());
    }

    #[test]
    fn every_hit_is_fresh_once_even_with_the_same_values() {
        let outputs = HostOutputs::default();
        assert_eq!(outputs.take_fresh(), None);
        outputs.store([0.25, 0.5], 17);
        assert_eq!(outputs.take_fresh(), Some(17));
        assert_eq!(outputs.take_fresh(), None, "taken once");
        outputs.store([0.25, 0.5], 5);
        assert_eq!(outputs.take_fresh(), Some(5), "a hit, same values");
        outputs.store([0.25, 0.75], 9);
        outputs.store([0.5, 0.75], 30);
        assert_eq!(outputs.take_fresh(), Some(30), "the last hit of the block");
        assert_eq!(outputs.value(0), 0.5);
        assert_eq!(outputs.value(1), 0.75);
    }

    #[test]
    fn a_disarm_is_taken_once_and_only_when_linked_with_a_train_parameter() {
        use nice_plug::prelude::{IntParam, IntRange, Param};
        let train = IntParam::new("Train", 1, IntRange::Linear { min: 0, max: 16 });
        let unlinked = HostOutputs::default();
        unlinked.register_train(train.as_ptr());
        assert!(!unlinked.request_disarm(), "no export to do it");
        let linked = HostOutputs::prepare();
        HostOutputs::withdraw();
        linked.register_train(train.as_ptr());
        assert!(
            !linked.request_disarm(),
            "an export that only reports (VST3)"
        );
        let linked = HostOutputs::prepare();
        HostOutputs::withdraw();
        linked.set_applies_parameters();
        assert!(!linked.request_disarm(), "no Train parameter registered");
        linked.register_train(train.as_ptr());
        assert_eq!(linked.take_disarm(), None);
        assert!(linked.request_disarm());
        assert_eq!(linked.take_disarm(), Some(train.as_ptr()));
        assert_eq!(linked.take_disarm(), None, "taken once");
    }

    #[test]
    fn more_parameters_than_slots_are_refused() {
        use nice_plug::prelude::{FloatParam, FloatRange, Param};
        let params: Vec<FloatParam> = (0..MAX_OUTPUTS + 1)
            .map(|i| {
                FloatParam::new(
                    format!("p{i}"),
                    0.0,
                    FloatRange::Linear { min: 0.0, max: 1.0 },
                )
            })
            .collect();
        let outputs = HostOutputs::default();
        assert_eq!(
            outputs.register(params.iter().map(|p| p.as_ptr())),
            Err(RegisterError::TooMany {
                count: MAX_OUTPUTS + 1
            })
        );
        assert!(outputs
            .register(params[..2].iter().map(|p| p.as_ptr()))
            .is_ok());
        assert_eq!(outputs.params().len(), 2);
    }
}
