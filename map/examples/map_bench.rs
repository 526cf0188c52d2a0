//! Measures the whole map pipeline on a large synthetic collection.
//!
//! ```text
//! cargo run --release -p timbrel-map --example map_bench -- DIR [N] [umap|tsne|pca] [OUT_DIR]
//! ```
//!
//! Writes N seeded one-shots (5 drum types, default 10,000) under DIR unless DIR already holds
//! them, then walks, describes, maps (default UMAP, auto clusters on the map) and writes
//! `OUT_DIR/map.html` and `OUT_DIR/map.png` (default: DIR's parent), printing every stage's
//! time. Run it under `/usr/bin/time -v` for the peak memory.

use std::path::PathBuf;
use std::time::Instant;

use timbrel_map::describe::DescribeSettings;
use timbrel_map::synthetic::{write_collection, KINDS};
use timbrel_map::{ClusterCount, ClusterSpace, Collection, MapOptions, Method, SampleMap};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .ok_or("usage: map_bench DIR [N] [umap|tsne|pca] [OUT_DIR]")?,
    );
    let n: usize = args.get(1).map_or(Ok(10_000), |s| s.parse())?;
    let method = match args.get(2).map_or("umap", String::as_str) {
        "tsne" => Method::Tsne,
        "pca" => Method::Pca,
        _ => Method::Umap,
    };
    let out_dir = args
        .get(3)
        .map_or_else(|| dir.parent().unwrap_or(&dir).to_path_buf(), PathBuf::from);
    let per_kind = n.div_ceil(KINDS.len());
    if !dir
        .join(KINDS[0])
        .join(format!("{}_{:04}.wav", KINDS[0], per_kind - 1))
        .exists()
    {
        let t = Instant::now();
        write_collection(&dir, KINDS.len(), per_kind, 1000)?;
        eprintln!("generated {n} files in {:.1} s", t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let c = Collection::load(&dir, &DescribeSettings::default(), |_| {}, &|| {})?;
    eprintln!(
        "loaded {} files in {:.1} s",
        c.files.len(),
        t.elapsed().as_secs_f64()
    );
    let options = MapOptions {
        method,
        clusters: ClusterCount::AUTO,
        cluster_space: ClusterSpace::Map,
        seed: 1,
        ..MapOptions::default()
    };
    let mut map = SampleMap::build(&c, &options)?;
    let t = Instant::now();
    timbrel_map::html::write(&c, &map, &out_dir.join("map.html"))?;
    timbrel_map::png::write(&c, &map, &out_dir.join("map.png"))?;
    map.timings.write = t.elapsed();
    print!("{}", map.report(&c));
    Ok(())
}
