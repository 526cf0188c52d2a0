//! Which hits the analyzer moves to a second source's attack (`timbrel_core::analysis::anchor`),
//! and how close the hit's onset then is to the drum's.
//!
//! `cargo run --release -p timbrel-host-tests --example anchor_report -- [HITS [LONE]]`
//!
//! - **Lone strokes, which must not move**: every layer of every piece of the seven
//!   `ONESHOT_KITS`, dry (`dry_strokes`), at 44.1 and 48 kHz; and LONE (default 4 x HITS)
//!   membrane-synthesizer hits (radius 0..0.99, velocity 0.05..1) dry and in seeded rooms.
//!   Printed: hits, hits moved, and the moves (samples) of those that moved.
//! - **A membrane hit with a real hi-hat stroke before or after it** (the five groove kits'
//!   closed hats, 10..20 dB under a full hit, in a seeded room), in 0.5 ms steps of the hat's
//!   lead: the share of hits moved, and the median and 90th percentile of |hit onset - membrane
//!   onset| in ms (the `Hit`'s `onset_sample`; the detection's own is in brackets).
use rayon::prelude::*;
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord};
use timbrel_host_tests::kit::hydrogen::{Category, Group, Kit};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS, ONESHOT_KITS};
use timbrel_host_tests::kit::oneshots::dry_strokes;
use timbrel_host_tests::kit::render::{path_of, render, Mix, Stroke, PATHS};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::truth::Tags;
use timbrel_host_tests::signal::Rng;

/// Render rate of the membrane material, in Hz.
const SAMPLE_RATE: f32 = 44_100.0;
/// A hit belongs to a stroke if its detection is within this many samples of the onset.
const MATCH: u64 = 441;

/// Every hit the analyzer reports on `audio`, fed in seeded random block sizes.
fn hits(audio: &[f32], sample_rate: f32, seed: u64) -> Vec<HitRecord> {
    let mut analyzer = Analyzer::new(sample_rate, AnalysisSettings::default());
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut rest = audio;
    while !rest.is_empty() {
        let n = (2f32.powf(rng.range(0.0, 11.0)) as usize).clamp(1, rest.len());
        analyzer.process(&rest[..n], |e| {
            if let AnalyzerEvent::Hit(h) = e {
                out.push(*h);
            }
        });
        rest = &rest[n..];
    }
    analyzer.process(&vec![0.0; 16_384], |e| {
        if let AnalyzerEvent::Hit(h) = e {
            out.push(*h);
        }
    });
    out
}

fn membrane(onset: u64, radius: f32, velocity: f32, seed: u64) -> Stroke {
    Stroke::membrane(onset, radius, velocity, SAMPLE_RATE, seed)
}

fn hat(kit: &Kit, onset: u64, rng: &mut Rng) -> Stroke {
    let hats: Vec<_> = kit.of(Category::HiHatClosed).collect();
    let index = (rng.next_u64() % hats.len() as u64) as usize;
    let velocity = rng.range(0.5, 1.0);
    let level_db = rng.range(-20.0, -10.0);
    let path = path_of(Category::HiHatClosed, false, index);
    Stroke::of_layer(
        hats[index],
        velocity,
        onset,
        level_db,
        false,
        Tags::NONE,
        path,
    )
}

fn snare(kit: &Kit, onset: u64, rng: &mut Rng) -> Stroke {
    let snares: Vec<_> = kit.of(Category::Snare).collect();
    let index = (rng.next_u64() % snares.len() as u64) as usize;
    let velocity = rng.range(0.5, 1.0);
    Stroke::of_layer(snares[index], velocity, onset, 0.0, true, Tags::NONE, 0)
}

fn mix(strokes: &[Stroke], room: Room, seed: u64) -> Mix {
    let last = strokes.iter().map(|s| s.event.onset).max().unwrap_or(0);
    Mix {
        name: "anchor".to_owned(),
        len: last as usize + SAMPLE_RATE as usize / 2,
        sample_rate: SAMPLE_RATE,
        room,
        reference_dbfs: -12.0,
        noise_dbfs: -70.0,
        seed,
    }
}

/// (hits, moves in samples of those moved).
fn moves(found: &[HitRecord]) -> (usize, Vec<u64>) {
    let moved = found
        .iter()
        .filter(|h| h.onset_sample != h.detected_onset_sample)
        .map(|h| h.onset_sample - h.detected_onset_sample)
        .collect();
    (found.len(), moved)
}

fn describe(name: &str, hits: usize, moved: &[u64]) {
    let mut m = moved.to_vec();
    m.sort_unstable();
    println!(
        "| {name} | {hits} | {} | {} |",
        m.len(),
        if m.is_empty() {
            "-".to_owned()
        } else {
            format!("{}..{} (median {})", m[0], m[m.len() - 1], m[m.len() / 2])
        }
    );
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    if drumkits_or_skip("anchor_report").is_none() {
        return;
    }
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let lone: u64 = std::env::args()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(4 * count);

    println!("| lone strokes | hits | moved | moves (samples) |");
    println!("|---|---|---|---|");
    for rate in [44_100.0f32, 48_000.0] {
        let kits = kits(&ONESHOT_KITS, rate).expect("kits load");
        let groups = [
            Group::Snare,
            Group::Tom,
            Group::Hat,
            Group::Cymbal,
            Group::Kick,
        ];
        for g in groups {
            eprintln!("LABEL dry-{}", g.name());
            let strokes: Vec<_> = kits.iter().flat_map(|k| dry_strokes(k, &[g])).collect();
            let r: Vec<(usize, Vec<u64>)> = strokes
                .par_iter()
                .enumerate()
                .map(|(k, s)| moves(&hits(&s.take.audio, rate, k as u64)))
                .collect();
            let n = r.iter().map(|x| x.0).sum();
            let m: Vec<u64> = r.into_iter().flat_map(|x| x.1).collect();
            describe(
                &format!("dry {} strokes, 7 kits, {} kHz", g.name(), rate / 1000.0),
                n,
                &m,
            );
        }
    }
    for (name, roomy) in [
        ("membrane hits, dry", false),
        ("membrane hits, rooms", true),
    ] {
        eprintln!("LABEL {name}");
        let r: Vec<(usize, Vec<u64>)> = (0..lone)
            .into_par_iter()
            .map(|i| {
                let mut rng = Rng::new(0xa4c0 + i);
                let onset = 2_000 + (rng.next_u64() % 2_000);
                let s = membrane(
                    onset,
                    rng.range(0.0, 0.99),
                    rng.range(0.05, 1.0),
                    rng.next_u64(),
                );
                let room = if roomy {
                    Room::random(PATHS, SAMPLE_RATE, i)
                } else {
                    Room::dry(SAMPLE_RATE)
                };
                let take = render(mix(std::slice::from_ref(&s), room, i), &[s]);
                moves(&hits(&take.audio, SAMPLE_RATE, i))
            })
            .collect();
        let n = r.iter().map(|x| x.0).sum();
        let m: Vec<u64> = r.into_iter().flat_map(|x| x.1).collect();
        describe(name, n, &m);
    }

    let kits = kits(&GROOVE_KITS, SAMPLE_RATE).expect("kits load");
    for real in [false, true] {
        println!();
        println!(
        "| {} after a hat by (ms) | hits | moved | median / p90 abs hit-onset error, ms (detection's) |",
        if real { "real snare" } else { "membrane" }
    );
        println!("|---|---|---|---|");
        for step in -6..=6i32 {
            let lead_ms = step as f32 * 0.5;
            eprintln!("LABEL lead {lead_ms}");
            let r: Vec<Option<(bool, f64, f64)>> = (0..count)
                .into_par_iter()
                .map(|i| {
                    let mut rng = Rng::new(0x4a7 + 977 * i + step as u64);
                    let kit = &kits[(i as usize) % kits.len()];
                    let onset = 4_000 + (rng.next_u64() % 2_000);
                    let s = if real {
                        snare(kit, onset, &mut rng)
                    } else {
                        membrane(
                            onset,
                            rng.range(0.0, 0.95),
                            rng.range(0.6, 1.0),
                            rng.next_u64(),
                        )
                    };
                    let jitter = rng.range(-0.25, 0.25);
                    let shift = ((lead_ms + jitter) * 0.001 * SAMPLE_RATE) as i64;
                    let h = hat(kit, (onset as i64 - shift) as u64, &mut rng);
                    let room = Room::random(PATHS, SAMPLE_RATE, 31 + i);
                    let take = render(mix(&[s.clone(), h.clone()], room, i), &[s, h]);
                    let found = hits(&take.audio, SAMPLE_RATE, i);
                    found
                        .iter()
                        .filter(|h| h.detected_onset_sample.abs_diff(onset) <= MATCH)
                        .min_by_key(|h| h.onset_sample.abs_diff(onset))
                        .map(|h| {
                            (
                                h.onset_sample != h.detected_onset_sample,
                                h.onset_sample.abs_diff(onset) as f64 * 1000.0 / SAMPLE_RATE as f64,
                                h.detected_onset_sample.abs_diff(onset) as f64 * 1000.0
                                    / SAMPLE_RATE as f64,
                            )
                        })
                })
                .collect();
            let found: Vec<(bool, f64, f64)> = r.into_iter().flatten().collect();
            let moved = found.iter().filter(|x| x.0).count();
            let mut err: Vec<f64> = found.iter().map(|x| x.1).collect();
            let mut det: Vec<f64> = found.iter().map(|x| x.2).collect();
            println!(
                "| {lead_ms:+.1} | {} | {:.0} % | {:.2} / {:.2} ({:.2} / {:.2}) |",
                found.len(),
                100.0 * moved as f64 / found.len().max(1) as f64,
                quantile(&mut err, 0.5),
                quantile(&mut err, 0.9),
                quantile(&mut det, 0.5),
                quantile(&mut det, 0.9),
            );
        }
    }
}
