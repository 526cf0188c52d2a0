//! How far each snare stroke of the real-kit grooves stands above the rest of the mix, and
//! whether the detector found it: an upper bound for any detector that looks for a rise of
//! energy (issue 13's recall goal).
//!
//! `cargo run --release -p timbrel-host-tests --example buried_strokes -- [WINDOW_MS] [SEEDS]`
//! (defaults: 3 ms, 2 seeds per kit, 44.1 kHz). For every target stroke it renders the stroke
//! alone through the take's room (no noise floor) and subtracts it from the take (the renderer
//! is linear and seeded, so the difference is exactly everything else: the other pieces' bleed,
//! the earlier strokes' ringing and reflections, the noise). Its SNR in a band is the power of
//! the stroke alone over the power of the rest in the WINDOW_MS from its onset, both through
//! the band's 4th-order band-pass. It prints the median SNR per band for found and missed
//! strokes of each kind (ghost, roll, flam grace, other), the share of them whose best band
//! (150 Hz up) reaches -6, 0 and +6 dB, and the detector's recall (default settings) against
//! that best-band SNR.
use timbrel_core::analysis::AnalysisSettings;
use timbrel_core::biquad::{Biquad, BUTTERWORTH_Q};
use timbrel_host_tests::kit::groove::{plan, GrooveSpec, Target};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS};
use timbrel_host_tests::kit::render::{alone, render};
use timbrel_host_tests::kit::score::{detect, Matching, TOLERANCE_MS};
use timbrel_host_tests::kit::truth::STROKE_KINDS;

/// The bands (lower and upper edge, Hz); the best band is taken from index [`FIRST_NARROW`] on.
const BANDS: [(f32, f32); 7] = [
    (1000.0, 20000.0),
    (70.0, 1000.0),
    (150.0, 400.0),
    (400.0, 1000.0),
    (1000.0, 2000.0),
    (2000.0, 5000.0),
    (5000.0, 20000.0),
];
/// Index of the first narrow band (the two first are the detector's main and low bands).
const FIRST_NARROW: usize = 2;
/// Sample rate of the renders, in Hz.
const RATE: f32 = 44100.0;
/// Kinds of stroke, by tag.
const KINDS: [&str; 4] = ["ghost", "roll", "grace", "other"];

/// `x` through a 4th-order band-pass (two Butterworth high-passes at `lo`, two low-passes at
/// `hi`, Hz).
fn bandpass(x: &[f32], lo: f32, hi: f32) -> Vec<f32> {
    let hi = hi.min(0.45 * RATE);
    let mut f = [
        Biquad::highpass(lo, BUTTERWORTH_Q, RATE),
        Biquad::highpass(lo, BUTTERWORTH_Q, RATE),
        Biquad::lowpass(hi, BUTTERWORTH_Q, RATE),
        Biquad::lowpass(hi, BUTTERWORTH_Q, RATE),
    ];
    x.iter()
        .map(|&v| f.iter_mut().fold(v, |v, b| b.process(v)))
        .collect()
}

/// One target stroke: its kind (index into [`KINDS`]), found or not, SNR per band (dB).
struct Row {
    kind: usize,
    found: bool,
    snr_db: Vec<f32>,
}

impl Row {
    /// The best SNR over the narrow bands, in dB.
    fn best(&self) -> f32 {
        self.snr_db[FIRST_NARROW..]
            .iter()
            .cloned()
            .fold(f32::NEG_INFINITY, f32::max)
    }
}

fn main() {
    if drumkits_or_skip("buried_strokes").is_none() {
        return;
    }
    let mut args = std::env::args().skip(1);
    let window_ms: f32 = args.next().and_then(|v| v.parse().ok()).unwrap_or(3.0);
    let seeds: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(2);
    let w = ((window_ms * 0.001 * RATE) as usize).max(1);
    let spec = GrooveSpec::default();
    let mut rows = Vec::new();
    for kit in kits(&GROOVE_KITS, RATE).expect("kits load") {
        for seed in 1..1 + seeds {
            let (mix, strokes) = plan(&kit, Target::Kit, &spec, seed);
            let take = render(mix.clone(), &strokes);
            let det = detect(&take.audio, RATE, AnalysisSettings::default(), seed);
            let tolerance = (TOLERANCE_MS * 0.001 * RATE) as u64;
            let matching = Matching::new(&det, &take.events, tolerance);
            let full: Vec<Vec<f32>> = BANDS
                .iter()
                .map(|&(lo, hi)| bandpass(&take.audio, lo, hi))
                .collect();
            for s in strokes.iter().filter(|s| s.event.target) {
                let ev = &s.event;
                let kind = ev.tags.stroke_kind().unwrap_or(STROKE_KINDS.len());
                let e = take
                    .events
                    .iter()
                    .position(|x| x.target && x.onset == ev.onset)
                    .expect("the take holds every stroke");
                let o = ev.onset as usize;
                let alone = alone(&mix, s, o + w);
                let snr_db = BANDS
                    .iter()
                    .zip(&full)
                    .map(|(&(lo, hi), full)| {
                        let a = bandpass(&alone, lo, hi);
                        let (mut own, mut rest) = (0.0f64, 0.0f64);
                        for i in o..a.len() {
                            own += (a[i] as f64).powi(2);
                            rest += ((full[i] - a[i]) as f64).powi(2);
                        }
                        (10.0 * (own.max(1e-30) / rest.max(1e-30)).log10()) as f32
                    })
                    .collect();
                rows.push(Row {
                    kind,
                    found: matching.event_detection[e].is_some(),
                    snr_db,
                });
            }
        }
    }
    println!(
        "{} snare strokes, {} kits x {seeds} seeds at {RATE} Hz, SNR over the first {window_ms} ms",
        rows.len(),
        GROOVE_KITS.len()
    );
    println!("median SNR per band (dB); share whose best band from 150 Hz reaches -6 / 0 / +6 dB");
    for (kind, name) in KINDS.iter().enumerate() {
        for found in [false, true] {
            let sel: Vec<&Row> = rows
                .iter()
                .filter(|r| r.kind == kind && r.found == found)
                .collect();
            if sel.is_empty() {
                continue;
            }
            let label = if found { "found" } else { "missed" };
            print!("{name:5} {label:6} n={:4}:", sel.len());
            for (k, &(lo, hi)) in BANDS.iter().enumerate() {
                let mut v: Vec<f32> = sel.iter().map(|r| r.snr_db[k]).collect();
                v.sort_by(f32::total_cmp);
                print!(" {lo:.0}-{hi:.0} {:.1}", v[v.len() / 2]);
            }
            let share =
                |x: f32| sel.iter().filter(|r| r.best() >= x).count() as f32 / sel.len() as f32;
            println!(
                " | {:.2} / {:.2} / {:.2}",
                share(-6.0),
                share(0.0),
                share(6.0)
            );
        }
    }
    println!("best-band SNR: share of all strokes at or above it, and the detector's recall there and below");
    for x in [-10.0f32, -6.0, -3.0, 0.0, 3.0, 6.0] {
        let (above, below): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.best() >= x);
        let recall =
            |v: &[&Row]| v.iter().filter(|r| r.found).count() as f32 / v.len().max(1) as f32;
        println!(
            "  >= {x:+.0} dB: {:.3} of the strokes, recall {:.3} (below: {:.3})",
            above.len() as f32 / rows.len().max(1) as f32,
            recall(&above),
            recall(&below)
        );
    }
}
