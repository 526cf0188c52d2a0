//! Prints training, classification and project-state timings:
//! `cargo run -p timbrel-learn --release --example bench` (add `state` for the state only).

fn main() {
    if std::env::args().nth(1).as_deref() != Some("state") {
        for n in [100, 500] {
            let r = timbrel_learn::bench::bench(n, 3);
            println!("{r:#?}");
        }
    }
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        let r = timbrel_learn::bench::state_bench(16, 100, rate, 5);
        println!("{r:?}");
    }
}
