//! Prints training and classification timings: `cargo run -p timbrel-learn --release --example bench`.

fn main() {
    for n in [100, 500] {
        let r = timbrel_learn::bench::bench(n, 3);
        println!("{r:#?}");
    }
}
