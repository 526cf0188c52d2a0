//! Whether a linear predictor cancels "the rest" of the mix under a snare stroke in the low band
//! (the previous strokes' ringing, the toms' and kick's tones), so that strokes buried 10 dB
//! under the rest stand out in the prediction error (issue 13's recall goal; LPC and
//! complex-domain onset detection, Bello et al. 2004, Duxbury et al. 2003).
//!
//! `cargo run --release -p timbrel-host-tests --example predicted_rest -- [SEEDS] [all|quick]
//! [WINDOW_MS]` (defaults: 2 seeds per kit, all settings, a 3 ms window; the real-kit grooves of
//! `buried_strokes`, 44.1 kHz, the default detector; about 30 s). The take goes through a
//! band-pass (two 2nd-order Butterworth high-passes at 70 or 150 Hz, an 8th-order Butterworth
//! low-pass at 1 kHz, the anti-alias filter) and is kept every [`DECIMATION`]th sample
//! (2,756 Hz). As in `buried_strokes`, each target stroke is rendered alone through the
//! take's room and subtracted, so the rest is known exactly. A predictor of order 8 to 32 is
//! fitted on the MIX's last 10-40 ms before the stroke's onset (autocorrelation method with a
//! Hann window and Levinson's recursion; the covariance method: least squares, a Cholesky solve;
//! or exponentially weighted least squares, what an RLS predictor holds), as a causal detector
//! would, and over the first [`WINDOW_MS`] from the onset it
//! prints, per kind of stroke (ghost, roll, flam grace, other), found or missed by the default
//! detector:
//! - (a) the stroke's power over the rest's power (the `buried_strokes` baseline, in this band),
//! - (b) the stroke's power over the power of the rest's prediction error (the predictor run on
//!   the rest alone, continuing from its own past), and (b') the stroke's own prediction error
//!   over the rest's (what the error signal holds of each),
//! - (c) a causal detection function: the mix's prediction error power in the window over its
//!   mean in the [`REFERENCE_BLOCKS`] windows before it (20 ms at 3 ms; each window predicted
//!   by a fit on the samples before it, out of sample like the window itself), and (c0) the same
//!   ratio of plain band power (no prediction: an energy-rise detector's view; on the strokes the
//!   detector missed it is low by selection),
//!
//! with the share of strokes whose (a) and (b) reach 0 and +6 dB, and (c) and (c0) at random
//! times with no stroke of any piece within [`CLEAR_MS`] (median, 99th and 99.9th percentile: the
//! false-alarm risk) and at other pieces' strokes with no target stroke that near. "margin" is a
//! kind's median (c) minus the no-stroke 99th percentile of (c): what a threshold at 1 false
//! alarm per 100 windows would leave (the brief asked for +6 dB before prototyping a detection
//! band); "over" is the share of a kind's strokes above the no-stroke 99th and 99.9th
//! percentiles.
//!
//! A last measure, (d), is an oracle: the rest's own prediction error under a covariance fit on
//! the rest itself over the fit segment AND the window (non-causal, in-sample), against the
//! stroke's error through that filter: about how far any linear predictor of that order and span
//! (an adaptive one included) could cancel the rest.
//!
//! Measured (2 seeds x 5 kits, the same 629 snare strokes as `buried_strokes`, of which the
//! default detector misses 104 ghosts, 123 roll strokes and 2 flam graces; 5,000 no-stroke times;
//! 1,257 other pieces' strokes; 27 settings in about 30 s). The best setting, 70 Hz-1 kHz, order
//! 16, covariance fit on 40 ms (3 ms window; missed ghosts | missed roll strokes):
//! - (a) -10.7 | -3.1 dB (share at 0 / +6 dB: 0.13 / 0.05 | 0.39 / 0.11); `buried_strokes`'
//!   4th-order band says -9.4 | -2.0.
//! - (b) -3.5 | +3.1 dB (0.37 / 0.19 | 0.70 / 0.40): the rest's prediction error is 7 and 6 dB
//!   under the rest. But the predictor cancels the stroke nearly as much (same drum, same
//!   modes): (b') -8.6 | -2.8 dB, only 2 dB and 0.3 dB better than (a). The oracle (d) is
//!   -7.9 | -1.7 dB: a fit that knows the rest in the window gains 0.7 and 1.1 dB more, so a
//!   better-fitted (adaptive) predictor cannot close the gap. The exponentially weighted fit
//!   (RLS's solution, 10 ms forgetting) gives -8.8 | -3.4 dB (b'), margins -3.7 | -3.2 dB.
//! - (c) medians 0.2 | 0.6 dB, no-stroke median -1.4, p99 3.4, p99.9 5.3 dB: margin -3.2 | -2.8
//!   dB (the energy ratio (c0): -5.8 | -5.5). The brief's bar for a prototype was +6 dB: missed
//!   by 9 dB. Over the no-stroke p99.9 (1 window in 1,000, about 0.3 false alarms per second of
//!   playing, against a budget of about 0.04 per second for 2 retriggers per 100 snare hits):
//!   0.18 | 0.15 of the missed strokes (c0: 0.06 | 0.03), i.e. about 38 of the 229 missed
//!   strokes, recall 0.64 -> at most 0.70, for several times the retrigger budget. At other
//!   pieces' strokes (no snare within 30 ms) (c) has median 7.6 dB (c0: 2.8): more than half
//!   of them pass the p99.9, so the prediction error also fires on far more bleed.
//! - The other settings lie within 2.5 dB of it: order 8-32, fit 10-40 ms (10 ms is worst:
//!   margins -5.0 to -5.7 dB), autocorrelation or covariance, 150 Hz-1 kHz (margins -3.8 |
//!   -2.9 dB at order 16, 40 ms). A 10 ms window (reference 70 ms): (b') -4.0 | -0.4 dB, margin
//!   -2.2 | -1.4 dB (c0: -4.6 | -2.0), 0.23 | 0.15 over the no-stroke p99.9.
//!
//! So no: the low band's ringing is largely predictable (6-7 dB of prediction gain), but the new
//! stroke of the same snare is predicted away with it, and what is left of a missed ghost in the
//! error sits about 8 dB under what is left of the rest. Not prototyped as a detection band.
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use timbrel_core::analysis::AnalysisSettings;
use timbrel_core::biquad::{Biquad, BUTTERWORTH_Q};
use timbrel_host_tests::kit::groove::{plan, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::Kit;
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS};
use timbrel_host_tests::kit::render::{alone, render};
use timbrel_host_tests::kit::score::{detect, Matching, TOLERANCE_MS};
use timbrel_host_tests::kit::truth::STROKE_KINDS;
use timbrel_host_tests::signal::Rng;

/// Sample rate of the renders, in Hz.
const RATE: f32 = 44100.0;
/// Decimation factor of the band (44.1 kHz / 16 = 2,756 Hz).
const DECIMATION: usize = 16;
/// Lower edges of the bands tried, in Hz.
const LOWS: [f32; 2] = [70.0, 150.0];
/// Upper edge of the bands, in Hz.
const HIGH_HZ: f32 = 1000.0;
/// Q of the four sections of an 8th-order Butterworth low-pass.
const BUTTERWORTH8_Q: [f32; 4] = [0.5098, 0.6013, 0.9000, 2.5629];
/// Default length of the window from the onset, in ms.
const WINDOW_MS: f32 = 3.0;
/// Blocks of the window's length in the detection function's reference (7 x 2.9 ms = 20.3 ms).
const REFERENCE_BLOCKS: usize = 7;
/// No-stroke times keep this far from every stroke of every piece, in ms.
const CLEAR_MS: f32 = 30.0;
/// Random no-stroke times tried per take.
const RANDOM_PER_TAKE: usize = 500;
/// Kinds of stroke, by tag.
const KINDS: [&str; 4] = ["ghost", "roll", "grace", "other"];

/// How the predictor is fitted.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    /// Hann-windowed autocorrelation and Levinson's recursion (always stable).
    Autocorrelation,
    /// Least squares over the fit segment (no window; a Cholesky solve with a small ridge).
    Covariance,
    /// Least squares with rows weighted by `exp(-age / EXPONENTIAL_MS)`: the solution an RLS
    /// predictor with that forgetting holds at the segment's end.
    Exponential,
}

/// Time constant of [`Method::Exponential`]'s weighting, in ms.
const EXPONENTIAL_MS: f32 = 10.0;

/// One predictor setting.
#[derive(Clone, Copy, Debug)]
struct Config {
    /// Index into [`LOWS`].
    band: usize,
    /// Predictor order.
    order: usize,
    /// Fit segment, in ms.
    fit_ms: f32,
    /// Fit method.
    method: Method,
}

impl Config {
    /// The fit segment's length, in decimated samples.
    fn fit_len(&self) -> usize {
        (self.fit_ms * 0.001 * RATE / DECIMATION as f32).round() as usize
    }
}

/// `x` band-passed ([`LOWS`]`[band]` to [`HIGH_HZ`]) and decimated by [`DECIMATION`].
fn band_decimated(x: &[f32], lo: f32) -> Vec<f32> {
    let mut f = vec![
        Biquad::highpass(lo, BUTTERWORTH_Q, RATE),
        Biquad::highpass(lo, BUTTERWORTH_Q, RATE),
    ];
    f.extend(
        BUTTERWORTH8_Q
            .iter()
            .map(|&q| Biquad::lowpass(HIGH_HZ, q, RATE)),
    );
    x.iter()
        .enumerate()
        .filter_map(|(i, &v)| {
            let y = f.iter_mut().fold(v, |v, b| b.process(v));
            (i % DECIMATION == 0).then_some(y)
        })
        .collect()
}

/// The prediction-error filter `a` (a[0] = 1; e[n] = sum a[k] x[n-k]) fitted on `seg`.
fn fit(seg: &[f32], order: usize, method: Method) -> Vec<f64> {
    let n = seg.len();
    let mut a = vec![0.0f64; order + 1];
    a[0] = 1.0;
    match method {
        Method::Autocorrelation => {
            let w: Vec<f64> = seg
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let h = 0.5
                        - 0.5 * (2.0 * std::f64::consts::PI * (i as f64 + 0.5) / n as f64).cos();
                    v as f64 * h
                })
                .collect();
            let r: Vec<f64> = (0..=order)
                .map(|k| (k..n).map(|i| w[i] * w[i - k]).sum())
                .collect();
            let mut err = r[0] * (1.0 + 1e-6) + 1e-30;
            for i in 1..=order {
                let acc: f64 = r[i] + (1..i).map(|j| a[j] * r[i - j]).sum::<f64>();
                let k = -acc / err;
                let prev = a.clone();
                for j in 1..i {
                    a[j] = prev[j] + k * prev[i - j];
                }
                a[i] = k;
                err *= 1.0 - k * k;
                if err <= 0.0 {
                    break;
                }
            }
        }
        Method::Covariance | Method::Exponential => {
            let tau = (EXPONENTIAL_MS * 0.001 * RATE / DECIMATION as f32) as f64;
            let mut phi = DMatrix::<f64>::zeros(order, order);
            let mut psi = DVector::<f64>::zeros(order);
            for t in order..n {
                let weight = if method == Method::Exponential {
                    (-((n - 1 - t) as f64) / tau).exp()
                } else {
                    1.0
                };
                for j in 0..order {
                    let xj = weight * seg[t - 1 - j] as f64;
                    psi[j] += seg[t] as f64 * xj;
                    for k in 0..=j {
                        phi[(j, k)] += xj * seg[t - 1 - k] as f64;
                    }
                }
            }
            for j in 0..order {
                for k in 0..j {
                    phi[(k, j)] = phi[(j, k)];
                }
            }
            let ridge = 1e-5 * phi.trace() / order as f64 + 1e-30;
            for j in 0..order {
                phi[(j, j)] += ridge;
            }
            if let Some(ch) = phi.cholesky() {
                let c = ch.solve(&psi);
                for j in 0..order {
                    a[j + 1] = -c[j];
                }
            }
        }
    }
    a
}

/// Energy of `s`'s prediction error through `a` over `from..to` (`from` >= the order).
fn error_energy(a: &[f64], s: &[f32], from: usize, to: usize) -> f64 {
    (from..to)
        .map(|n| {
            let e: f64 = a
                .iter()
                .enumerate()
                .map(|(k, &ak)| ak * s[n - k] as f64)
                .sum();
            e * e
        })
        .sum()
}

/// Energy of `s` over `from..to`.
fn energy(s: &[f32], from: usize, to: usize) -> f64 {
    s[from..to].iter().map(|&v| (v as f64).powi(2)).sum()
}

/// `10 log10(num / den)`, in dB.
fn db(num: f64, den: f64) -> f32 {
    (10.0 * (num.max(1e-30) / den.max(1e-30)).log10()) as f32
}

/// History a detection at a decimated index needs, in decimated samples.
fn history(cfg: &Config, w: usize) -> usize {
    REFERENCE_BLOCKS * w + cfg.fit_len() + cfg.order + 1
}

/// The detection functions (c) and (c0) at decimated index `k0` of the band `mix`, in dB.
fn detection(cfg: &Config, mix: &[f32], k0: usize, w: usize) -> (f32, f32) {
    let l = cfg.fit_len();
    let block = |start: usize| {
        let a = fit(&mix[start - l..start], cfg.order, cfg.method);
        error_energy(&a, mix, start, start + w)
    };
    let now = block(k0);
    let past: f64 = (1..=REFERENCE_BLOCKS)
        .map(|j| block(k0 - j * w))
        .sum::<f64>()
        / REFERENCE_BLOCKS as f64;
    let plain_now = energy(mix, k0, k0 + w);
    let plain_past = energy(mix, k0 - REFERENCE_BLOCKS * w, k0) / REFERENCE_BLOCKS as f64;
    (db(now, past), db(plain_now, plain_past))
}

/// One target stroke under one config: (a), (b), (b'), (c), (c0), (d), in dB.
type Measures = [f32; 6];

/// One target stroke: its kind (index into [`KINDS`]), found or not, measures per config.
struct Row {
    kind: usize,
    found: bool,
    measures: Vec<Measures>,
}

/// (c) and (c0) per config, then per time, in dB.
type PerConfig = Vec<Vec<(f32, f32)>>;

/// What one take gives: target strokes, then (c, c0) per config at no-stroke times and at other
/// pieces' strokes.
struct TakeRows {
    strokes: Vec<Row>,
    quiet: PerConfig,
    others: PerConfig,
}

/// Measures every stroke of one take (kit, seed) under every config.
fn measure_take(kit: &Kit, seed: u64, configs: &[Config], window_ms: f32) -> TakeRows {
    let spec = GrooveSpec::default();
    let (mix, strokes) = plan(kit, Target::Kit, &spec, seed);
    let take = render(mix.clone(), &strokes);
    let det = detect(&take.audio, RATE, AnalysisSettings::default(), seed);
    let tolerance = (TOLERANCE_MS * 0.001 * RATE) as u64;
    let matching = Matching::new(&det, &take.events, tolerance);
    let w_full = (window_ms * 0.001 * RATE) as usize;
    let w = w_full.div_ceil(DECIMATION);
    let bands: Vec<Vec<f32>> = LOWS
        .iter()
        .map(|&lo| band_decimated(&take.audio, lo))
        .collect();
    let need = configs.iter().map(|c| history(c, w)).max().unwrap_or(0);
    let len = bands[0].len();
    let mut rows = Vec::new();
    for s in strokes.iter().filter(|s| s.event.target) {
        let ev = &s.event;
        let o = ev.onset as usize;
        let k0 = o.div_ceil(DECIMATION);
        if k0 < need || k0 + w >= len {
            continue;
        }
        let kind = ev.tags.stroke_kind().unwrap_or(STROKE_KINDS.len());
        let e = take
            .events
            .iter()
            .position(|x| x.target && x.onset == ev.onset)
            .expect("the take holds every stroke");
        let alone_full = alone(&mix, s, o + w_full + DECIMATION);
        let alones: Vec<Vec<f32>> = LOWS
            .iter()
            .map(|&lo| {
                let mut a = band_decimated(&alone_full, lo);
                a.resize(len, 0.0);
                a
            })
            .collect();
        let measures = configs
            .iter()
            .map(|cfg| {
                let (full, alone) = (&bands[cfg.band], &alones[cfg.band]);
                // The rest from the predictor's first input to the window's end.
                let p = cfg.order;
                let rest: Vec<f32> = (k0 - p..k0 + w).map(|i| full[i] - alone[i]).collect();
                let own = energy(alone, k0, k0 + w);
                let a = fit(&full[k0 - cfg.fit_len()..k0], p, cfg.method);
                let rest_e = error_energy(&a, &rest, p, p + w);
                let own_e = error_energy(&a, alone, k0, k0 + w);
                let (c, c0) = detection(cfg, full, k0, w);
                // The oracle: a covariance fit on the rest itself, window included.
                let l = cfg.fit_len();
                let oracle_seg: Vec<f32> =
                    (k0 - l - p..k0 + w).map(|i| full[i] - alone[i]).collect();
                let ao = fit(&oracle_seg, p, Method::Covariance);
                let rest_o = error_energy(&ao, &oracle_seg, l + p, l + p + w);
                let own_o = error_energy(&ao, alone, k0, k0 + w);
                [
                    db(own, energy(&rest, p, p + w)),
                    db(own, rest_e),
                    db(own_e, rest_e),
                    c,
                    c0,
                    db(own_o, rest_o),
                ]
            })
            .collect();
        rows.push(Row {
            kind,
            found: matching.event_detection[e].is_some(),
            measures,
        });
    }
    let clear = (CLEAR_MS * 0.001 * RATE) as i64;
    let near = |t: i64, target_only: bool| {
        take.events
            .iter()
            .any(|x| (!target_only || x.target) && (x.onset as i64 - t).abs() <= clear)
    };
    let mut rng = Rng::new(seed ^ 0x9e1c_0de5);
    let mut quiet_k = Vec::new();
    for _ in 0..RANDOM_PER_TAKE * 20 {
        if quiet_k.len() == RANDOM_PER_TAKE {
            break;
        }
        let k0 = need + (rng.unit() * (len - need - w - 1) as f32) as usize;
        if !near((k0 * DECIMATION) as i64, false) {
            quiet_k.push(k0);
        }
    }
    let other_k: Vec<usize> = take
        .events
        .iter()
        .filter(|x| !x.target && !near(x.onset as i64, true))
        .map(|x| (x.onset as usize).div_ceil(DECIMATION))
        .filter(|&k0| k0 >= need && k0 + w < len)
        .collect();
    let at = |ks: &[usize]| -> PerConfig {
        configs
            .iter()
            .map(|cfg| {
                ks.iter()
                    .map(|&k| detection(cfg, &bands[cfg.band], k, w))
                    .collect()
            })
            .collect()
    };
    TakeRows {
        strokes: rows,
        quiet: at(&quiet_k),
        others: at(&other_k),
    }
}

/// The `q`-quantile (0..1) of `v` (sorted in place).
fn quantile(v: &mut [f32], q: f32) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[((v.len() - 1) as f32 * q).round() as usize]
}

/// The configs of `ARGS` (`all`, the default, or `quick`).
fn configs(which: &str) -> Vec<Config> {
    let mut v = Vec::new();
    let (bands, orders, fits): (&[usize], &[usize], &[f32]) = if which == "quick" {
        (&[0], &[16], &[20.0])
    } else {
        (&[0, 1], &[8, 16, 32], &[10.0, 20.0, 40.0])
    };
    for &band in bands {
        for &order in orders {
            for &fit_ms in fits {
                v.push(Config {
                    band,
                    order,
                    fit_ms,
                    method: Method::Autocorrelation,
                });
            }
        }
    }
    for &order in orders {
        for &fit_ms in fits {
            let cfg = Config {
                band: bands[0],
                order,
                fit_ms,
                method: Method::Covariance,
            };
            if cfg.fit_len() >= 3 * order {
                v.push(cfg);
            }
        }
        v.push(Config {
            band: bands[0],
            order,
            fit_ms: fits[fits.len() - 1],
            method: Method::Exponential,
        });
    }
    v
}

fn main() {
    if drumkits_or_skip("predicted_rest").is_none() {
        return;
    }
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(2);
    let which = args.next().unwrap_or_else(|| "all".into());
    let window_ms: f32 = args
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(WINDOW_MS);
    let configs = configs(&which);
    let kits = kits(&GROOVE_KITS, RATE).expect("kits load");
    let jobs: Vec<(usize, u64)> = (0..kits.len())
        .flat_map(|k| (1..1 + seeds).map(move |s| (k, s)))
        .collect();
    let takes: Vec<TakeRows> = jobs
        .par_iter()
        .map(|&(k, s)| measure_take(&kits[k], s, &configs, window_ms))
        .collect();
    let rows: Vec<&Row> = takes.iter().flat_map(|t| &t.strokes).collect();
    println!(
        "{} snare strokes, {} kits x {seeds} seeds at {RATE} Hz, decimated by {DECIMATION}, \
         window {window_ms} ms, reference {REFERENCE_BLOCKS} blocks",
        rows.len(),
        GROOVE_KITS.len()
    );
    println!(
        "per kind: n, median (a) (b) (b') (d) dB, share of (a) and (b) >= 0 / +6 dB, median (c) \
         (c0) dB, margin of (c) and (c0) over the no-stroke p99, share of (c) and (c0) over the \
         no-stroke p99 and p99.9"
    );
    for (i, cfg) in configs.iter().enumerate() {
        let pool = |f: &dyn Fn(&TakeRows) -> &PerConfig| -> (Vec<f32>, Vec<f32>) {
            takes.iter().flat_map(|t| f(t)[i].iter().cloned()).unzip()
        };
        let (mut qc, mut qc0) = pool(&|t| &t.quiet);
        let (mut oc, mut oc0) = pool(&|t| &t.others);
        let (q99, q99_0) = (quantile(&mut qc, 0.99), quantile(&mut qc0, 0.99));
        let (q999, q999_0) = (quantile(&mut qc, 0.999), quantile(&mut qc0, 0.999));
        println!(
            "{:.0} Hz-1 kHz, order {}, fit {} ms, {:?}: no-stroke (n={}) (c) p50 {:.1} p99 {:.1} \
             p99.9 {:.1}, (c0) p50 {:.1} p99 {:.1} p99.9 {:.1}; other pieces (n={}) (c) p50 \
             {:.1} p90 {:.1}, (c0) p50 {:.1} p90 {:.1}",
            LOWS[cfg.band],
            cfg.order,
            cfg.fit_ms,
            cfg.method,
            qc.len(),
            quantile(&mut qc, 0.5),
            q99,
            q999,
            quantile(&mut qc0, 0.5),
            q99_0,
            q999_0,
            oc.len(),
            quantile(&mut oc, 0.5),
            quantile(&mut oc, 0.9),
            quantile(&mut oc0, 0.5),
            quantile(&mut oc0, 0.9),
        );
        for (kind, name) in KINDS.iter().enumerate() {
            for found in [false, true] {
                let sel: Vec<&Measures> = rows
                    .iter()
                    .filter(|r| r.kind == kind && r.found == found)
                    .map(|r| &r.measures[i])
                    .collect();
                if sel.is_empty() {
                    continue;
                }
                let med = |m: usize| {
                    let mut v: Vec<f32> = sel.iter().map(|x| x[m]).collect();
                    quantile(&mut v, 0.5)
                };
                let share = |m: usize, x: f32| {
                    sel.iter().filter(|v| v[m] >= x).count() as f32 / sel.len() as f32
                };
                let over = |m: usize, x: f32| {
                    sel.iter().filter(|v| v[m] >= x).count() as f32 / sel.len() as f32
                };
                let label = if found { "found" } else { "missed" };
                println!(
                    "  {name:5} {label:6} n={:4}: a {:6.1} b {:6.1} b' {:6.1} d {:6.1} | a {:.2} / \
                     {:.2} b {:.2} / {:.2} | c {:5.1} c0 {:5.1} | margin {:+5.1} {:+5.1} | over \
                     p99 {:.2} {:.2}, p99.9 {:.2} {:.2}",
                    sel.len(),
                    med(0),
                    med(1),
                    med(2),
                    med(5),
                    share(0, 0.0),
                    share(0, 6.0),
                    share(1, 0.0),
                    share(1, 6.0),
                    med(3),
                    med(4),
                    med(3) - q99,
                    med(4) - q99_0,
                    over(3, q99),
                    over(4, q99_0),
                    over(3, q999),
                    over(4, q999_0)
                );
            }
        }
    }
}
