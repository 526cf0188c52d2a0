//! Takes of synthetic hits and training through the `Train` parameter, shared by the tests.

use super::TestHost;
use std::time::{Duration, Instant};
use timbrel::worker::TrainStatus;
use timbrel_learn::synthetic::{render, Sound, SynthSpec};

/// Sample rate of the takes, in Hz.
pub const SR: f32 = 48_000.0;

/// Length of a sound's slot in a take, in seconds.
const SLOT_S: f32 = 0.3;

/// How the takes' sounds are rendered.
fn spec() -> SynthSpec {
    // NOTE: no bleed here, so that hits can be counted one to one; the learning crate's own
    // tests cover bleed.
    SynthSpec {
        sample_rate: SR,
        bleed_probability: 0.0,
        ..SynthSpec::default()
    }
}

/// A take of `sounds`, each in its own slot of 0.3 s.
pub fn take(sounds: &[Sound], seed: u64) -> Vec<f32> {
    let spec = spec();
    let mut out = Vec::new();
    for (i, sound) in sounds.iter().enumerate() {
        let (audio, _, _) = render(*sound, &spec, seed + i as u64);
        let slot = (SLOT_S * SR) as usize;
        let mut piece = audio;
        piece.resize(slot.max(piece.len()), 0.0);
        out.extend(piece);
    }
    out
}

/// `pairs` centre strokes of the drum, each struck again 50 ms later as loud (0.3 s per pair).
pub fn doubled_strokes(pairs: usize, seed: u64) -> Vec<f32> {
    let spec = spec();
    let slot = (SLOT_S * SR) as usize;
    let gap = (0.05 * SR) as usize;
    let mut out = vec![0.0f32; pairs * slot + slot];
    for (i, sound) in snares(pairs, (0.0, 0.1), seed).into_iter().enumerate() {
        let (audio, _, _) = render(sound, &spec, seed + i as u64);
        for start in [i * slot, i * slot + gap] {
            for (o, a) in out[start..].iter_mut().zip(&audio) {
                *o += a;
            }
        }
    }
    out
}

/// `count` snare hits with radius uniform in `radius` and velocity 0.2..1, seeded.
pub fn snares(count: usize, radius: (f32, f32), seed: u64) -> Vec<Sound> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count)
        .map(|_| Sound::Snare {
            radius: radius.0 + (radius.1 - radius.0) * rng.f32(),
            velocity: 0.2 + 0.8 * rng.f32(),
        })
        .collect()
}

/// Processes silence until the worker reports a new model (or fails), at most `limit`.
pub fn wait_for_model(host: &mut TestHost, models_before: u64, limit: Duration) -> TrainStatus {
    let started = Instant::now();
    loop {
        let trained = host
            .plugin
            .meters()
            .models_trained
            .load(std::sync::atomic::Ordering::Relaxed);
        let status = host.plugin.worker_view().status.clone();
        if trained > models_before
            && host
                .plugin
                .meters()
                .model_loaded
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            return status;
        }
        // NOTE: a failure can be stale (disarming the first class alone cannot train); the
        // timeout below reports the last status.
        assert!(
            started.elapsed() < limit,
            "no model after {limit:?}: {status:?}"
        );
        host.run(&mut [vec![0.0; 512]], &[512]);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (playing silence) until the worker has filed every hit, as `filed` judges from the
/// published per-class counts, then has it retrain on them (an empty dataset edit) and waits for
/// that model; returns its status. Under load the worker may retrain on a disarm while the next
/// class's hits are still arriving, so the first model can be an intermediate one. Panics
/// after `limit`.
pub fn wait_for_model_on_all(
    host: &mut TestHost,
    filed: impl Fn(&[usize]) -> bool,
    limit: Duration,
) -> TrainStatus {
    let started = Instant::now();
    while !filed(&host.dataset_counts()) {
        assert!(
            started.elapsed() < limit,
            "hits not filed after {limit:?}: counts {:?}",
            host.dataset_counts()
        );
        host.run(&mut [vec![0.0; 512]], &[512]);
        std::thread::sleep(Duration::from_millis(10));
    }
    // A training that started before the last hit was filed must not pass for the new one.
    while matches!(host.plugin.worker_view().status, TrainStatus::Training) {
        assert!(started.elapsed() < limit, "still training after {limit:?}");
        host.run(&mut [vec![0.0; 512]], &[512]);
        std::thread::sleep(Duration::from_millis(10));
    }
    let models = host
        .plugin
        .meters()
        .models_trained
        .load(std::sync::atomic::Ordering::Relaxed);
    let retrain = timbrel::worker::Command::Edit(Box::new(|_| Ok(String::new())));
    assert!(host.plugin.commands().send_and_wait(retrain));
    wait_for_model(host, models, limit)
}

/// Trains `host` through its `Train` parameter on 30 centre hits (class 1) and 30 edge hits
/// (class 2), and waits until all 60 are filed and the model trained on them has reached the
/// audio thread (a test may save the state right after).
pub fn train_center_and_edge(host: &mut TestHost) {
    host.set_param_normalized("train", 1.0 / 16.0);
    host.run(&mut [take(&snares(30, (0.0, 0.15), 1), 100)], &[512]);
    host.set_param_normalized("train", 0.0);
    host.run(&mut [vec![0.0; 4800]], &[512]);
    host.set_param_normalized("train", 2.0 / 16.0);
    host.run(&mut [take(&snares(30, (0.8, 0.95), 2), 200)], &[512]);
    host.set_param_normalized("train", 0.0);
    wait_for_model_on_all(
        host,
        |counts| counts.len() >= 2 && counts[0] >= 30 && counts[1] >= 30,
        Duration::from_secs(60),
    );
}
