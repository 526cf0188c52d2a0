//! The train-count limit: the audio thread stops recording at the limit and retrains, with the
//! editor closed too (kept apart from `training.rs`, whose tests race the worker when run in
//! parallel with more load).

mod common;

use common::takes::{snares, take, SR};
use common::TestHost;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The train-count limit needs no open editor: the audio thread stops recording at the limit and
/// retrains, and, once an editor has given the plugin its host context (and was closed again,
/// so that no editor frame runs), `Train` returns to off by itself.
#[test]
fn the_train_count_limit_works_with_the_editor_closed() {
    for with_context in [false, true] {
        let mut host = TestHost::new(SR, 1, 512);
        if with_context {
            host.attach_gui();
        }
        host.set_param_plain("trainmax", 5.0);
        host.set_param_plain("train", 1.0);
        host.run(&mut [take(&snares(8, (0.0, 0.15), 5), 500)], &[512]);
        assert_eq!(host.plugin.meters().limit_stops.load(Ordering::Relaxed), 1);
        let train = host.param_normalized("train");
        if with_context {
            assert_eq!(train, 0.0, "Train returned to off by itself");
        } else {
            assert!(
                train > 0.0,
                "nothing can move a parameter without a host context"
            );
            assert_eq!(host.plugin.meters().armed_hits.load(Ordering::Relaxed), 5);
        }
        // Only the first five hits joined the class.
        let started = Instant::now();
        let counts = loop {
            let counts = host.dataset_counts();
            if counts != vec![0, 0] || started.elapsed() > Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(600));
                host.run(&mut [vec![0.0; 4800]], &[512]);
                break host.dataset_counts();
            }
            host.run(&mut [vec![0.0; 512]], &[512]);
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(counts, vec![5, 0], "context: {with_context}");
    }
}
