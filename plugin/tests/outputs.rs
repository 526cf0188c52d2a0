//! The continuous outputs: the auxiliary control output (sample-accurate, held, gliding), the
//! position range and curve, and the output parameters that follow the hits once a GUI context
//! exists.

mod common;

use common::takes::{snares, take, train_center_and_edge, SR};
use common::TestHost;
use std::time::Duration;
use timbrel::worker::HitSummary;

/// Runs a take of centre, edge and in-between hits and returns the plugin's log of them.
fn play(host: &mut TestHost, blocks: &[usize], seed: u64) -> Vec<HitSummary> {
    host.clear_hit_log();
    let sounds: Vec<_> = [
        snares(3, (0.0, 0.1), seed),
        snares(3, (0.85, 0.95), seed + 1),
        snares(3, (0.4, 0.6), seed + 2),
    ]
    .concat();
    host.run(&mut [take(&sounds, seed * 10)], blocks);
    std::thread::sleep(Duration::from_millis(300));
    host.run(&mut [vec![0.0; 512]], &[512]);
    std::thread::sleep(Duration::from_millis(100));
    let log = host.hit_log();
    assert_eq!(log.len(), sounds.len());
    log
}

#[test]
#[allow(clippy::needless_range_loop)] // five channels compared sample by sample
fn control_output_holds_each_hit_from_its_ready_sample_whatever_the_block_size() {
    let mut host = TestHost::with_control_output(SR, 1, 4096);
    train_center_and_edge(&mut host);
    // Speed follows each interval at once, so that from a run's second hit on it does not
    // depend on what came before the run.
    host.set_param_plain("spdtc", 0.0);
    let mut runs = Vec::new();
    for blocks in [&[4096][..], &[1, 7, 333, 64, 1024]] {
        host.control.iter_mut().for_each(Vec::clear);
        let start = host.control_position();
        let log = play(&mut host, blocks, 7);
        let control = host.control.clone();
        assert!(
            control.iter().flatten().all(|x| x.is_finite()),
            "every sample is written"
        );
        for (k, hit) in log.iter().enumerate() {
            let p = hit.prediction.expect("trained");
            assert!(p.best.is_some(), "snare hits are known");
            let from = (hit.ready_sample - start) as usize;
            let to = log
                .get(k + 1)
                .map_or(from + 100, |next| (next.ready_sample - start) as usize);
            if k > 0 {
                let before = log[k - 1].prediction.unwrap();
                assert_eq!(
                    control[0][from - 1],
                    before.interpolation,
                    "hit {k}: the previous hit holds until its ready sample"
                );
            }
            for i in from..to {
                assert_eq!(
                    control[0][i], p.interpolation,
                    "hit {k}: position held at sample {i}"
                );
                assert_eq!(control[1][i], p.confidence, "hit {k}: confidence");
                assert_eq!(control[2][i], p.probabilities[0], "hit {k}: P(center)");
                assert_eq!(control[3][i], p.probabilities[1], "hit {k}: P(edge)");
                let speed = hit.speed.expect("not an ignore class").value;
                assert_eq!(control[4][i], speed, "hit {k}: speed");
            }
        }
        let first = (log[1].ready_sample - start) as usize;
        runs.push(
            control
                .iter()
                .map(|c| c[first..].to_vec())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        runs[0], runs[1],
        "identical control signals for one big block and odd small blocks"
    );
}

#[test]
fn glide_and_range_shape_the_continuous_outputs_and_the_position_cc() {
    let mut host = TestHost::with_control_output(SR, 1, 512);
    train_center_and_edge(&mut host);
    // Glide 10 ms; position range 0.2..0.6 with a square curve.
    host.set_param_plain("glide", 10.0);
    host.set_param_plain("pmin", 0.2);
    host.set_param_plain("pmax", 0.6);
    host.set_param_plain("pcurve", 2.0);
    host.control.iter_mut().for_each(Vec::clear);
    let start = host.control_position();
    host.clear_hit_log();
    let audio = take(
        &[snares(1, (0.0, 0.05), 11), snares(1, (0.9, 0.95), 12)].concat(),
        5,
    );
    let events = host.run(&mut [audio], &[512]);
    std::thread::sleep(Duration::from_millis(300));
    let log = host.hit_log();
    assert_eq!(log.len(), 2);
    let glide = (0.010 * SR) as usize;
    for hit in &log {
        let p = hit.prediction.unwrap();
        let mapped = 0.2 + 0.4 * p.interpolation.clamp(0.0, 1.0).powi(2);
        let cc = events
            .iter()
            .find(|e| e.cc && e.key == 16 && e.sample == hit.ready_sample)
            .expect("position CC");
        assert!(
            (cc.velocity - mapped).abs() < 1e-5,
            "CC16 {} carries the mapped position {mapped}",
            cc.velocity
        );
        let from = (hit.ready_sample - start) as usize;
        let c = &host.control[0];
        assert!(
            (c[from + glide - 1] - mapped).abs() < 1e-5,
            "reached after the glide time"
        );
        let before = c[from - 1];
        let half = c[from + glide / 2 - 1];
        assert!(
            (half - (before + mapped) / 2.0).abs() < 0.01,
            "half way after half the glide: {before} -> {half} -> {mapped}"
        );
    }
}

#[test]
fn output_parameters_follow_the_hits_once_a_gui_context_exists() {
    let mut host = TestHost::new(SR, 1, 512);
    train_center_and_edge(&mut host);
    // Without an editor ever opened, nothing can reach the host: no tasks are posted.
    let log = play(&mut host, &[512], 3);
    assert_eq!(host.gui_tasks, 0);
    assert_eq!(host.param_normalized("opos"), 0.0);

    let gui = host.attach_gui();
    let log_with_gui = play(&mut host, &[512], 4);
    assert!(host.gui_tasks > 0);
    assert!(
        host.gui_tasks as usize <= log_with_gui.len() + 2,
        "at most one task per hit when values hold"
    );
    let last = log_with_gui.last().unwrap();
    let p = last.prediction.unwrap();
    assert!((host.param_normalized("opos") - p.interpolation).abs() < 1e-4);
    assert!((host.param_normalized("oconf") - p.confidence).abs() < 1e-4);
    assert!((host.param_normalized("oprob1") - p.probabilities[0]).abs() < 1e-4);
    assert!((host.param_normalized("oprob2") - p.probabilities[1]).abs() < 1e-4);
    assert_eq!(host.param_normalized("oprob3"), 0.0);
    let class_name = ["center", "edge"][p.best.unwrap() as usize];
    assert_eq!(host.param_text("oclass"), class_name);
    assert!(host.param_text("olevel").contains("dBFS"));
    let changes = gui.changes.lock().unwrap().len();
    assert!(
        changes >= log_with_gui.len(),
        "{changes} parameter changes for {} hits",
        log_with_gui.len()
    );
    drop(log);
}

#[test]
fn speed_follows_the_hit_rate_and_goes_out_as_a_cc_only_when_asked() {
    let mut host = TestHost::new(SR, 1, 512);
    train_center_and_edge(&mut host);
    // Follow each interval at once, over 0..20 hits per second.
    host.set_param_plain("spdtc", 0.0);
    host.set_param_plain("spdhi", 20.0);
    let audio = take(&snares(6, (0.0, 1.0), 21), 3);
    let events = host.run(&mut [audio.clone()], &[512]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !events.iter().any(|e| e.cc && e.key != 16),
        "the speed CC is off by default"
    );
    host.set_param_plain("spdcc", 20.0);
    host.clear_hit_log();
    let events = host.run(&mut [audio], &[512]);
    std::thread::sleep(Duration::from_millis(300));
    let log = host.hit_log();
    assert_eq!(log.len(), 6);
    for pair in log.windows(2) {
        let interval_s = pair[1].onset_s - pair[0].onset_s;
        let speed = pair[1].speed.expect("a snare hit counts");
        let expected = (1.0 / interval_s) as f32;
        assert!(
            (speed.rate_hz - expected).abs() < 1e-3 * expected,
            "{} hits/s after an interval of {interval_s} s",
            speed.rate_hz
        );
        assert!((speed.value - (expected / 20.0).min(1.0)).abs() < 1e-3);
        let cc = events
            .iter()
            .find(|e| e.cc && e.key == 20 && e.sample == pair[1].ready_sample)
            .expect("a speed CC at the hit's ready sample");
        assert!((cc.velocity - speed.value).abs() < 1e-6);
    }
}
