//! Why the envelope detector misses the snare strokes it misses, on the grooves of
//! `timbrel_host_tests::kit` (membrane snare and real-kit snares, in rooms, with bleed).
//!
//! `cargo run --release -p timbrel-host-tests --example detector_misses -- [SEEDS]
//! [THRESHOLD_DB FLOOR_DBFS RETRIGGER_DECAY_MS]`
//!
//! For every snare stroke it measures the stroke's **click contrast**: the peak of its own
//! 0.5 ms power envelope in its first 5 ms, rendered alone through the room, over the largest
//! envelope of everything else in the mix (bleed, the snare's own earlier strokes and their room,
//! the noise floor) from 2 ms before its onset to 5 ms after, in dB, in two bands: above 1 kHz
//! (the detector's band) and 150 Hz to 1 kHz (where the snare's body sits and hats are weak).
//! It also splits "everything else" into bleed and the snare's own tail. For each missed stroke
//! it names the condition of the main band (above 1 kHz) that blocked it, from the detector's
//! own state ([`Probe`]) within the
//! matching tolerance after the onset: `ratio` (fast never exceeded slow by the threshold),
//! `mask` (it did, but never above the retrigger mask at the same time), `gate` (both, never
//! with the gate above the floor), `armed` (all three, but the detector was not re-armed or in
//! its minimum interval). It prints per material and stroke kind: strokes, recall, blockers of
//! the missed, the contrast distribution of found and missed strokes, and the recall among
//! strokes whose early contrast above 1 kHz (own peak in its first 2 ms over the rest's largest
//! envelope from 2 ms before the onset to 2 ms after) is at least 0 dB ("not buried").
use rayon::prelude::*;
use timbrel_core::analysis::envelope::Probe;
use timbrel_core::analysis::AnalysisSettings;
use timbrel_core::biquad::{Biquad, BUTTERWORTH_Q};
use timbrel_host_tests::kit::groove::{plan, GrooveSpec, Target};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS, RATES};
use timbrel_host_tests::kit::render::{render, Mix, Stroke};
use timbrel_host_tests::kit::score::{detect, Matching, TOLERANCE_MS};
use timbrel_host_tests::kit::truth::Tag;

/// One snare stroke's measurements.
#[derive(Debug, Clone)]
struct Row {
    kind: &'static str,
    found: bool,
    blocker: &'static str,
    /// Contrast above 1 kHz against everything else, against bleed, against the snare's tail.
    hi: (f32, f32, f32),
    /// Contrast 150 Hz..1 kHz against everything else.
    lo: f32,
    /// Contrast above 1 kHz in the first 2 ms: own peak in [onset, onset + 2 ms] over the rest's
    /// largest envelope in [onset - 2 ms, onset + 2 ms] (a bleed stroke starting later than that
    /// does not hide the click).
    early: f32,
    /// No sample within the tolerance after the onset had the fast envelope above the mask.
    under_mask: bool,
    /// No sample within the tolerance after the onset had the gate above the floor.
    under_floor: bool,
    level_db: f32,
}

fn db(p: f32) -> f32 {
    10.0 * p.max(1e-20).log10()
}

/// 0.5 ms power envelope of `x` filtered by `filters`.
fn envelope(x: &[f32], filters: &[Biquad], sr: f32) -> Vec<f32> {
    let mut f = filters.to_vec();
    let c = 1.0 - (-1.0 / (0.0005 * sr)).exp();
    let mut e = 0.0f32;
    x.iter()
        .map(|&v| {
            let y = f.iter_mut().fold(v, |y, b| b.process(y));
            e += (y * y - e) * c;
            e
        })
        .collect()
}

fn max_in(e: &[f32], lo: i64, hi: i64) -> f32 {
    let lo = lo.max(0) as usize;
    let hi = (hi.max(0) as usize).min(e.len());
    e[lo.min(hi)..hi].iter().copied().fold(0.0, f32::max)
}

fn kind(tags: timbrel_host_tests::kit::truth::Tags) -> &'static str {
    if tags.has(Tag::Ghost) {
        "ghost"
    } else if tags.has(Tag::Roll) {
        "roll"
    } else if tags.has(Tag::FlamGrace) {
        "grace"
    } else {
        "main"
    }
}

fn analyse(mix: Mix, strokes: &[Stroke], settings: AnalysisSettings, seed: u64) -> Vec<Row> {
    let sr = mix.sample_rate;
    let take = render(mix.clone(), strokes);
    let det = detect(&take.audio, sr, settings, seed);
    let tol = (TOLERANCE_MS * 0.001 * sr).round() as u64;
    let m = Matching::new(&det, &take.events, tol);
    let mut probe = Probe::new(sr, &settings.detector);
    let steps: Vec<_> = take
        .audio
        .iter()
        .map(|&x| {
            let p = probe.step(x);
            timbrel_core::analysis::envelope::Step {
                fired: p.fired,
                ..p.main
            }
        })
        .collect();
    let hi = [Biquad::highpass(1000.0, BUTTERWORTH_Q, sr)];
    let lo = [
        Biquad::highpass(150.0, BUTTERWORTH_Q, sr),
        Biquad::lowpass(1000.0, BUTTERWORTH_Q, sr),
    ];
    let ms = |v: f32| (v * 0.001 * sr).round() as i64;
    let mut rows = Vec::new();
    for (i, e) in take.events.iter().enumerate() {
        if !e.target {
            continue;
        }
        let s = strokes
            .iter()
            .find(|s| s.event.onset == e.onset && s.event.target && s.event.level_db == e.level_db)
            .expect("the stroke of an event");
        // The stroke alone through the room, its onset `pad` samples into a short render.
        let pad = s.sound.attack as i64 + ms(10.0);
        let mut alone_stroke = s.clone();
        alone_stroke.event.onset = pad as u64;
        let short = Mix {
            len: (pad + ms(20.0)) as usize,
            noise_dbfs: -300.0,
            ..mix.clone()
        };
        let alone = render(short, std::slice::from_ref(&alone_stroke)).audio;
        // Everything else around the onset: the take minus the stroke alone.
        let on = e.onset as i64;
        let from = (on - ms(40.0)).max(0);
        let to = (on + ms(12.0)).min(take.audio.len() as i64);
        let at = |k: i64| -> f32 {
            let j = k - on + pad;
            if (0..alone.len() as i64).contains(&j) {
                alone[j as usize]
            } else {
                0.0
            }
        };
        let seg_alone: Vec<f32> = (from..to).map(at).collect();
        let seg_all: Vec<f32> = (from..to).map(|k| take.audio[k as usize]).collect();
        let seg_rest: Vec<f32> = seg_all.iter().zip(&seg_alone).map(|(a, b)| a - b).collect();
        let w0 = on - from - ms(2.0);
        let w1 = on - from + ms(5.0);
        let s_hi = max_in(&envelope(&seg_alone, &hi, sr), on - from, w1);
        let r_hi = max_in(&envelope(&seg_rest, &hi, sr), w0, w1);
        let s_lo = max_in(&envelope(&seg_alone, &lo, sr), on - from, w1);
        let r_lo = max_in(&envelope(&seg_rest, &lo, sr), w0, w1);
        let e0 = max_in(
            &envelope(&seg_alone, &hi, sr),
            on - from,
            on - from + ms(2.0),
        );
        let e1 = max_in(&envelope(&seg_rest, &hi, sr), w0, on - from + ms(2.0));
        rows.push(Row {
            kind: kind(e.tags),
            found: m.event_detection[i].is_some(),
            blocker: "",
            hi: (db(s_hi) - db(r_hi), 0.0, 0.0),
            lo: db(s_lo) - db(r_lo),
            early: db(e0) - db(e1),
            under_mask: false,
            under_floor: false,
            level_db: e.level_db,
        });
        let row = rows.last_mut().expect("pushed");
        if !row.found {
            let w = &steps[(on as usize).min(steps.len())
                ..((on + ms(TOLERANCE_MS)) as usize).min(steps.len())];
            row.under_mask = !w.iter().any(|s| s.over_mask);
            row.under_floor = !w.iter().any(|s| s.over_floor);
            row.blocker = if w.iter().any(|s| s.fired) {
                "claimed"
            } else if !w.iter().any(|s| s.over_ratio) {
                "ratio"
            } else if !w.iter().any(|s| s.over_ratio && s.over_mask) {
                "mask"
            } else if !w
                .iter()
                .any(|s| s.over_ratio && s.over_mask && s.over_floor)
            {
                "gate"
            } else {
                "armed"
            };
        }
    }
    // Split "everything else" into bleed and the snare's own tail: render each part once.
    let target_only: Vec<Stroke> = strokes.iter().filter(|s| s.event.target).cloned().collect();
    let bleed_only: Vec<Stroke> = strokes
        .iter()
        .filter(|s| !s.event.target)
        .cloned()
        .collect();
    let quiet = Mix {
        noise_dbfs: -300.0,
        ..mix.clone()
    };
    let t_env = envelope(&render(quiet.clone(), &target_only).audio, &hi, sr);
    let b_env = envelope(&render(quiet, &bleed_only).audio, &hi, sr);
    for (k, e) in take.events.iter().filter(|e| e.target).enumerate() {
        let on = e.onset as i64;
        let row = &mut rows[k];
        let total = row.hi.0;
        // Own tail: the snare-only mix before this onset's own contribution (2 ms before it).
        let tail = max_in(&t_env, on - ms(2.0), on);
        let bleed = max_in(&b_env, on - ms(2.0), on + ms(5.0));
        // The stroke's own peak, from the total contrast and the rest.
        let own = max_in(&t_env, on, on + ms(5.0));
        row.hi = (total, db(own) - db(bleed), db(own) - db(tail));
    }
    rows
}

fn main() {
    if drumkits_or_skip("detector_misses").is_none() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: f32| -> f32 {
        args.get(i)
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(d)
    };
    let seeds = num(0, 2.0) as u64;
    let mut settings = AnalysisSettings::default();
    settings.detector.threshold_db = num(1, settings.detector.threshold_db);
    settings.detector.floor_dbfs = num(2, settings.detector.floor_dbfs);
    settings.detector.retrigger_decay_ms = num(3, settings.detector.retrigger_decay_ms);
    let spec = GrooveSpec::default();
    for (name, target, kit_names) in [
        ("membrane", Target::Membrane, &GROOVE_KITS[..2]),
        ("real kit", Target::Kit, &GROOVE_KITS[..]),
    ] {
        let mut jobs = Vec::new();
        for &rate in &RATES {
            for kit in kits(kit_names, rate).expect("kits load") {
                for seed in 1..1 + seeds {
                    jobs.push((kit.clone(), seed));
                }
            }
        }
        let rows: Vec<Row> = jobs
            .par_iter()
            .flat_map(|(kit, seed)| {
                let (mix, strokes) = plan(kit, target, &spec, *seed);
                analyse(mix, &strokes, settings, *seed)
            })
            .collect();
        println!("\n== {name}: {} snare strokes ==", rows.len());
        for kind in ["main", "ghost", "roll", "grace"] {
            let r: Vec<&Row> = rows.iter().filter(|r| r.kind == kind).collect();
            if r.is_empty() {
                continue;
            }
            let found = r.iter().filter(|r| r.found).count();
            let missed: Vec<&&Row> = r.iter().filter(|r| !r.found).collect();
            let blockers: Vec<String> = ["ratio", "mask", "gate", "armed", "claimed"]
                .iter()
                .map(|b| format!("{b} {}", missed.iter().filter(|r| r.blocker == *b).count()))
                .collect();
            let clear: Vec<&&Row> = r.iter().filter(|r| r.early >= 0.0).collect();
            let clear_found = clear.iter().filter(|r| r.found).count();
            println!(
                "{kind:6} {:4} strokes, recall {:.3}; missed {} blocked by: {}; not buried (contrast \
                 above 1 kHz in the first 2 ms >= 0 dB): {} strokes, recall {:.3}",
                r.len(),
                found as f64 / r.len() as f64,
                missed.len(),
                blockers.join(", "),
                clear.len(),
                clear_found as f64 / clear.len().max(1) as f64
            );
            let bins = [-100.0, -12.0, -6.0, 0.0, 6.0, 12.0, 100.0];
            let hist = |v: &dyn Fn(&Row) -> f32, rs: &[&Row]| -> String {
                bins.windows(2)
                    .map(|w| {
                        rs.iter()
                            .filter(|r| (w[0]..w[1]).contains(&v(r)))
                            .count()
                            .to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let f: Vec<&Row> = r.iter().filter(|r| r.found).copied().collect();
            let mi: Vec<&Row> = r.iter().filter(|r| !r.found).copied().collect();
            println!("       contrast bins (<-12,-12..-6,-6..0,0..6,6..12,>12 dB):");
            println!(
                "         >1k vs all    found [{}]  missed [{}]",
                hist(&|r| r.hi.0, &f),
                hist(&|r| r.hi.0, &mi)
            );
            println!(
                "         >1k vs bleed  found [{}]  missed [{}]",
                hist(&|r| r.hi.1, &f),
                hist(&|r| r.hi.1, &mi)
            );
            println!(
                "         >1k vs tail   found [{}]  missed [{}]",
                hist(&|r| r.hi.2, &f),
                hist(&|r| r.hi.2, &mi)
            );
            println!(
                "         lo  vs all    found [{}]  missed [{}]",
                hist(&|r| r.lo, &f),
                hist(&|r| r.lo, &mi)
            );
            for b in ["ratio", "mask", "armed"] {
                let x: Vec<&Row> = mi.iter().filter(|r| r.blocker == b).copied().collect();
                if !x.is_empty() {
                    println!(
                        "         missed by {b:5} ({} also under the mask, {} under the floor): early [{}], >1k vs all [{}], vs bleed [{}], vs tail [{}], level median {:.1} dB",
                        x.iter().filter(|r| r.under_mask).count(),
                        x.iter().filter(|r| r.under_floor).count(),
                        hist(&|r| r.early, &x),
                        hist(&|r| r.hi.0, &x),
                        hist(&|r| r.hi.1, &x),
                        hist(&|r| r.hi.2, &x),
                        {
                            let mut l: Vec<f32> = x.iter().map(|r| r.level_db).collect();
                            l.sort_by(f32::total_cmp);
                            l[l.len() / 2]
                        }
                    );
                }
            }
        }
    }
}
