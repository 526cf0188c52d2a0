//! Project tasks: `cargo xtask bundle timbrel --release` (bundling, from nice-plug-xtask) and
//! `cargo xtask install`, which bundles, installs the plug-ins into the user's plug-in folders and
//! runs Timbrel's main job with its command-line tool on the demo performance, and
//! `cargo xtask demo-assets`, which renders that performance.

use std::path::{Path, PathBuf};

mod demo;

/// The package that holds the plugin, and the display name of its bundles.
const PACKAGE: &str = "timbrel";
const BUNDLE_NAME: &str = "Timbrel";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("install") => install(args.collect()),
        Some("demo-assets") => demo::write_assets(),
        Some("demo") => demo::run_main_job(),
        Some(other) => nice_plug_xtask::main_with_args(
            "cargo xtask",
            std::iter::once(other.to_owned()).chain(args),
        ),
        None => {
            eprintln!(
                "Usage:\n  cargo xtask bundle timbrel --release   build target/bundled/{BUNDLE_NAME}.clap and .vst3\n  \
                 cargo xtask install [--no-demo]         bundle, install into the user's plug-in folders, run the demo\n  \
                 cargo xtask demo                        only run the main job on the demo performance\n  \
                 cargo xtask demo-assets                 re-render assets/demo-performance.wav with the synthesizer\n"
            );
            nice_plug_xtask::main_with_args("cargo xtask", std::iter::empty::<String>())
        }
    }
}

/// Bundles the plugin in release mode, copies the bundles into the user's CLAP and VST3 folders,
/// then runs Timbrel's main job on the demo performance (see [`demo::run_main_job`]).
fn install(args: Vec<String>) -> anyhow::Result<()> {
    let run_demo = !args.iter().any(|a| a == "--no-demo");
    nice_plug_xtask::main_with_args(
        "cargo xtask",
        ["bundle", PACKAGE, "--release"].map(String::from),
    )?;
    // main_with_args changed into the workspace root.
    let bundled = PathBuf::from("target/bundled");
    let (clap_dir, vst3_dir) = plugin_folders()?;
    for (name, dir) in [
        (format!("{BUNDLE_NAME}.clap"), clap_dir),
        (format!("{BUNDLE_NAME}.vst3"), vst3_dir),
    ] {
        let from = bundled.join(&name);
        let to = dir.join(&name);
        std::fs::create_dir_all(&dir)?;
        copy_replacing(&from, &to)?;
        println!("Installed {}", to.display());
    }
    if run_demo {
        demo::run_main_job()?;
    }
    Ok(())
}

/// The user's CLAP and VST3 plug-in folders on this platform.
fn plugin_folders() -> anyhow::Result<(PathBuf, PathBuf)> {
    if cfg!(target_os = "windows") {
        let common = std::env::var("COMMONPROGRAMFILES")
            .map_err(|_| anyhow::anyhow!("COMMONPROGRAMFILES is not set"))?;
        let local = std::env::var("LOCALAPPDATA")
            .map_err(|_| anyhow::anyhow!("LOCALAPPDATA is not set"))?;
        // NOTE: CLAP has a per-user folder on Windows; VST3's is system-wide.
        Ok((
            PathBuf::from(local).join("Programs/Common/CLAP"),
            PathBuf::from(common).join("VST3"),
        ))
    } else {
        let home = std::env::var("HOME").map_err(|_| anyhow::anyhow!("HOME is not set"))?;
        let home = PathBuf::from(home);
        if cfg!(target_os = "macos") {
            let plugins = home.join("Library/Audio/Plug-Ins");
            Ok((plugins.join("CLAP"), plugins.join("VST3")))
        } else {
            Ok((home.join(".clap"), home.join(".vst3")))
        }
    }
}

/// Copies a file or a bundle directory to `to`, replacing what was there.
fn copy_replacing(from: &Path, to: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        from.exists(),
        "{} does not exist; did bundling fail?",
        from.display()
    );
    if to.is_dir() {
        std::fs::remove_dir_all(to)?;
    } else if to.exists() {
        std::fs::remove_file(to)?;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_replacing(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(from, to)?;
    }
    Ok(())
}
