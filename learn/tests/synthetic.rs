//! Goal tests on the seeded membrane synthesizer: train on 40 centre and 40 edge snare hits,
//! test on held-out hits over the whole head and on sounds that are not the snare.

use timbrel_learn::novelty::NoveltyMetric;
use timbrel_learn::synthetic::{self, SynthHit, SynthSpec};
use timbrel_learn::{train, Model, ModelKind, Prediction, TrainConfig};

const WINDOWS: [u32; 2] = [256, 512];

struct Corpus {
    center: Vec<SynthHit>,
    edge: Vec<SynthHit>,
    test: Vec<SynthHit>,
    other: Vec<SynthHit>,
}

fn corpus() -> Corpus {
    let spec = SynthSpec::default();
    let (center, m1) = synthetic::snare_hits(40, (0.0, 0.15), &spec, &WINDOWS, 1);
    let (edge, m2) = synthetic::snare_hits(40, (0.8, 0.95), &spec, &WINDOWS, 2);
    let (test, m3) = synthetic::snare_hits(200, (0.0, 0.95), &spec, &WINDOWS, 3);
    let other = synthetic::other_sounds(12, &spec, &WINDOWS, 4);
    eprintln!("corpus: analyzer missed {} of {} snare hits; {} other sounds", m1 + m2 + m3, 280 + m1 + m2 + m3, other.len());
    Corpus { center, edge, test, other }
}

struct Scores {
    accuracy: f64,
    rho_r: f64,
    rho_v: f64,
    naive_rho: f64,
    ood_rejected: f64,
    in_rejected: f64,
}

fn score(model: &Model, c: &Corpus, w: usize) -> Scores {
    let mut p = Prediction::default();
    let (mut correct, mut total) = (0, 0);
    let (mut interp, mut radius, mut velocity, mut naive) = (vec![], vec![], vec![], vec![]);
    let mean = |hits: &[SynthHit]| -> Vec<f64> {
        (0..hits[0].descriptors[w].len()).map(|j| hits.iter().map(|h| h.descriptors[w][j] as f64).sum::<f64>() / hits.len() as f64).collect()
    };
    let (ma, mb) = (mean(&c.center), mean(&c.edge));
    let mut rejected = 0;
    for h in &c.test {
        model.classify(&h.descriptors[w], &mut p);
        let r = h.radius().unwrap();
        if r <= 0.15 || r >= 0.8 {
            total += 1;
            correct += usize::from((p.best_class == 0) == (r <= 0.15));
        }
        rejected += usize::from(p.is_unknown());
        interp.push(p.interpolation as f64);
        radius.push(r as f64);
        velocity.push(h.velocity().unwrap() as f64);
        naive.push(synthetic::naive_ratio(&h.descriptors[w], &ma, &mb));
    }
    let ood = c
        .other
        .iter()
        .filter(|h| {
            model.classify(&h.descriptors[w], &mut p);
            p.is_unknown()
        })
        .count();
    Scores {
        accuracy: correct as f64 / total as f64,
        rho_r: synthetic::spearman(&interp, &radius),
        rho_v: synthetic::spearman(&interp, &velocity),
        naive_rho: synthetic::spearman(&naive, &radius),
        ood_rejected: ood as f64 / c.other.len() as f64,
        in_rejected: rejected as f64 / c.test.len() as f64,
    }
}

#[test]
fn goals_on_the_synthetic_membrane() {
    let c = corpus();
    for (w, window) in WINDOWS.iter().enumerate() {
        let data = synthetic::center_edge_dataset(&c.center, &c.edge, w);
        for kind in [ModelKind::Auto, ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
            let cfg = TrainConfig { kind, ..TrainConfig::default() };
            let model = train(&data, &cfg).unwrap();
            let s = score(&model, &c, w);
            let ch = model.report().chosen();
            eprintln!(
                "window {window} {kind:?}->{:?}: acc {:.3} rho(r) {:.3} (naive {:.3}) rho(v) {:.3} ood-rej {:.3} in-rej {:.3} cv-acc {:.3} ece {:.3} T {:.2} thr {:.2}",
                model.kind(), s.accuracy, s.rho_r, s.naive_rho, s.rho_v, s.ood_rejected, s.in_rejected, ch.accuracy, ch.ece, ch.temperature, model.unknown_threshold()
            );
        }
    }
}

#[test]
#[ignore]
fn debug_novelty() {
    let c = corpus();
    for (w, metric) in [(0, NoveltyMetric::Diagonal), (0, NoveltyMetric::Both), (1, NoveltyMetric::Diagonal)] {
        let data = synthetic::center_edge_dataset(&c.center, &c.edge, w);
        let model = train(&data, &TrainConfig { kind: ModelKind::Lda, novelty_metric: metric, ..Default::default() }).unwrap();
        eprintln!("{metric:?} window {w} threshold {}", model.unknown_threshold());
        let mut p = Prediction::default();
        for h in &c.other {
            model.classify(&h.descriptors[w], &mut p);
            eprint!("{:?}:{:.1} ", h.sound, p.novelty);
        }
        eprintln!();
        let mut top: Vec<(f32, String)> = c.test.iter().map(|h| { model.classify(&h.descriptors[w], &mut p); (p.novelty, format!("{:?} bleed {} lvl {:.0}", h.sound, h.bleed, h.level_dbfs)) }).collect();
        top.sort_by(|a, b| b.0.total_cmp(&a.0));
        for t in &top[..8] { eprintln!("  {:.2} {}", t.0, t.1); }
        let mut nov: Vec<f32> = c.test.iter().map(|h| { model.classify(&h.descriptors[w], &mut p); p.novelty }).collect();
        nov.sort_by(f32::total_cmp);
        eprintln!("in-dist novelty quantiles 50/90/98/100: {:.2} {:.2} {:.2} {:.2}", nov[100], nov[180], nov[196], nov[199]);
        for h in &c.test {
            model.classify(&h.descriptors[w], &mut p);
            if h.radius().unwrap() > 0.35 && h.radius().unwrap() < 0.6 { eprint!("r{:.2}:c{:.2} ", h.radius().unwrap(), p.confidence); }
        }
        eprintln!();
    }
}
