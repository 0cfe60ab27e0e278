//! `cargo xtask fuzz`: coverage-guided fuzzing of meshlb's entry points with cargo-fuzz
//! (libFuzzer), on the nightly toolchain. The normal test command does not need it: `cargo test`
//! replays the kept corpora on stable (`fuzz/tests/replay.rs`).
//!
//! ```text
//! cargo xtask fuzz TARGET [--runs N] [--seconds S]   fuzz one target (default: 30 s)
//! cargo xtask fuzz all [--runs N] [--seconds S]      every target in turn
//! cargo xtask fuzz TARGET --minimise                 shrink its corpus to what keeps coverage
//! ```
//!
//! New inputs are kept in `fuzz/corpus/TARGET/`; ../shared/real-inputs, when present, is read
//! as extra seeds and never written. A crash, a hang (one input taking more than 1 s) or an
//! input using more than 2 GiB leaves its input in `fuzz/artifacts/TARGET/`: fix the bug, then
//! copy the input into the corpus as `regression-<what>` so the replay keeps it fixed.

use std::path::Path;

use crate::util::{output, run_in_root as run, workspace_root};

/// The workspace's release profile, without what breaks sanitizer builds: fat LTO drops the
/// coverage counters AddressSanitizer's module destructors refer to (`undefined symbol:
/// __sancov_gen_`), so the fuzz build uses thin local LTO over parallel codegen units.
const PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_LTO", "false"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
];

/// The targets, as `fuzz/Cargo.toml` names them.
const TARGETS: &[&str] = &[
    "json", "yaml", "envoy", "scenario", "kube", "plan", "picks", "filter", "explain",
];

/// Targets that read text users hold: they also take ../shared/real-inputs as seeds.
const READ_REAL_INPUTS: &[&str] = &["json", "yaml", "envoy", "kube", "explain"];

pub(crate) fn fuzz(args: &[String]) -> Result<(), String> {
    let mut target = None;
    let mut runs = None;
    let mut seconds = None;
    let mut minimise = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = Some(number(args.next(), "--runs")?),
            "--seconds" => seconds = Some(number(args.next(), "--seconds")?),
            "--minimise" | "--minimize" => minimise = true,
            name if target.is_none() && !name.starts_with('-') => target = Some(name.to_owned()),
            other => return Err(format!("fuzz: unexpected argument {other:?}")),
        }
    }
    let target =
        target.ok_or_else(|| format!("fuzz: name a target: {}, or all", TARGETS.join(", ")))?;
    let targets: Vec<&str> = if target == "all" {
        TARGETS.to_vec()
    } else if let Some(t) = TARGETS.iter().find(|t| **t == target) {
        vec![t]
    } else {
        return Err(format!(
            "fuzz: unknown target {target:?}: {}",
            TARGETS.join(", ")
        ));
    };
    ensure_cargo_fuzz()?;
    for t in targets {
        if minimise {
            run(
                "cargo",
                &[
                    "+nightly",
                    "fuzz",
                    "cmin",
                    "--fuzz-dir",
                    "fuzz",
                    "--features",
                    "libfuzzer",
                    "--debug-assertions",
                    t,
                ],
                PROFILE,
            )?;
            continue;
        }
        let corpus = format!("fuzz/corpus/{t}");
        let shared = workspace_root().join("../shared/real-inputs");
        let mut dirs = vec![corpus];
        if READ_REAL_INPUTS.contains(&t) && shared.is_dir() {
            dirs.push(shared.display().to_string());
        }
        let mut libfuzzer = vec![
            "-timeout=1".to_owned(),
            "-rss_limit_mb=2048".to_owned(),
            "-max_len=65536".to_owned(),
            "-print_final_stats=1".to_owned(),
        ];
        match (runs, seconds) {
            (Some(n), _) => libfuzzer.push(format!("-runs={n}")),
            (None, s) => libfuzzer.push(format!("-max_total_time={}", s.unwrap_or(30))),
        }
        if let (Some(_), Some(s)) = (runs, seconds) {
            libfuzzer.push(format!("-max_total_time={s}"));
        }
        let mut command = vec![
            "+nightly",
            "fuzz",
            "run",
            "--fuzz-dir",
            "fuzz",
            "--features",
            "libfuzzer",
            // Overflow checks on: arithmetic that can overflow is found too.
            "--debug-assertions",
            t,
        ];
        command.extend(dirs.iter().map(String::as_str));
        command.push("--");
        command.extend(libfuzzer.iter().map(String::as_str));
        run("cargo", &command, PROFILE)?;
    }
    Ok(())
}

fn number(value: Option<&String>, flag: &str) -> Result<u64, String> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("fuzz: {flag} takes a number"))
}

/// cargo-fuzz and the nightly toolchain it needs (`-Zsanitizer`), installed when missing.
fn ensure_cargo_fuzz() -> Result<(), String> {
    if output("rustup", &["run", "nightly", "rustc", "--version"]).is_none() {
        run(
            "rustup",
            &["toolchain", "install", "nightly", "--profile", "minimal"],
            &[],
        )?;
    }
    if output("cargo", &["fuzz", "--version"]).is_none() {
        run("cargo", &["install", "cargo-fuzz", "--locked"], &[])?;
    }
    if !Path::new(&workspace_root())
        .join("fuzz/Cargo.toml")
        .is_file()
    {
        return Err("fuzz: fuzz/Cargo.toml is missing".into());
    }
    Ok(())
}
