use timbrel_core::biquad::Biquad;
use timbrel_core::synth::{Performance, PerformanceSpec};
fn main() {
    let args: Vec<f32> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (sr, seed) = (args[0], args[1] as u64);
    let audio = Performance::generate(PerformanceSpec::default(), seed).render(sr);
    let mut hp = Biquad::highpass(1000.0, 0.7071, sr);
    let y: Vec<f32> = audio.iter().map(|&x| hp.process(x)).collect();
    let (a, b) = ((args[2] * sr) as usize, (args[3] * sr) as usize);
    for i in (a..b).step_by(16) { let r = (y[i..i+16].iter().map(|v| v*v).sum::<f32>()/16.0).sqrt(); println!("{:.5} {:.1} dB", i as f32 / sr, 20.0*r.log10()); }
}
