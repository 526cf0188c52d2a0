//! The project state: a trained instance saved and restored into a new one gives the same
//! outputs for the same audio at once (the model travels with the dataset, no retraining); an
//! old project's dataset still loads; a state this build cannot read leaves a working, empty
//! plugin that says so and saves that state back unchanged until the user starts over.

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
        .project()
        .problem
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
        fields["dataset"].starts_with(&format!(
            "\"timbrel-state:{}:",
            timbrel_learn::state::STATE_FORMAT_VERSION
        )),
        "compact, versioned state"
    );
    // Every hit recorded through `Train` keeps its descriptor under the synthetic hi-hat.
    let text: String = serde_json::from_str(&fields["dataset"]).unwrap();
    let saved = timbrel_learn::state::decode_str(&text).unwrap();
    assert_eq!(saved.dataset.examples.len(), 60);
    assert!(saved.dataset.examples.iter().all(|e| e
        .hat_descriptor
        .as_ref()
        .is_some_and(|h| h.len() == e.descriptor.len() && h != &e.descriptor)));

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
    assert_eq!(copy.dataset_counts(), vec![30, 30]);
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
    let counts = host.dataset_counts();
    assert!(
        counts.iter().sum::<usize>() > 0,
        "examples migrated: {counts:?}"
    );
    // No model was saved then: it retrains.
    wait_for_model(&mut host, 0, Duration::from_secs(30));
}

/// A state this build cannot read is kept: the plugin works with defaults, says so, saves the
/// state back byte for byte, and records no hits, until Start over.
#[test]
fn an_unreadable_state_is_kept_and_saved_back_until_start_over() {
    for (bad, newer) in [
        ("\"timbrel-state:2:1:1:AAAA\"", false),
        ("\"timbrel-state:9:1:1:\"", true),
        ("\"timbrel-state:2:7:1:AAAA\"", true),
        ("42", false),
        ("{\"classes\": 3,   \"z\": [1.50, 2e3]}", false),
        ("\"garbage\"", false),
    ] {
        let fields = BTreeMap::from([("dataset".to_owned(), bad.to_owned())]);
        let mut host = restored(&fields);
        let message = problem(&host).unwrap_or_else(|| panic!("{bad}: no message"));
        assert!(
            message.contains("kept unchanged; Start over to replace it"),
            "{bad}: {message}"
        );
        let why = if newer {
            "saved by a newer Timbrel"
        } else {
            "could not be read"
        };
        assert!(message.contains(why), "{bad}: {message}");
        assert_eq!(host.dataset_counts(), vec![0, 0], "{bad}: defaults");
        // Still a drum trigger; armed, it records nothing that could not be saved.
        host.set_param_plain("train", 1.0);
        let events = host.run(&mut [take(&snares(2, (0.0, 0.2), 5), 9)], &[512]);
        assert_eq!(events.iter().filter(|e| e.on).count(), 2, "{bad}");
        host.set_param_plain("train", 0.0);
        host.run(&mut [vec![0.0; 48_000]], &[512]);
        std::thread::sleep(Duration::from_millis(700));
        assert_eq!(
            host.dataset_counts(),
            vec![0, 0],
            "{bad}: recorded while kept"
        );
        // Saved back byte for byte, as often as the host asks.
        for _ in 0..2 {
            let saved = host.plugin.params().serialize_fields();
            assert_eq!(saved["dataset"], bad, "{bad}: not saved back unchanged");
        }
        // Start over: the defaults are saved from then on.
        host.plugin.timbrel_params().dataset.start_over();
        assert_eq!(problem(&host), None);
        let saved = host.plugin.params().serialize_fields();
        let today = format!(
            "\"timbrel-state:{}:",
            timbrel_learn::state::STATE_FORMAT_VERSION
        );
        assert!(saved["dataset"].starts_with(&today), "{bad}");
    }
}

/// A state whose model format this build does not read keeps its dataset, retrains, and says so.
#[test]
fn a_newer_model_format_keeps_the_dataset_and_retrains() {
    let mut host = TestHost::new(SR, 1, 512);
    train_center_and_edge(&mut host);
    let fields = host.plugin.params().serialize_fields();
    let counts = host.dataset_counts();
    let (f, m) = (
        timbrel_learn::state::STATE_FORMAT_VERSION,
        timbrel_learn::MODEL_FORMAT_VERSION,
    );
    let current = format!("timbrel-state:{f}:1:{m}:");
    let next = format!("timbrel-state:{f}:1:{}:", m + 1);
    let newer = fields["dataset"].replacen(&current, &next, 1);
    assert_ne!(newer, fields["dataset"]);
    let mut host = restored(&BTreeMap::from([("dataset".to_owned(), newer)]));
    let problem = problem(&host).expect("no message");
    assert!(problem.contains("retrained"), "{problem}");
    assert!(problem.contains("newer timbrel"), "{problem}");
    assert_eq!(host.dataset_counts(), counts);
    wait_for_model(&mut host, 0, Duration::from_secs(30));
    // Saved with this build's model format.
    let saved = host.plugin.params().serialize_fields();
    assert!(saved["dataset"].starts_with(&format!("\"{current}")));
}
