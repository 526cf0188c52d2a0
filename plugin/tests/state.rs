//! The project state: a trained instance saved and restored into a new one gives the same
//! outputs for the same audio at once (the model travels with the dataset, no retraining); an
//! old project's dataset still loads; a corrupt state leaves a working, empty plugin that says so.

mod common;

use common::takes::{snares, take, train_center_and_edge, wait_for_model, SR};
use common::TestHost;
use nice_plug::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use timbrel::Timbrel;

fn restored(fields: &BTreeMap<String, String>) -> TestHost {
    let plugin = Timbrel::default();
    plugin.params().deserialize_fields(fields);
    TestHost::with_plugin(plugin, SR, 1, 512)
}

/// The problem the restored state reported, if any.
fn problem(host: &TestHost) -> Option<String> {
    host.plugin
        .timbrel_params()
        .dataset
        .problem
        .lock()
        .unwrap()
        .clone()
}

#[test]
fn a_restored_project_gives_identical_outputs_at_once() {
    let mut host = TestHost::new(SR, 1, 512);
    train_center_and_edge(&mut host);
    let started = Instant::now();
    let fields = host.plugin.params().serialize_fields();
    let save_ms = started.elapsed().as_secs_f64() * 1e3;
    let size = fields["dataset"].len();
    assert!(
        fields["dataset"].starts_with("\"timbrel-state:3:"),
        "compact, versioned state"
    );

    let sounds = [
        snares(4, (0.0, 0.1), 21),
        snares(4, (0.85, 0.95), 22),
        snares(4, (0.3, 0.6), 23),
    ]
    .concat();
    let audio = take(&sounds, 77);
    let before = host.run(&mut [audio.clone()], &[512]);

    let started = Instant::now();
    let mut copy = restored(&fields);
    // The model is installed by the worker, without retraining: wait only for the hand-over.
    wait_for_model(&mut copy, 0, Duration::from_secs(10));
    let restore_ms = started.elapsed().as_secs_f64() * 1e3;
    let after = copy.run(&mut [audio], &[512]);
    let shift = |events: &[common::SentEvent]| {
        let first = events.first().map_or(0, |e| e.sample);
        events
            .iter()
            .map(|e| (e.sample - first, e.on, e.cc, e.key, e.velocity.to_bits()))
            .collect::<Vec<_>>()
    };
    assert!(!before.is_empty());
    assert_eq!(
        shift(&before),
        shift(&after),
        "same notes, CCs and velocities after restoring"
    );
    assert_eq!(
        copy.plugin.timbrel_params().dataset.lock().counts(),
        vec![30, 30]
    );
    eprintln!("state: {size} bytes for 60 hits with snippets; save {save_ms:.1} ms, restore until the model plays {restore_ms:.1} ms");
}

#[test]
fn a_project_saved_by_the_first_release_still_loads() {
    let legacy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../learn/tests/fixtures/state-v1.json"
    ))
    .unwrap();
    // The first release stored the dataset as a JSON object in the field.
    let fields = BTreeMap::from([("dataset".to_owned(), legacy)]);
    let mut host = restored(&fields);
    assert_eq!(problem(&host), None);
    let counts = host.plugin.timbrel_params().dataset.lock().counts();
    assert!(
        counts.iter().sum::<usize>() > 0,
        "examples migrated: {counts:?}"
    );
    // No model was saved then: it retrains.
    wait_for_model(&mut host, 0, Duration::from_secs(30));
}

#[test]
fn a_corrupt_state_leaves_a_working_empty_plugin_that_says_so() {
    for bad in [
        "\"timbrel-state:2:1:1:AAAA\"",
        "\"timbrel-state:9:1:1:\"",
        "42",
        "{\"classes\": 3}",
        "\"garbage\"",
    ] {
        let fields = BTreeMap::from([("dataset".to_owned(), bad.to_owned())]);
        let mut host = restored(&fields);
        let problem = problem(&host);
        let problem = problem.unwrap_or_else(|| panic!("{bad}: no message"));
        assert!(problem.contains("could not be read"), "{bad}: {problem}");
        assert_eq!(
            host.plugin.timbrel_params().dataset.lock().counts(),
            vec![0, 0],
            "{bad}: defaults"
        );
        // Still a drum trigger.
        let events = host.run(&mut [take(&snares(2, (0.0, 0.2), 5), 9)], &[512]);
        assert_eq!(events.iter().filter(|e| e.on).count(), 2, "{bad}");
    }
}
