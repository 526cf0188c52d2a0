//! Lock-free hand-over of trained models to the audio thread.
//!
//! The worker sends a boxed model through one SPSC ring; the audio thread takes it at the start of
//! a block and sends the model it replaces back through a second ring, so that the old model is
//! freed on the worker, never on the audio thread (the pattern of fundsp's `realnet`).

use rtrb::{Consumer, Producer, RingBuffer};

/// Models that can wait for the audio thread at once.
const IN_FLIGHT: usize = 4;

/// The worker's end: sends new models and frees the ones the audio thread gave back.
pub struct ModelSender<M> {
    to_audio: Producer<Box<M>>,
    returned: Consumer<Box<M>>,
}

/// The audio thread's end: holds the current model.
pub struct ModelReceiver<M> {
    from_worker: Consumer<Box<M>>,
    to_worker: Producer<Box<M>>,
    current: Option<Box<M>>,
    /// Models that could not be returned (never expected); kept alive rather than freed here.
    leaked: usize,
}

/// Creates a connected sender and receiver.
pub fn model_channel<M>() -> (ModelSender<M>, ModelReceiver<M>) {
    let (to_audio, from_worker) = RingBuffer::new(IN_FLIGHT);
    // Every model in flight plus the current one can come back before the worker collects.
    let (to_worker, returned) = RingBuffer::new(IN_FLIGHT + 2);
    (
        ModelSender { to_audio, returned },
        ModelReceiver {
            from_worker,
            to_worker,
            current: None,
            leaked: 0,
        },
    )
}

impl<M> ModelSender<M> {
    /// Frees the models the audio thread has given back. Call it on the worker thread.
    pub fn collect_garbage(&mut self) -> usize {
        let mut freed = 0;
        while let Ok(old) = self.returned.pop() {
            drop(old);
            freed += 1;
        }
        freed
    }

    /// Sends `model` to the audio thread, or gives it back when too many are waiting.
    pub fn send(&mut self, model: Box<M>) -> Result<(), Box<M>> {
        self.collect_garbage();
        self.to_audio
            .push(model)
            .map_err(|rtrb::PushError::Full(m)| m)
    }
}

impl<M> ModelReceiver<M> {
    /// Takes the newest model the worker sent, returning every replaced one. Never allocates or
    /// frees. Call it at the start of a block.
    pub fn update(&mut self) -> bool {
        let mut changed = false;
        while let Ok(new) = self.from_worker.pop() {
            changed = true;
            if let Some(old) = self.current.replace(new) {
                if let Err(rtrb::PushError::Full(old)) = self.to_worker.push(old) {
                    // Unreachable with the sizes above; leaking beats freeing on this thread.
                    std::mem::forget(old);
                    self.leaked += 1;
                }
            }
        }
        changed
    }

    /// The model in use, if any.
    pub fn current(&self) -> Option<&M> {
        self.current.as_deref()
    }

    /// Models that could not be handed back (should stay 0).
    pub fn leaked(&self) -> usize {
        self.leaked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Counted(Arc<AtomicUsize>, u32);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn replaced_models_are_freed_by_the_sender() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = model_channel::<Counted>();
        for round in 0..10 {
            tx.send(Box::new(Counted(drops.clone(), round)))
                .ok()
                .unwrap();
            assert!(rx.update());
            assert_eq!(rx.current().unwrap().1, round);
            // The audio side never drops: every replaced model is still alive until collected.
            assert_eq!(
                drops.load(Ordering::SeqCst),
                round.saturating_sub(1) as usize
            );
        }
        assert_eq!(tx.collect_garbage(), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 9);
        assert_eq!(rx.leaked(), 0);
    }

    #[test]
    fn a_burst_of_models_keeps_only_the_newest() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = model_channel::<Counted>();
        for round in 0..IN_FLIGHT as u32 {
            assert!(tx.send(Box::new(Counted(drops.clone(), round))).is_ok());
        }
        assert!(
            tx.send(Box::new(Counted(drops.clone(), 99))).is_err(),
            "ring full: model handed back"
        );
        rx.update();
        assert_eq!(rx.current().unwrap().1, IN_FLIGHT as u32 - 1);
        assert_eq!(tx.collect_garbage(), IN_FLIGHT - 1);
        assert_eq!(rx.leaked(), 0);
    }
}
