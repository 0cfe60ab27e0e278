//! `cargo xtask filter` and `cargo xtask test-filter`: the proxy-wasm filter's build and tests.
//!
//! - [`build`]: `cargo build --profile wasm-release --target wasm32-unknown-unknown -p
//!   meshlb-filter` at `opt-level = "z"`, then `wasm-opt -Oz` (Debian's `binaryen`, installed
//!   with apt-get when missing) into `target/dist/meshlb_filter.wasm`, with its raw and gzip
//!   size.
//! - [`test()`]: the native CLI in release (the tests compare with `meshlb explain` and `meshlb
//!   pick`), then `node --test filter/tests/`: a proxy-wasm ABI 0.2.1 host in Node drives the
//!   `.wasm` as Envoy does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The filter's target: Envoy's V8 runs wasm32 modules without WASI.
const TARGET: &str = "wasm32-unknown-unknown";
/// Where the optimised filter goes.
const DIST: &str = "target/dist/meshlb_filter.wasm";
/// The size budget, bytes (reported, not enforced).
const BUDGET: u64 = 256 * 1024;
/// wasm-opt 108 (Debian bookworm) reads the features from rustc's `target_features` section;
/// these name the ones Rust's wasm32 target emits by default, for a binaryen that does not.
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The workspace root (xtask's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn stdout(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(root())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Installs `wasm-opt` from Debian's `binaryen` when it is missing.
fn wasm_opt() -> Result<(), String> {
    if stdout("wasm-opt", &["--version"]).is_none() {
        eprintln!("xtask: wasm-opt not found: installing Debian's binaryen");
        run("apt-get", &["update", "-qq"], &[])?;
        run("apt-get", &["install", "-y", "-qq", "binaryen"], &[])?;
    }
    let version = stdout("wasm-opt", &["--version"]).ok_or("wasm-opt does not run")?;
    eprintln!("xtask: {}", version.trim());
    Ok(())
}

fn gzip_size(path: &Path) -> Result<u64, String> {
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !output.status.success() {
        return Err(format!("gzip {} failed", path.display()));
    }
    u64::try_from(output.stdout.len()).map_err(|e| e.to_string())
}

/// Builds `target/dist/meshlb_filter.wasm`.
pub(crate) fn build() -> Result<(), String> {
    let targets = stdout("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|l| l.trim() == TARGET) {
        run("rustup", &["target", "add", TARGET], &[])?;
    }
    // `opt-level = "z"` for this build only: about 15 % smaller than the shared profile's "s".
    run(
        "cargo",
        &[
            "build",
            "--profile",
            "wasm-release",
            "--target",
            TARGET,
            "-p",
            "meshlb-filter",
        ],
        &[("CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL", "z")],
    )?;
    wasm_opt()?;
    let built = format!("target/{TARGET}/wasm-release/meshlb_filter.wasm");
    std::fs::create_dir_all(root().join("target/dist"))
        .map_err(|e| format!("cannot create target/dist: {e}"))?;
    let mut args = vec![
        built.as_str(),
        "-Oz",
        "--strip-debug",
        "--strip-producers",
        "-o",
        DIST,
    ];
    args.extend_from_slice(WASM_OPT_FEATURES);
    run("wasm-opt", &args, &[])?;
    let dist = root().join(DIST);
    let raw = std::fs::metadata(&dist)
        .map_err(|e| format!("{DIST}: {e}"))?
        .len();
    let before = std::fs::metadata(root().join(&built)).map_or(0, |m| m.len());
    let gzip = gzip_size(&dist)?;
    let kib = |n: u64| n.div_ceil(1024);
    println!(
        "{DIST}: {} KiB raw ({raw} bytes; {} KiB before wasm-opt), {} KiB gzip ({gzip} bytes); budget {} KiB{}",
        kib(raw),
        kib(before),
        kib(gzip),
        kib(BUDGET),
        if gzip > BUDGET {
            ": over budget even gzipped"
        } else if raw > BUDGET {
            " (met gzipped, not raw)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Runs the filter's tests under Node (after [`build`]).
pub(crate) fn test() -> Result<(), String> {
    let version = stdout("node", &["--version"])
        .ok_or("node not found: the filter's tests run under Node 20 or later (node --test)")?;
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Err(format!(
            "node {}: the filter's tests need Node 20 or later",
            version.trim()
        ));
    }
    run("cargo", &["build", "--release", "-p", "meshlb-cli"], &[])?;
    run(
        "node",
        &["--test", "filter/tests/"],
        &[
            ("MESHLB_BIN", "target/release/meshlb"),
            ("MESHLB_FILTER_WASM", DIST),
        ],
    )
}
