//! `cargo xtask <task>`: meshlb's automation, in Rust so it runs wherever cargo does.
//!
//! - `setup`: installs what builds and tests need (rustup components and targets).
//! - `demo`: `meshlb explain` and `meshlb simulate` on the built-in default scenario.
//! - `playground`: the main job: the default scenario explained, the playground served.
//! - `ci`: set-up, then every check CI runs, in order, with timings.
//! - `filter`, `test-filter`: the proxy-wasm filter's build and its tests under Node.
//! - `test-cross`: the native CLI, the wasm package and the filter agree on every example and
//!   generated scenario (`cross.rs`).
//! - `bench-report`: the benchmarks in a quick mode, written up as `BENCHMARKS.md`.
//! - `fuzz`: coverage-guided fuzzing of one target or all (nightly, cargo-fuzz).

mod bench;
mod cross;
mod filter;
mod fuzz;
mod util;
mod wasm;
mod web;

use std::process::ExitCode;
use std::time::Instant;

const HELP: &str = "usage: cargo xtask <task>

tasks:
  setup   install rustup components (rustfmt, clippy), targets (thumbv6m-none-eabi) and cmake
          (the benches' pingora peer builds zlib-ng with it)
  demo    run `meshlb explain` and `meshlb simulate` on the built-in default scenario
  ci      setup, then fmt, clippy, doc, tests, the no_std build, the bench build, then the wasm,
          browser and filter tests
  filter       build the proxy-wasm filter (wasm-release, wasm-opt) into target/dist/meshlb_filter.wasm
  test-filter  build the filter and the CLI, then run its tests under Node (node --test filter/tests/)
  wasm         build the wasm-bindgen packages into target/dist/node and target/dist/web (installs wasm-bindgen-cli, binaryen)
  test-wasm    build the packages and the CLI, then run their Node tests (node --test wasm/tests/)
  test-cross   the same inputs and seeds through the native CLI, the wasm package and the filter
               (after `wasm` and `filter`): explanations and the first 10,000 picks compared
  playground   build the wasm package and serve the browser playground on http://127.0.0.1:8080/ (or the next free port; --port N)
  test-web     browser tests of the playground: chromium + playwright-core (installed if missing), node --test web/tests/
  bench-report [--skip-run] [--no-wasm]
               the benchmarks in a quick mode (about 10 minutes), meshlb beside its peers, written
               up as BENCHMARKS.md with docs/bench-pick.svg (installs cmake if missing: pingora's zlib-ng)
  fuzz TARGET|all [--runs N] [--seconds S] [--minimise]
               coverage-guided fuzzing with cargo-fuzz on nightly (installed if missing); targets:
               json, yaml, envoy, scenario, kube, plan, picks, filter, explain. `cargo test`
               replays fuzz/corpus/.
";

/// The target without `std` that proves the core is `no_std`.
const NO_STD_TARGET: &str = "thumbv6m-none-eabi";

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "setup" => setup(),
        "demo" => demo(),
        "ci" => setup().and_then(|()| ci()),
        "filter" => filter::build(),
        "test-filter" => filter::build().and_then(|()| filter::test()),
        "wasm" => wasm::build(),
        "test-wasm" => wasm::build().and_then(|()| wasm::test()),
        "test-cross" => cross::test(),
        "playground" => web::playground(),
        "test-web" => web::test(),
        "bench-report" => bench::report(&std::env::args().skip(2).collect::<Vec<_>>()),
        "fuzz" => fuzz::fuzz(&std::env::args().skip(2).collect::<Vec<_>>()),
        "" | "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

use util::run_in_root as run;

/// The standard output of a command (empty when it cannot run).
fn output(program: &str, args: &[&str]) -> String {
    util::output(program, args).unwrap_or_default()
}

fn setup() -> Result<(), String> {
    let components = output("rustup", &["component", "list", "--installed"]);
    for component in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.starts_with(component)) {
            run("rustup", &["component", "add", component], &[])?;
        }
    }
    let targets = output("rustup", &["target", "list", "--installed"]);
    if !targets.lines().any(|l| l.trim() == NO_STD_TARGET) {
        run("rustup", &["target", "add", NO_STD_TARGET], &[])?;
    }
    util::ensure_cmake()
}

fn demo() -> Result<(), String> {
    run(
        "cargo",
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "meshlb-cli",
            "--",
            "explain",
        ],
        &[],
    )?;
    println!();
    run(
        "cargo",
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "meshlb-cli",
            "--",
            "simulate",
            "--requests",
            "100000",
        ],
        &[],
    )
}

/// A task run for its result.
type Task = fn() -> Result<(), String>;

/// One CI step: program, arguments, environment.
type Step<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

// xtask times CI steps for the report; it is automation, not the deterministic core.
#[allow(clippy::disallowed_methods)]
fn ci() -> Result<(), String> {
    let steps: &[Step<'_>] = &[
        ("cargo", &["fmt", "--all", "--", "--check"], &[]),
        (
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        ),
        // The private items' docs too (broken links in them went unnoticed until read by hand),
        // then the public docs, which also check that no public doc links to a private item.
        (
            "cargo",
            &[
                "doc",
                "--workspace",
                "--no-deps",
                "--document-private-items",
            ],
            &[("RUSTDOCFLAGS", "-D warnings")],
        ),
        (
            "cargo",
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        ),
        ("cargo", &["test", "--workspace"], &[]),
        // The JSON-only build (the proxy-wasm filter's): the formats' and the filter's unit
        // tests without the `yaml` feature the workspace build unifies in.
        (
            "cargo",
            &[
                "test",
                "-p",
                "meshlb-formats",
                "-p",
                "meshlb-filter",
                "--no-default-features",
                "--lib",
            ],
            &[],
        ),
        (
            "cargo",
            &[
                "build",
                "-p",
                "meshlb",
                "--no-default-features",
                "--target",
                NO_STD_TARGET,
            ],
            &[],
        ),
        // The benchmarks must build; how fast they run is `cargo xtask bench-report`'s
        // business. Only the suite (`--bench main`: without it cargo also builds every library
        // and binary of the workspace as a bench harness, each with fat LTO), in the test
        // profile the step before compiled every dependency in (the same workspace-wide
        // features; criterion and the peers too, for the benches' `memory` example), so the
        // harness is all that is new here. The plain `cargo bench --workspace --no-run` took
        // 11 minutes of CI.
        (
            "cargo",
            &[
                "bench",
                "--workspace",
                "--no-run",
                "--bench",
                "main",
                "--profile",
                "test",
            ],
            &[],
        ),
    ];
    let start = Instant::now();
    for (program, args, env) in steps {
        let step = Instant::now();
        run(program, args, env)?;
        eprintln!(
            "xtask: `{program} {}` took {:.0?}",
            args.join(" "),
            step.elapsed()
        );
    }
    // The adapters: the wasm package under Node, the playground in Chromium, the proxy-wasm
    // filter in its test host. Each installs what it needs when missing.
    let adapters: [(&str, Task); 4] = [
        ("wasm package: node --test wasm/tests", || {
            wasm::build().and_then(|()| wasm::test())
        }),
        (
            "playground: Chromium + playwright-core, node --test web/tests",
            web::test,
        ),
        ("proxy-wasm filter: node --test filter/tests", || {
            filter::build().and_then(|()| filter::test())
        }),
        // After the wasm and filter tests, reusing their builds.
        (
            "cross-build: native, wasm and filter agree (node --test tests/cross)",
            cross::test,
        ),
    ];
    for (name, step_fn) in adapters {
        let step = Instant::now();
        eprintln!("xtask: {name}");
        step_fn()?;
        eprintln!("xtask: {name} took {:.0?}", step.elapsed());
    }
    eprintln!("xtask: ci passed in {:.0?}", start.elapsed());
    Ok(())
}
