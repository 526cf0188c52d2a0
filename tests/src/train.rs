//! Training Timbrel as a host would, through automation of its `Train` parameter only: parameter
//! events in `process` arm class 1 ("center"), centre hits play, the parameter returns to 0, class
//! 2 ("edge") is armed for edge hits, and back to 0. The plugin's worker retrains in the
//! background and hands the model to the audio thread, which picks it up in a later block; the host
//! keeps processing (near real time, sleeping between blocks) until the model shows, which it does
//! by the position CC that only a trained plugin sends. The host plays the training at a pace the
//! worker can follow (twenty times real time) and pauses after each disarm, as a live session would;
//! see [`train_center_and_edge`].

use crate::clap::{Cc, Session};
use crate::drums::{hit_train, render, Hit, CENTER_MAX_RADIUS, EDGE_MAX_RADIUS, EDGE_MIN_RADIUS};
use std::time::{Duration, Instant};

/// Stable id of the parameter that arms a class (0 = off, k = class k).
pub const TRAIN_PARAM: &str = "train";
/// Note of class 1 ("center") after training, by default.
pub const CENTER_NOTE: i16 = 38;
/// Note of class 2 ("edge") after training, by default.
pub const EDGE_NOTE: i16 = 40;
/// The position controller, by default (CC16, 0 = class 1, 127 = class 2).
pub const POSITION_CC: u8 = 16;
/// Longest wall time the host waits for a trained model.
pub const MODEL_TIMEOUT: Duration = Duration::from_secs(60);
/// Time between training hits, in seconds (the synthetic snare rings for 0.5 s).
const TRAIN_SPACING_S: f64 = 0.5;
/// Host block size while training, in samples.
const TRAIN_BLOCK: usize = 512;
/// How many times faster than real time the host plays the training hits.
const TRAIN_PACE: f64 = 20.0;
/// Wall time of silence, played in real time, after each class is disarmed.
const SETTLE: Duration = Duration::from_millis(200);
/// Wall time the host sleeps between blocks while it waits for the model.
const WAIT_SLEEP: Duration = Duration::from_millis(2);

/// What a training did.
#[derive(Debug, Clone)]
pub struct Training {
    /// The hits recorded into class 1 (absolute onsets).
    pub center: Vec<Hit>,
    /// The hits recorded into class 2 (absolute onsets).
    pub edge: Vec<Hit>,
    /// Wall time from disarming the last class to the first block with the new model's output.
    pub model_wait: Duration,
    /// Probe hits played while waiting (each followed by silence).
    pub probes: usize,
    /// Session position after training: everything from here on comes from the trained plugin.
    pub end: u64,
}

/// Trains the plugin in `session` on `per_class` centre hits (radius ≤ 0.15) and `per_class`
/// edge hits (radius 0.8..0.95), velocities 0.2..1, seeded; returns once the model is in use.
/// Panics if no model arrives within [`MODEL_TIMEOUT`].
pub fn train_center_and_edge(session: &mut Session, per_class: usize, seed: u64) -> Training {
    let sample_rate = session.sample_rate();
    let spacing = (TRAIN_SPACING_S * sample_rate) as u64;
    let block = TRAIN_BLOCK.min(session.max_block());
    let record = |session: &mut Session, class: u8, radius: (f32, f32), seed: u64| {
        // The class is armed at the start of a silent block (see `record_take`).
        let start = session.position() + block as u64;
        let hits = hit_train(
            start + spacing / 4,
            spacing,
            per_class,
            radius,
            (0.2, 1.0),
            seed,
        );
        let len = (per_class as u64 * spacing + spacing / 4) as usize;
        record_take(session, class, &track_at(start, &hits, len, sample_rate));
        hits
    };
    let center = record(session, 1, (0.0, CENTER_MAX_RADIUS), seed);
    let edge = record(
        session,
        2,
        (EDGE_MIN_RADIUS, EDGE_MAX_RADIUS),
        seed ^ 0x5eed,
    );
    let (model_wait, probes) = wait_for_model(session);
    Training {
        center,
        edge,
        model_wait,
        probes,
        end: session.position(),
    }
}

/// Records `take` into class `class` (1-based) through the `Train` parameter, as a host would:
/// arms the class at the start of a silent block, plays the take at `TRAIN_PACE` times real
/// time (the worker drains the plugin's rings every few milliseconds, so its audio ring, about
/// 6 s, does not overflow and every training hit keeps its snippet), disarms, and plays
/// `SETTLE` of silence in real time. The take should end after its last hit has rung out, so
/// that every hit's result (onset + window) is ready while the class is armed.
pub fn record_take(session: &mut Session, class: u8, take: &[f32]) {
    let sample_rate = session.sample_rate();
    let block = TRAIN_BLOCK.min(session.max_block());
    let pause = Duration::from_secs_f64(block as f64 / sample_rate / TRAIN_PACE);
    let paced = || {
        std::thread::sleep(pause);
        block
    };
    session.silence(block, block);
    session.play(take, paced, &[(0, TRAIN_PARAM, f64::from(class))]);
    let silence = vec![&[0.0f32; 1][..]; session.channels()];
    session.process(&silence, &[(0, TRAIN_PARAM, 0.0)]);
    // Silence, in real time, before the next class is armed, as after a click in a DAW: the
    // worker files this class's hits and tries to train (which needs both classes) before any
    // hit of the next class arrives. Without the pause, a worker that drained this disarm
    // together with some of the next class's hits could train on those (the plugin retrains on
    // every disarm) and use that intermediate model until the final one; not observed here, but
    // nothing prevents it.
    let settled = Instant::now();
    while settled.elapsed() < SETTLE {
        session.silence(block, block);
        std::thread::sleep(Duration::from_secs_f64(block as f64 / sample_rate));
    }
}

/// Waits, near real time, for the model the last disarm trains: plays probe hits (the membrane
/// synthesizer's snare, between centre and edge) with silence after each until the plugin sends
/// a position CC (which only a trained plugin does). Returns the wall time it took and the number
/// of probes. Panics after [`MODEL_TIMEOUT`].
pub fn wait_for_model(session: &mut Session) -> (Duration, usize) {
    let sample_rate = session.sample_rate();
    let period = (TRAIN_SPACING_S * sample_rate) as usize;
    wait_for_model_probing(session, |probes| {
        let probe = Hit {
            onset: 64,
            radius: 0.5,
            velocity: 0.7,
            seed: 77 + probes as u64,
        };
        track_at(0, &[probe], period, sample_rate)
    })
}

/// As [`wait_for_model`], with the probe audio `probe(k)` for the `k`-th probe (a hit the model
/// will know, followed by silence: for a model trained on other sounds than the synthesizer's).
pub fn wait_for_model_probing(
    session: &mut Session,
    probe: impl Fn(usize) -> Vec<f32>,
) -> (Duration, usize) {
    let block = TRAIN_BLOCK.min(session.max_block());
    let disarmed = Instant::now();
    let mut probes = 0;
    loop {
        let ccs_before = session.output().ccs.len();
        session.play(
            &probe(probes),
            || {
                std::thread::sleep(WAIT_SLEEP);
                block
            },
            &[],
        );
        probes += 1;
        session.pump_main_thread();
        if session.output().ccs[ccs_before..]
            .iter()
            .any(|c| c.controller == POSITION_CC)
        {
            return (disarmed.elapsed(), probes);
        }
        assert!(
            disarmed.elapsed() < MODEL_TIMEOUT,
            "no trained model after {:?} ({probes} probe hits): the plugin sent no position CC",
            disarmed.elapsed()
        );
    }
}

/// Plays `hits` (absolute onsets at or after the session's position) in `len` samples of audio,
/// in blocks of `block` samples; `param_events` go into the first block.
pub fn play_hits(
    session: &mut Session,
    hits: &[Hit],
    len: usize,
    block: usize,
    param_events: &[(u32, &str, f64)],
) {
    let track = track_at(session.position(), hits, len, session.sample_rate());
    session.play(&track, || block, param_events);
}

/// As [`play_hits`], with block sizes from `next_block`.
pub fn play_hits_with(
    session: &mut Session,
    hits: &[Hit],
    len: usize,
    next_block: impl FnMut() -> usize,
) {
    let track = track_at(session.position(), hits, len, session.sample_rate());
    session.play(&track, next_block, &[]);
}

/// Renders hits with absolute onsets into a track that starts at absolute sample `start`.
pub fn track_at(start: u64, hits: &[Hit], len: usize, sample_rate: f64) -> Vec<f32> {
    let relative: Vec<Hit> = hits
        .iter()
        .map(|h| {
            assert!(
                h.onset >= start,
                "hit at {} before the track start {start}",
                h.onset
            );
            Hit {
                onset: h.onset - start,
                ..*h
            }
        })
        .collect();
    render(&relative, len, sample_rate as f32)
}

/// What a trained instance sent while playing a performance (see [`play_performance`]): samples
/// count from the performance's first sample.
#[derive(Debug, Clone, Default)]
pub struct Played {
    /// Note-ons: (sample, key).
    pub note_ons: Vec<(u64, i16)>,
    /// Control changes.
    pub ccs: Vec<Cc>,
}

/// Plays `audio` through `session` in blocks of `block` samples with unknown hits sending
/// `unknown_note` (so that a hit the model rejected is told from one the detector missed), then
/// silence until every result is out, and finishes the session; returns what it sent from the
/// performance's start on.
pub fn play_performance(
    mut session: Session,
    audio: &[f32],
    block: usize,
    unknown_note: i16,
) -> Played {
    let start = session.position();
    let (notes_before, ccs_before) = (session.output().notes.len(), session.output().ccs.len());
    session.play(
        audio,
        || block,
        // nice-plug's CLAP values of an integer parameter count steps from its minimum (-1).
        &[(0, "unknote", f64::from(unknown_note + 1))],
    );
    session.silence(block * 8, block);
    let run = session.finish();
    Played {
        note_ons: run.notes[notes_before..]
            .iter()
            .filter(|n| n.on)
            .map(|n| (n.sample - start, n.key))
            .collect(),
        ccs: run.ccs[ccs_before..]
            .iter()
            .map(|c| Cc {
                sample: c.sample - start,
                ..*c
            })
            .collect(),
    }
}
