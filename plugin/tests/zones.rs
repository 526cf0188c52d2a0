//! Auto-zones as a user meets them: play freely with no class armed, ask for zones, name them
//! and keep them; the plugin then classifies new hits by the kept zones.

mod common;

use common::takes::{snares, take, wait_for_model, SR};
use common::TestHost;
use std::time::{Duration, Instant};
use timbrel::worker::{Command, ZoneRequest};
use timbrel::zones::{ZoneChoice, ZoneProposal};
use timbrel_learn::synthetic::Sound;
use timbrel_map::ClusterCount;

/// What each ground-truth kind is called when kept.
const NAMES: [&str; 3] = ["center", "edge", "cymbal"];

/// A free-play take: centre and edge snare hits and cymbal hits (bleed from the next mic) in a seeded random order,
/// with each slot's kind (0 centre, 1 edge, 2 cymbal).
fn free_play(per_kind: usize, seed: u64) -> (Vec<Sound>, Vec<usize>) {
    let mut kinds: Vec<(Sound, usize)> = snares(per_kind, (0.0, 0.15), seed)
        .into_iter()
        .map(|s| (s, 0))
        .chain(
            snares(per_kind, (0.8, 0.95), seed + 1)
                .into_iter()
                .map(|s| (s, 1)),
        )
        .chain(std::iter::repeat_n((Sound::Cymbal, 2), per_kind))
        .collect();
    fastrand::Rng::with_seed(seed + 2).shuffle(&mut kinds);
    kinds.into_iter().unzip()
}

/// The audio of `sounds` as [`take`] renders it, with each sound's start in seconds (a long
/// sound takes more than its slot).
fn take_with_starts(sounds: &[Sound], seed: u64) -> (Vec<f32>, Vec<f64>) {
    let (mut audio, mut starts) = (Vec::new(), Vec::new());
    for (i, sound) in sounds.iter().enumerate() {
        starts.push(audio.len() as f64 / SR as f64);
        audio.extend(take(&[*sound], seed + i as u64));
    }
    (audio, starts)
}

/// Plays `audio` in one-second pieces at about twenty times real time, as a session would
/// (the worker keeps up, so every hit keeps its snippet).
fn play(host: &mut TestHost, audio: Vec<f32>) {
    for piece in audio.chunks(SR as usize) {
        host.run(&mut [piece.to_vec()], &[512]);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes silence until `done` holds for the worker's state, at most 30 s.
fn wait_until(
    host: &mut TestHost,
    what: &str,
    done: impl Fn(&timbrel::worker::WorkerView) -> bool,
) {
    let started = Instant::now();
    loop {
        if done(&host.plugin.worker_view()) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        host.run(&mut [vec![0.0; 512]], &[512]);
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends `request` and waits for its outcome.
fn ask(host: &mut TestHost, request: ZoneRequest) -> Result<String, String> {
    // The worker carries the request out before it answers the flush.
    host.plugin.commands().send(Command::Zones(request));
    assert!(
        host.plugin.commands().flush(Duration::from_secs(30)),
        "timed out waiting for the zone request"
    );
    host.plugin.worker_view().zone_status.clone().unwrap()
}

/// Each zone's majority kind, and the share of hits in their zone's majority kind.
fn majority_and_purity(p: &ZoneProposal, truth: &[usize], starts: &[f64]) -> (Vec<usize>, f64) {
    let mut votes = vec![[0usize; 3]; p.zones.len()];
    for (&time, &zone) in p.times.iter().zip(&p.labels) {
        let slot = starts.partition_point(|&s| s <= time) - 1;
        votes[zone][truth[slot]] += 1;
    }
    let majority: Vec<usize> = votes
        .iter()
        .map(|v| (0..3).max_by_key(|&k| v[k]).unwrap())
        .collect();
    let agree: usize = votes.iter().map(|v| v.iter().max().unwrap()).sum();
    (majority, agree as f64 / p.labels.len() as f64)
}

#[test]
fn free_play_becomes_named_classes_that_classify_new_hits() {
    let mut host = TestHost::new(SR, 1, 512);
    let (sounds, truth) = free_play(20, 40);
    let (audio, starts) = take_with_starts(&sounds, 500);
    play(&mut host, audio);
    wait_until(&mut host, "the take", |s| s.take.hits == sounds.len());

    let outcome = ask(&mut host, ZoneRequest::Propose(ClusterCount::AUTO));
    let proposal = host.plugin.worker_view().zones.clone();
    let proposal = proposal.unwrap_or_else(|| panic!("no proposal: {outcome:?}"));
    eprintln!("{outcome:?}");
    assert_eq!(proposal.zones.len(), 3, "best split: {outcome:?}");
    let (majority, purity) = majority_and_purity(&proposal, &truth, &starts);
    eprintln!("zones {:?}, purity {purity:.3}", proposal.zones);
    assert!(purity >= 0.9, "purity {purity}");
    let mut kinds = majority.clone();
    kinds.sort();
    assert_eq!(kinds, vec![0, 1, 2], "each kind has its own zone");
    // Without a trained model the zones are placed on a map of the take itself.
    assert!(proposal
        .xy
        .iter()
        .all(|p| p[0].is_finite() && p[1].is_finite()));

    // Name each zone after what it holds ("center" and "edge" exist, "cymbal" is new).
    let choices: Vec<ZoneChoice> = majority
        .iter()
        .map(|&k| ZoneChoice::Keep(NAMES[k].to_owned()))
        .collect();
    let outcome = ask(
        &mut host,
        ZoneRequest::Keep {
            id: proposal.id,
            choices,
        },
    );
    eprintln!("{outcome:?}");
    assert!(
        outcome.as_ref().is_ok_and(|m| m.contains("cymbal")),
        "{outcome:?}"
    );
    wait_for_model(&mut host, 0, Duration::from_secs(60));
    {
        let state = host.plugin.worker_view();
        assert!(state.zones.is_none(), "the kept proposal is gone");
        assert_eq!(state.take.hits, 0, "kept hits left the take");
    }
    let data = host.dataset();
    let names: Vec<&str> = data.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, NAMES);
    let sizes: Vec<usize> = (0..3)
        .map(|k| {
            proposal
                .zones
                .iter()
                .zip(&majority)
                .filter(|(_, &m)| m == k)
                .map(|(z, _)| z.hits)
                .sum()
        })
        .collect();
    assert_eq!(data.counts(), sizes);
    let with_audio = data
        .examples
        .iter()
        .filter(|e| !e.snippet.is_empty())
        .count();
    assert_eq!(
        with_audio,
        data.examples.len(),
        "every kept hit has its snippet"
    );

    // New hits of each kind are classified as the zone they belong to.
    let (sounds, truth) = free_play(10, 90);
    play(&mut host, take(&sounds, 900));
    wait_until(&mut host, "the new hits", |s| s.take.hits == sounds.len());
    let log = host.hit_log();
    let new = &log[log.len() - sounds.len()..];
    assert_eq!(new.len(), sounds.len());
    let right = new
        .iter()
        .zip(&truth)
        .filter(|(h, &t)| h.prediction.and_then(|p| p.best) == Some(t as u8))
        .count();
    let accuracy = right as f64 / truth.len() as f64;
    eprintln!("accuracy on new hits: {accuracy:.3}");
    assert!(accuracy >= 0.9, "accuracy {accuracy}");
}

#[test]
fn training_hits_stay_out_of_the_take_and_bad_requests_say_why() {
    let mut host = TestHost::new(SR, 1, 512);
    host.set_param_normalized("train", 1.0 / 16.0);
    play(&mut host, take(&snares(8, (0.0, 0.15), 1), 100));
    host.set_param_normalized("train", 0.0);
    let before = host.plugin.worker_view().take.hits;
    assert_eq!(before, 0, "armed hits are training hits, not free play");

    let outcome = ask(&mut host, ZoneRequest::Propose(ClusterCount::AUTO));
    assert!(
        outcome.as_ref().is_err_and(|e| e.contains("at least 6")),
        "{outcome:?}"
    );
    play(&mut host, take(&snares(8, (0.0, 0.9), 2), 200));
    wait_until(&mut host, "the take", |s| s.take.hits == 8);
    let outcome = ask(&mut host, ZoneRequest::Propose(ClusterCount::Fixed(2)));
    assert!(outcome.is_ok(), "{outcome:?}");
    let id = host.plugin.worker_view().zones.as_ref().unwrap().id;
    // Choices for a proposal that is no longer shown are refused, and nothing changes.
    let data_before = host.dataset();
    let outcome = ask(
        &mut host,
        ZoneRequest::Keep {
            id: id + 1,
            choices: vec![ZoneChoice::Keep("x".into()); 2],
        },
    );
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(host.dataset(), data_before);
    assert!(ask(&mut host, ZoneRequest::Dismiss).is_ok());
    assert!(host.plugin.worker_view().zones.is_none());
    assert!(ask(&mut host, ZoneRequest::ClearTake).is_ok());
    assert_eq!(host.plugin.worker_view().take.hits, 0);
}
