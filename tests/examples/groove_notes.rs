//! What a trained model sends in a real-kit groove, offline, over many kits, rooms and seeds
//! (issue #14: "real kit groove: snare recall >= 0.98, accuracy >= 0.95, notes that are not
//! snare hits <= 2 per 100 snare hits"). The CLAP host check (`tests/tests/clap_real_kit.rs`)
//! does the same through the plugin on one GMRockKit groove; this report repeats it on every
//! groove kit and several seeds, with the library as the plugin uses it.
//!
//! `cargo run --release -p timbrel-host-tests --example groove_notes -- [SEEDS]`
//!
//! Per kit of `GROOVE_KITS` with a snare and a rimshot or side stick, and per seed (default 3):
//! a 40 s groove (`kit::groove`, default spec: backbeats, rimshots, ghosts, flams, rolls, tom
//! fills; every piece bleeding in; a room). The drummer trains in that room, as the README
//! says: 20 one-shots of the snare (*center*) and 20 of the rimshot or side stick (*edge*),
//! soft to loud (-32..0 dB under the backbeat), described with the analyzer's synthetic hat
//! (as the plugin records training hits; `ACCENTS=1`: accents only, -12..0 dB; `NO_HATS=1`:
//! without the hat descriptors, as before model format 4). Three ways:
//! - **no ignore class**;
//! - **armed ignore class**: plus 20 s of the kit without its snare (tom fills too) in the same
//!   room, every hit the analyzer finds in it as an ignore class;
//! - **collected**: the same take, but only the hits the snare-only model calls unknown (the
//!   plugin's *Collect*).
//!
//! Then the groove goes through the analyzer (default settings) and the model. Per snare
//! stroke: a hit within -5..+10 ms of its onset that the model sends as a class (known, not
//! ignored) is a note; the right class is *edge* for rimshot strokes (side-stick kits play
//! none), *center* otherwise. Printed: snare strokes, share with a class note (recall of notes),
//! with the right class, called unknown, ignored; class notes at no snare stroke per 100 snare
//! strokes, by the piece whose stroke is nearest (or nothing); per stroke kind the shares with a
//! class note and ignored; the noted strokes' classes against the truth. `SHOW=1` also prints
//! every noted stroke given the wrong class (piece, tags, level).

use rayon::prelude::*;
use std::collections::BTreeMap;
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord};
use timbrel_host_tests::kit::groove::{groove, plan, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::{Category, Instrument, Kit};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS};
use timbrel_host_tests::kit::oneshots::training_take;
use timbrel_host_tests::kit::render::{render, Stroke};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::truth::{Event, STROKE_KINDS};
use timbrel_learn::dataset::{HAT_LEVEL_DB, PALETTE};
use timbrel_learn::{train, Dataset, Example, Model, Prediction, TrainConfig};

/// Render rate, in Hz.
const SAMPLE_RATE: f32 = 44_100.0;
/// Training one-shots per class.
const PER_CLASS: usize = 20;
/// One-shot levels, dB under the backbeat (soft to loud, as the README tells a drummer).
const LEVELS_DB: (f32, f32) = (-32.0, 0.0);
/// A hit belongs to a stroke whose onset is at most this many samples after it (5 ms)...
const EARLY: u64 = 220;
/// ...or this many before it (10 ms).
const LATE: u64 = 441;

/// Every hit the analyzer reports on `audio` (`hats`: also under the synthetic hi-hat, as the
/// plugin records training hits).
fn hits(audio: &[f32], hats: bool) -> Vec<HitRecord> {
    let mut analyzer = Analyzer::new(SAMPLE_RATE, AnalysisSettings::default());
    analyzer.set_hat_mix(hats.then_some(HAT_LEVEL_DB));
    let mut out = Vec::new();
    let tail = vec![0.0; 8192];
    for block in audio.chunks(512).chain([&tail[..]]) {
        analyzer.process(block, |e| {
            if let AnalyzerEvent::Hit(h) = e {
                out.push(*h);
            }
        });
    }
    out
}

/// `count` one-shots of `instrument` at [`LEVELS_DB`] (`ACCENTS=1`: -12..0 dB), in `room`.
fn one_shots(instrument: &Instrument, room: &Room, count: usize, seed: u64) -> Vec<f32> {
    let levels = if std::env::var_os("ACCENTS").is_some() {
        (-12.0, 0.0)
    } else {
        LEVELS_DB
    };
    training_take(instrument, room, count, seed, levels)
}

/// 20 s of `kit` without its snare (tom fills too), in `room`.
fn kit_without_snare(kit: &Kit, room: &Room, seed: u64) -> Vec<f32> {
    let spec = GrooveSpec {
        duration_s: 20.0,
        ghost_probability: 0.0,
        flam_probability: 0.0,
        roll_probability: 0.0,
        ..GrooveSpec::default()
    };
    let (mut mix, strokes) = plan(kit, Target::Kit, &spec, seed);
    mix.room = room.clone();
    let others: Vec<Stroke> = strokes.into_iter().filter(|s| !s.event.target).collect();
    render(mix, &others).audio
}

/// The examples of `audio`'s hits as `class` (`NO_HATS=1`: without their hat descriptors, as
/// before model format 4).
fn add_hits(d: &mut Dataset, audio: &[f32], class: usize) {
    let hats = std::env::var_os("NO_HATS").is_none();
    for (i, h) in hits(audio, hats).iter().enumerate() {
        d.add_example(
            Example::new(&h.descriptor, class, h.peak_dbfs, i as f64)
                .with_hat(h.hat_descriptor.as_ref().map(|x| &x[..])),
        )
        .expect("valid example");
    }
}

/// How a trained model does on one groove.
#[derive(Default, Clone)]
struct Tally {
    strokes: usize,
    noted: usize,
    right: usize,
    unknown: usize,
    ignored: usize,
    /// Class notes at no snare stroke, by the nearest stroke's piece.
    elsewhere: BTreeMap<String, usize>,
    /// Per stroke kind (ghost, roll, flam grace, other): strokes, with a class note, ignored.
    kinds: [[usize; 3]; 4],
    /// Noted strokes by (true class, first class note): centre→centre, centre→edge,
    /// edge→centre, edge→edge.
    confusion: [usize; 4],
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.strokes += o.strokes;
        self.noted += o.noted;
        self.right += o.right;
        self.unknown += o.unknown;
        self.ignored += o.ignored;
        for (a, b) in self.confusion.iter_mut().zip(&o.confusion) {
            *a += b;
        }
        for (a, b) in self.kinds.iter_mut().zip(&o.kinds) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (k, v) in &o.elsewhere {
            *self.elsewhere.entry(k.clone()).or_default() += v;
        }
    }
}

fn score(model: &Model, events: &[Event], found: &[HitRecord], edge: Category) -> Tally {
    let belongs = |e: &Event, h: &HitRecord| {
        h.onset_sample + EARLY >= e.onset && h.onset_sample <= e.onset + LATE
    };
    let mut p = Prediction::default();
    let judged: Vec<(u64, Option<usize>, bool, bool)> = found
        .iter()
        .map(|h| {
            model.classify(&h.descriptor, &mut p);
            (
                h.onset_sample,
                p.best.map(usize::from),
                p.is_unknown(),
                p.ignored,
            )
        })
        .collect();
    let mut t = Tally::default();
    let snares: Vec<&Event> = events.iter().filter(|e| e.target).collect();
    for e in &snares {
        t.strokes += 1;
        let mine: Vec<_> = found
            .iter()
            .zip(&judged)
            .filter(|(h, _)| belongs(e, h))
            .map(|(_, j)| *j)
            .collect();
        let want = usize::from(e.piece == edge);
        let noted = mine.iter().any(|j| j.1.is_some());
        if let Some(got) = mine.iter().find_map(|j| j.1) {
            t.confusion[2 * want + got.min(1)] += 1;
            if std::env::var_os("SHOW").is_some() && want != got {
                eprintln!(
                    "WRONG {:?} {} level {:.1} dB -> {got}",
                    e.piece,
                    e.tags.names(),
                    e.level_db
                );
            }
        }
        let ignored = mine.iter().any(|j| j.3) && !noted;
        t.noted += noted as usize;
        t.right += mine.iter().any(|j| j.1 == Some(want)) as usize;
        t.unknown += mine.iter().any(|j| j.2) as usize;
        t.ignored += ignored as usize;
        let kind = &mut t.kinds[e.tags.stroke_kind().unwrap_or(STROKE_KINDS.len())];
        kind[0] += 1;
        kind[1] += noted as usize;
        kind[2] += ignored as usize;
    }
    for (h, j) in found.iter().zip(&judged) {
        if j.1.is_none() || snares.iter().any(|e| belongs(e, h)) {
            continue;
        }
        let piece = events
            .iter()
            .filter(|e| belongs(e, h))
            .min_by_key(|e| e.onset.abs_diff(h.onset_sample))
            .map_or("nothing".to_owned(), |e| format!("{:?}", e.piece));
        *t.elsewhere.entry(piece).or_default() += 1;
    }
    t
}

const WAYS: [&str; 3] = ["no ignore class", "armed ignore class", "collected"];

fn main() {
    if drumkits_or_skip("groove_notes").is_none() {
        return;
    }
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let kits = kits(&GROOVE_KITS, SAMPLE_RATE).expect("kits load");
    let jobs: Vec<(usize, u64)> = (0..kits.len())
        .flat_map(|k| (0..seeds).map(move |s| (k, s)))
        .collect();
    let results: Vec<(String, [Tally; 3])> = jobs
        .par_iter()
        .filter_map(|&(k, s)| {
            let kit = &kits[k];
            let snare = kit.first(Category::Snare)?;
            let (edge, second) = [Category::SnareRimshot, Category::SideStick]
                .into_iter()
                .find_map(|c| kit.first(c).map(|i| (c, i)))?;
            let seed = 500 + 37 * s;
            let take = groove(
                kit,
                Target::Kit,
                &GrooveSpec {
                    duration_s: 40.0,
                    ..GrooveSpec::default()
                },
                seed,
            );
            let room = &take.room;
            let mut drum = Dataset::default();
            add_hits(&mut drum, &one_shots(snare, room, PER_CLASS, seed + 1), 0);
            add_hits(&mut drum, &one_shots(second, room, PER_CLASS, seed + 2), 1);
            let plain = train(&drum, &TrainConfig::default()).ok()?;
            let rest = kit_without_snare(kit, room, seed + 3);
            let with_ignore = |keep: &dyn Fn(&HitRecord) -> bool| -> Option<Model> {
                let mut d = drum.clone();
                let c = d.add_class("kit", PALETTE[2]).ok()?;
                d.set_ignore(c, true).ok()?;
                for (i, h) in hits(&rest, true).iter().filter(|h| keep(h)).enumerate() {
                    d.add_example(
                        Example::new(&h.descriptor, c, h.peak_dbfs, 1000.0 + i as f64)
                            .with_hat(h.hat_descriptor.as_ref().map(|x| &x[..])),
                    )
                    .ok()?;
                }
                train(&d, &TrainConfig::default()).ok()
            };
            let armed = with_ignore(&|_| true)?;
            let collected = with_ignore(&|h| {
                let mut p = Prediction::default();
                plain.classify(&h.descriptor, &mut p);
                p.is_unknown()
            })?;
            let found = hits(&take.audio, false);
            let tallies =
                [&plain, &armed, &collected].map(|m| score(m, &take.events, &found, edge));
            Some((kit.name.clone(), tallies))
        })
        .collect();
    println!("| kit | way | snare strokes | class note | right class | unknown | ignored | class notes elsewhere per 100 | class note / ignored: ghosts, rolls, flam graces, others | noted centre -> centre, edge; edge -> centre, edge |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut per_kit: BTreeMap<String, [Tally; 3]> = BTreeMap::new();
    for (name, t) in &results {
        let e = per_kit.entry(name.clone()).or_default();
        for w in 0..3 {
            e[w].add(&t[w]);
        }
    }
    let mut all: [Tally; 3] = Default::default();
    for t in per_kit.values() {
        for w in 0..3 {
            all[w].add(&t[w]);
        }
    }
    per_kit.insert("all".into(), all);
    for (name, t) in &per_kit {
        for (w, way) in WAYS.iter().enumerate() {
            let t = &t[w];
            let n = t.strokes.max(1) as f64;
            let pct = |k: usize| 100.0 * k as f64 / n;
            let elsewhere: usize = t.elsewhere.values().sum();
            let kinds: Vec<String> = t
                .kinds
                .iter()
                .map(|[n, noted, ignored]| {
                    let n = (*n).max(1) as f64;
                    format!(
                        "{:.0} / {:.0} %",
                        100.0 * *noted as f64 / n,
                        100.0 * *ignored as f64 / n
                    )
                })
                .collect();
            println!(
                "| {name} | {way} | {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} {:?} | {} | {:?} |",
                t.strokes,
                pct(t.noted),
                pct(t.right),
                pct(t.unknown),
                pct(t.ignored),
                pct(elsewhere),
                t.elsewhere,
                kinds.join(", "),
                t.confusion
            );
        }
    }
}
