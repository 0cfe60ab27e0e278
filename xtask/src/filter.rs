//! `cargo xtask filter` and `cargo xtask test-filter`: the proxy-wasm filter's build and tests.
//!
//! - [`build`]: `cargo rustc --profile wasm-release --target wasm32-unknown-unknown -p
//!   meshlb-filter --lib --crate-type cdylib` at `opt-level = "z"`, then `wasm-opt -Oz` (Debian's `binaryen`, installed
//!   with apt-get when missing) into `target/dist/meshlb_filter.wasm`, with its raw and gzip
//!   size.
//! - [`test()`]: the native CLI in release (the tests compare with `meshlb explain` and `meshlb
//!   pick`), then `node --test filter/tests/`: a proxy-wasm ABI 0.2.1 host in Node drives the
//!   `.wasm` as Envoy does.

use crate::util::{
    TARGET, ensure_wasm_opt, gzip_size, output as stdout, run_in_root as run, wasm_opt_features,
    workspace_root as root,
};

/// Where the optimised filter goes.
const DIST: &str = "target/dist/meshlb_filter.wasm";
/// The size budget, bytes (reported, not enforced).
const BUDGET: u64 = 256 * 1024;

/// Builds `target/dist/meshlb_filter.wasm`.
pub(crate) fn build() -> Result<(), String> {
    let targets = stdout("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|l| l.trim() == TARGET) {
        run("rustup", &["target", "add", TARGET], &[])?;
    }
    // `opt-level = "z"` for this build only: about 15 % smaller than the shared profile's "s".
    // The cdylib alone: the package's rlib (for native callers, the fuzz target `filter`) would
    // make rustc skip the whole-program LTO and the .wasm grow by about 50 KiB.
    run(
        "cargo",
        &[
            "rustc",
            "--profile",
            "wasm-release",
            "--target",
            TARGET,
            "-p",
            "meshlb-filter",
            "--lib",
            "--crate-type",
            "cdylib",
        ],
        &[("CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL", "z")],
    )?;
    ensure_wasm_opt()?;
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
    let features = wasm_opt_features();
    args.extend(features.iter().map(String::as_str));
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
