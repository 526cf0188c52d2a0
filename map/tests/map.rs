//! End-to-end tests of the map on a seeded synthetic collection written to a temp dir.
#![cfg(feature = "collection")]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use timbrel_map::describe::DescribeSettings;
use timbrel_map::synthetic::{write_collection, KINDS};
use timbrel_map::{
    ClusterCount, ClusterSpace, Collection, FeatureSet, MapOptions, Method, SampleMap,
};

const PER_KIND: usize = 30;

/// The synthetic collection (5 drum types × 30 one-shots) plus three bad files, described once.
fn collection() -> &'static (tempfile::TempDir, Collection) {
    static C: OnceLock<(tempfile::TempDir, Collection)> = OnceLock::new();
    C.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("samples");
        write_collection(&root, KINDS.len(), PER_KIND, 42).unwrap();
        // Bad files: garbage with a .wav name, an empty .flac, a dangling symlink.
        std::fs::create_dir_all(root.join("broken")).unwrap();
        std::fs::write(
            root.join("broken/garbage.wav"),
            b"this is not a RIFF file at all",
        )
        .unwrap();
        std::fs::write(root.join("broken/empty.flac"), b"").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("missing.wav"), root.join("broken/dangling.wav"))
            .unwrap();
        let c = Collection::load(&root, &DescribeSettings::default(), |_| {}, &|| {}).unwrap();
        (dir, c)
    })
}

fn map(options: MapOptions) -> SampleMap {
    SampleMap::build(&collection().1, &options).unwrap()
}

#[test]
fn clusters_recover_the_drum_types() {
    let c = &collection().1;
    assert_eq!(c.files.len(), KINDS.len() * PER_KIND);
    assert_eq!(c.labels.len(), KINDS.len());
    let detected = c.descriptions.iter().filter(|d| d.detected).count();
    println!("{detected}/{} files had a detected hit", c.files.len());
    for method in [Method::Umap, Method::Pca] {
        for spherical in [false, true] {
            let m = map(MapOptions {
                method,
                clusters: ClusterCount::Fixed(KINDS.len()),
                spherical,
                seed: 3,
                ..MapOptions::default()
            });
            println!("{method:?} spherical={spherical}\n{}", m.report(c));
            assert!(
                m.quality.contingency.purity >= 0.9,
                "purity {}",
                m.quality.contingency.purity
            );
        }
    }
    // NOTE: silhouette in the 50-d feature space prefers the coarse split (bright/noisy vs low
    // drums, k = 2); on the 2-D map it finds the islands. The synthetic cymbal and hat (both
    // noise-like) share one island, so auto finds 4 groups there.
    let auto = map(MapOptions {
        clusters: ClusterCount::AUTO,
        seed: 3,
        ..MapOptions::default()
    });
    println!("auto in the feature space\n{}", auto.report(c));
    let auto = map(MapOptions {
        clusters: ClusterCount::AUTO,
        cluster_space: ClusterSpace::Map,
        seed: 3,
        ..MapOptions::default()
    });
    println!("auto on the map\n{}", auto.report(c));
    assert!(
        (4..=6).contains(&auto.clustering.k),
        "auto k {}",
        auto.clustering.k
    );
    assert!(
        auto.quality.contingency.purity >= 0.75,
        "auto purity {}",
        auto.quality.contingency.purity
    );
    let sil = auto.quality.silhouette_labels.unwrap();
    assert!(sil > 0.1, "silhouette by folder {sil}");
}

#[test]
fn tsne_and_learned_features_work() {
    let c = &collection().1;
    let t = map(MapOptions {
        method: Method::Tsne,
        clusters: ClusterCount::Fixed(5),
        seed: 1,
        ..MapOptions::default()
    });
    println!("tsne\n{}", t.report(c));
    assert!(t
        .positions
        .iter()
        .all(|p| p[0].is_finite() && p[1].is_finite()));
    let l = map(MapOptions {
        features: FeatureSet::Learned,
        clusters: ClusterCount::Fixed(5),
        seed: 1,
        ..MapOptions::default()
    });
    println!("learned\n{}", l.report(c));
    assert_eq!(l.space.cols, 12);
    let scores = timbrel_map::evaluate_features(c, 1).unwrap();
    for s in &scores {
        println!("{s:?}");
    }
    assert!(scores[0].knn_accuracy > 0.9, "{:?}", scores[0]);
}

#[test]
fn unreadable_files_are_skipped_with_a_warning() {
    let c = &collection().1;
    println!("{:#?}", c.warnings);
    for name in ["garbage.wav", "empty.flac"] {
        assert!(
            c.warnings.iter().any(|w| w.contains(name)),
            "no warning for {name}: {:?}",
            c.warnings
        );
    }
    #[cfg(unix)]
    assert!(
        c.warnings.iter().any(|w| w.contains("dangling.wav")),
        "{:?}",
        c.warnings
    );
    assert!(c.files.iter().all(|f| f.label != "broken"));
}

#[test]
fn same_seed_same_map() {
    for method in [Method::Umap, Method::Tsne] {
        let o = MapOptions {
            method,
            seed: 11,
            clusters: ClusterCount::AUTO,
            ..MapOptions::default()
        };
        let (a, b) = (map(o), map(o));
        assert_eq!(a.positions, b.positions, "{method:?}");
        assert_eq!(a.clustering.labels, b.clustering.labels, "{method:?}");
        // And a fresh describe of the same folder gives the same descriptors.
    }
    let root = &collection().1.root;
    let again = Collection::load(root, &DescribeSettings::default(), |_| {}, &|| {}).unwrap();
    assert_eq!(again.descriptions, collection().1.descriptions);
}

/// Percent-decodes a URL path.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn html_is_self_contained_with_every_point_and_relative_paths() {
    let (dir, c) = collection();
    let m = map(MapOptions {
        seed: 5,
        ..MapOptions::default()
    });
    let out_dir: PathBuf = dir.path().join("out/deeper");
    std::fs::create_dir_all(&out_dir).unwrap();
    let path = out_dir.join("map.html");
    timbrel_map::html::write(c, &m, &path).unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    for needle in [
        "http://",
        "https://",
        "<script src",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(
            !html.contains(needle),
            "HTML refers to an external resource: {needle}"
        );
    }
    let start =
        html.find(r#"type="application/json">"#).unwrap() + r#"type="application/json">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let n = c.files.len();
    for key in ["x", "y", "name", "folder", "cluster", "src"] {
        assert_eq!(data[key].as_array().unwrap().len(), n, "{key}");
    }
    assert_eq!(
        data["vec"]["b64"].as_str().unwrap().len(),
        (n * data["vec"]["dims"].as_u64().unwrap() as usize).div_ceil(3) * 4
    );
    for (i, src) in data["src"].as_array().unwrap().iter().enumerate() {
        let rel = src.as_str().unwrap();
        assert!(rel.starts_with("../../samples/"), "{rel}");
        let resolved = out_dir.join(url_decode(rel));
        assert!(resolved.is_file(), "{} does not exist", resolved.display());
        assert_eq!(
            std::fs::canonicalize(&resolved).unwrap(),
            std::fs::canonicalize(&c.files[i].path).unwrap()
        );
    }
}

#[test]
fn png_is_written_and_not_trivial() {
    let (dir, c) = collection();
    let m = map(MapOptions {
        seed: 5,
        ..MapOptions::default()
    });
    let path = dir.path().join("map.png");
    timbrel_map::png::write(c, &m, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    println!("PNG: {} bytes at {}", bytes.len(), path.display());
    assert!(bytes.len() > 20_000, "PNG only {} bytes", bytes.len());
    if let Ok(keep) = std::env::var("TIMBREL_MAP_KEEP") {
        std::fs::copy(&path, Path::new(&keep).join("test_map.png")).unwrap();
        timbrel_map::html::write(c, &m, &Path::new(&keep).join("test_map.html")).unwrap();
    }
}
