//! `cargo xtask bench-report`: the benchmark suite in a quick mode, written up as
//! `BENCHMARKS.md` with one SVG plot (`docs/bench-pick.svg`).
//!
//! Steps, each echoed:
//! 1. `cargo bench -p meshlb-benches --bench main` on the pick, update, table and plan groups
//!    (not the mesh, report and kube groups, which take minutes), criterion's `--quick` with
//!    short warm-up and measurement, [`CRITERION_RUNS`] times, the results under
//!    `target/bench-report/criterion/run-K` (the report takes the least of each benchmark's
//!    medians over the runs);
//! 2. `cargo run --release -p meshlb-benches --example memory`: bytes per endpoint;
//! 3. unless `--no-wasm`: the wasm package (`cargo xtask wasm`) and the filter
//!    (`cargo xtask filter`) built from this tree, their sizes, and
//!    `benches/wasm/ratio.mjs` under Node timing pick, explain and simulate beside the same
//!    calls natively (the `wasm_native` group of step 1);
//! 4. the report: per group the medians, the ratio to the floor (`baseline`) and to each peer,
//!    the targets, memory, module sizes, the wasm ratios, the machine and its load.
//!
//! `--skip-run` writes the report from the results of the last run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{
    ensure_cmake, gzip_size, kib, output, relative, run, target_dir, workspace_root,
};

/// The groups the quick run measures (a criterion filter).
const FILTER: &str = "^(pick|update|table|plan|wasm_native)/";

/// Quick criterion runs the report takes the least of each benchmark's medians over: on a
/// shared machine one quick run moves single rows by up to 40 % from the next, and the noise
/// of other tenants only ever adds time. The median of three (until 2026-12-07) read a row
/// far slower than the same build measured in runs of its own: zoned ROUND_ROBIN at 1k
/// 4.32× the floor (12.8 ns) on a Zen 3 where the least of eight criterion runs was 2.95×
/// (7.4 ns).
const CRITERION_RUNS: usize = 3;

/// One benchmark's median.
#[derive(Debug, Clone)]
struct Row {
    group: String,
    function: String,
    param: String,
    median_ns: f64,
}

/// `cargo xtask bench-report [--skip-run] [--no-wasm]`.
// Wall times of the steps go into the report; xtask is automation, not the deterministic core.
#[allow(clippy::disallowed_methods)]
pub(crate) fn report(args: &[String]) -> Result<(), String> {
    let skip_run = args.iter().any(|a| a == "--skip-run");
    let wasm = !args.iter().any(|a| a == "--no-wasm");
    let root = workspace_root();
    let target = target_dir(&root);
    let out = target.join("bench-report");
    let home = out.join("criterion");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let load_before = load_average();
    let start = Instant::now();
    if !skip_run {
        ensure_cmake()?;
        if home.exists() {
            std::fs::remove_dir_all(&home).map_err(|e| format!("{}: {e}", home.display()))?;
        }
        for k in 0..CRITERION_RUNS {
            run(Command::new("cargo")
                .args(["bench", "-p", "meshlb-benches", "--bench", "main", "--"])
                .args([
                    "--quick",
                    "--warm-up-time",
                    "0.5",
                    "--measurement-time",
                    "1",
                ])
                .args(["--noplot", FILTER])
                .env("CRITERION_HOME", home.join(format!("run-{k}")))
                .current_dir(&root))?;
        }
        let memory = output_in(
            &root,
            "cargo",
            &[
                "run",
                "--quiet",
                "--release",
                "-p",
                "meshlb-benches",
                "--example",
                "memory",
            ],
        )?;
        write(&out.join("memory.tsv"), &memory)?;
        if wasm {
            // Built from this tree every time (cargo rebuilds only what changed): a package
            // left in target/dist by an earlier build would be measured and sized otherwise.
            let dist = target.join("dist");
            crate::wasm::build()?;
            crate::filter::build()?;
            let package = dist.join("node").display().to_string();
            let runs = (0..NODE_RUNS)
                .map(|_| output_in(&root, "node", &["benches/wasm/ratio.mjs", &package]))
                .collect::<Result<Vec<_>, _>>()?;
            write(&out.join("wasm.tsv"), &fastest_rows(&runs))?;
        }
    }
    let elapsed = start.elapsed();
    let load_after = load_average();
    // A real run records its load and length, which --skip-run reports again.
    let meta = out.join("run.tsv");
    if !skip_run {
        write(
            &meta,
            &format!(
                "{load_before}\t{load_after}\t{}\t{}\n",
                elapsed.as_secs_f64() / 60.0,
                output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
                    .unwrap_or_default()
                    .trim()
            ),
        )?;
    }
    let recorded = std::fs::read_to_string(&meta).unwrap_or_default();
    let recorded: Vec<&str> = recorded.trim_end().split('\t').collect();
    let (load_before, load_after, minutes, date) = match recorded.as_slice() {
        [b, a, m, d] => (
            (*b).to_owned(),
            (*a).to_owned(),
            m.parse().unwrap_or(0.0),
            (*d).to_owned(),
        ),
        _ => (
            load_before,
            load_after,
            elapsed.as_secs_f64() / 60.0,
            String::new(),
        ),
    };
    let rows = collect(&home)?;
    if rows.is_empty() {
        return Err(format!("no criterion results under {}", home.display()));
    }
    let memory = std::fs::read_to_string(out.join("memory.tsv")).unwrap_or_default();
    let node = std::fs::read_to_string(out.join("wasm.tsv")).unwrap_or_default();
    let modules = module_sizes(&target);
    let machine = Machine {
        cpu: cpu_model(),
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        rustc: output("rustc", &["--version"])
            .unwrap_or_default()
            .trim()
            .into(),
        load: format!("{load_before} before, {load_after} after"),
        date,
        minutes,
        skipped: skip_run,
    };
    let svg = plot(&rows);
    std::fs::create_dir_all(root.join("docs")).map_err(|e| format!("docs: {e}"))?;
    let svg_path = root.join("docs").join("bench-pick.svg");
    write(&svg_path, &svg)?;
    let md = markdown(&rows, &memory, &node, &modules, &machine);
    let md_path = root.join("BENCHMARKS.md");
    write(&md_path, &md)?;
    eprintln!(
        "xtask: wrote {} and {} ({} results)",
        relative(&root, &md_path),
        relative(&root, &svg_path),
        rows.len()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The standard output of `program args` run in `root`, echoed; an error when it fails.
fn output_in(root: &Path, program: &str, args: &[&str]) -> Result<String, String> {
    eprintln!("$ {program} {}", args.join(" "));
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {} failed ({})",
            args.join(" "),
            out.status
        ))
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The string value of `"key":"..."` in a JSON text (criterion's files hold no escapes in
/// the fields read here).
fn json_str(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = text[at..].trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// The median point estimate of a criterion `estimates.json`, in nanoseconds.
fn median(text: &str) -> Option<f64> {
    let at = text.find("\"median\":")?;
    let rest = &text[at..];
    let p = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let rest = &rest[p..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

/// Every `new/benchmark.json` + `new/estimates.json` pair under `home`.
fn collect(home: &Path) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "benchmark.json")
                && path.parent().is_some_and(|p| p.ends_with("new"))
            {
                let bench = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let estimates_path = path.with_file_name("estimates.json");
                let estimates = std::fs::read_to_string(&estimates_path)
                    .map_err(|e| format!("{}: {e}", estimates_path.display()))?;
                if let (Some(group), Some(function), Some(median_ns)) = (
                    json_str(&bench, "group_id"),
                    json_str(&bench, "function_id"),
                    median(&estimates),
                ) {
                    rows.push(Row {
                        group,
                        function,
                        param: json_str(&bench, "value_str").unwrap_or_default(),
                        median_ns,
                    });
                }
            }
        }
    }
    rows.sort_by(|a, b| {
        (a.group.as_str(), param_key(&a.param), a.function.as_str()).cmp(&(
            b.group.as_str(),
            param_key(&b.param),
            b.function.as_str(),
        ))
    });
    Ok(fastest_of_runs(&rows))
}

/// One row per benchmark: the least of its runs' medians (`rows` sorted by benchmark).
fn fastest_of_runs(rows: &[Row]) -> Vec<Row> {
    let same =
        |a: &Row, b: &Row| a.group == b.group && a.function == b.function && a.param == b.param;
    rows.chunk_by(same)
        .filter_map(|runs| {
            Some(Row {
                median_ns: least(runs.iter().map(|r| r.median_ns))?,
                ..runs[0].clone()
            })
        })
        .collect()
}

/// The least of `values`, `None` when there is none.
fn least(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.min_by(f64::total_cmp)
}

fn param_key(p: &str) -> (u64, String) {
    (p.parse().unwrap_or(u64::MAX), p.to_owned())
}

/// Raw and gzip sizes of the wasm package's module and the filter, when built.
fn module_sizes(target: &Path) -> Vec<(String, u64, u64)> {
    let dist = target.join("dist");
    [
        (
            "wasm package (target/dist/node/meshlb_wasm_bg.wasm)",
            dist.join("node").join("meshlb_wasm_bg.wasm"),
        ),
        (
            "proxy-wasm filter (target/dist/meshlb_filter.wasm)",
            dist.join("meshlb_filter.wasm"),
        ),
    ]
    .into_iter()
    .filter_map(|(name, path): (&str, PathBuf)| {
        let raw = std::fs::metadata(&path).ok()?.len();
        Some((name.to_owned(), raw, gzip_size(&path).ok()?))
    })
    .collect()
}

struct Machine {
    cpu: String,
    cores: usize,
    rustc: String,
    load: String,
    date: String,
    minutes: f64,
    skipped: bool,
}

fn find<'a>(rows: &'a [Row], group: &str, function: &str, param: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.group == group && r.function == function && r.param == param)
}

fn ns(group: &str, function: &str, param: &str, rows: &[Row]) -> Option<f64> {
    find(rows, group, function, param).map(|r| r.median_ns)
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".into(),
    }
}

/// The functions that are meshlb's own (the rest of a pick group are the floor and peers).
const OURS: [&str; 2] = ["meshlb", "table_lookup"];
/// The floors a pick is compared with.
const FLOORS: [&str; 2] = ["baseline", "baseline_hashed"];

fn markdown(
    rows: &[Row],
    memory: &str,
    node: &str,
    modules: &[(String, u64, u64)],
    machine: &Machine,
) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# meshlb benchmarks\n\n\
         Written by `cargo xtask bench-report` ({}) on {}: {} ({} cores), {}. Load average \
         (1 min) {} the run: the machine is shared, so compare ratios measured in this one \
         run rather than absolute times across runs.\n\n\
         Reproduce: `cargo xtask bench-report` (quick mode: criterion `--quick`, 0.5 s warm-up, \
         1 s measurement, {CRITERION_RUNS} runs, each benchmark's least median over them; {:.1} minutes \
         here), or the full suite with \
         `cargo bench -p meshlb-benches`. The floor is `baseline`: one draw from meshlb's \
         seeded RNG and one index into a slice of the same length (`baseline_hashed`: the \
         request hash read from the same precomputed array, then the index). The peers run in \
         the same groups, on the same endpoints, in the same run (`benches/benches/peers.rs`).\n\n\
         ![pick time against endpoint count](docs/bench-pick.svg)\n",
        if machine.skipped {
            "the last run's results, written again"
        } else {
            "this run"
        },
        machine.date,
        machine.cpu,
        machine.cores,
        machine.rustc,
        machine.load,
        machine.minutes,
    );
    targets(&mut md, rows, memory, node);
    // Per group: one line per endpoint count, meshlb's median, its ratio to the floor and
    // each other function's time and ratio (peer / meshlb: above 1 means meshlb is faster).
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        groups.entry(r.group.as_str()).or_default().push(r);
    }
    let _ = writeln!(
        md,
        "## Every group\n\nMedians (criterion's median of each run, then the least over the \
         {CRITERION_RUNS} runs: other tenants' noise only adds time). `×floor`: meshlb's time over the floor's. A peer's column \
         gives its time and, in brackets, its time over meshlb's (above 1: meshlb is faster).\n"
    );
    for (group, list) in &groups {
        let mut functions: Vec<&str> = Vec::new();
        for r in list {
            if !functions.contains(&r.function.as_str()) {
                functions.push(&r.function);
            }
        }
        // Groups without a meshlb function (table builds: one column per policy and peer)
        // show times only.
        let ours = functions.iter().copied().find(|f| OURS.contains(f));
        let _ = writeln!(md, "### `{group}`\n");
        let mut header = String::from("| n |");
        let mut rule = String::from("|---|");
        for f in &functions {
            let _ = write!(header, " {f} |");
            rule.push_str("---|");
        }
        let floor = FLOORS.iter().find(|f| functions.contains(f));
        if floor.is_some() {
            header.push_str(" ×floor |");
            rule.push_str("---|");
        }
        let _ = writeln!(md, "{header}\n{rule}");
        let mut params: Vec<&str> = Vec::new();
        for r in list {
            if !params.contains(&r.param.as_str()) {
                params.push(&r.param);
            }
        }
        for p in params {
            let base = ours.and_then(|o| ns(group, o, p, rows));
            let mut line = format!("| {p} |");
            for f in &functions {
                let t = ns(group, f, p, rows);
                let cell = match t {
                    Some(t) if ours.is_some() && !FLOORS.contains(f) && !OURS.contains(f) => {
                        format!("{} ({})", time(t), ratio(Some(t), base))
                    }
                    Some(t) => time(t),
                    None => "–".into(),
                };
                let _ = write!(line, " {cell} |");
            }
            if let Some(floor) = floor {
                let _ = write!(line, " {} |", ratio(base, ns(group, floor, p, rows)));
            }
            let _ = writeln!(md, "{line}");
        }
        md.push('\n');
    }
    memory_section(&mut md, memory);
    let _ = writeln!(
        md,
        "## Module sizes\n\n| module | raw | gzip |\n|---|---|---|"
    );
    for (name, raw, gzip) in modules {
        let _ = writeln!(
            md,
            "| {name} | {:.0} KiB | {:.0} KiB |",
            kib(*raw),
            kib(*gzip)
        );
    }
    if modules.is_empty() {
        let _ = writeln!(md, "| (not built in this run) | | |");
    }
    md.push('\n');
    wasm_section(&mut md, rows, node);
    md
}

/// The table of targets, each row with this run's figure.
fn targets(md: &mut String, rows: &[Row], memory: &str, node: &str) {
    let g = |group: &str, f: &str, p: &str| ns(group, f, p, rows);
    let floor_ratio = |group: &str, p: &str| {
        ratio(
            g(group, "meshlb", p),
            g(group, "baseline", p).or(g(group, "baseline_hashed", p)),
        )
    };
    let _ = writeln!(
        md,
        "## Targets (issue 14)\n\n| path | this run | target |\n|---|---|---|"
    );
    let one = ["round_robin", "random", "maglev"]
        .iter()
        .flat_map(|v| {
            ["10", "1000", "100000"]
                .iter()
                .map(move |p| floor_ratio(&format!("pick/{v}/flat"), p))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        md,
        "| RR / random / Maglev pick, one locality (×floor at 10, 1k, 100k) | {one} | ≤ 1.8× |"
    );
    let zoned = ["1000", "10000", "100000"]
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                time(g("pick/round_robin/zoned", "meshlb", p).unwrap_or(f64::NAN)),
                floor_ratio("pick/round_robin/zoned", p)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        md,
        "| ROUND_ROBIN, 3 priorities × 50 localities, locality-weighted (1k, 10k, 100k) | {zoned} | ≤ 3× |"
    );
    let cell = |group: &str, p: &str| {
        format!(
            "{} ({})",
            time(g(group, "meshlb", p).unwrap_or(f64::NAN)),
            floor_ratio(group, p)
        )
    };
    let _ = writeln!(
        md,
        "| ROUND_ROBIN with weights 1–8 (EDF), 100k hosts | {} | ≤ 5× |",
        cell("pick/round_robin_weighted/flat", "100000")
    );
    let _ = writeln!(
        md,
        "| LEAST_REQUEST P2C, 100k hosts (flat; zoned) | {}; {} | ≤ 4× |",
        cell("pick/least_request/flat", "100000"),
        cell("pick/least_request/zoned", "100000")
    );
    let ring = "pick/ring_hash/flat";
    let _ = writeln!(
        md,
        "| RING_HASH pick, 100k hosts, against a bare binary search (`hashring`) over the same points | meshlb {}, table lookup {}, hashring {}: {} faster | ≥ 1.5× faster |",
        time(g(ring, "meshlb", "100000").unwrap_or(f64::NAN)),
        time(g(ring, "table_lookup", "100000").unwrap_or(f64::NAN)),
        time(g(ring, "hashring", "100000").unwrap_or(f64::NAN)),
        ratio(g(ring, "hashring", "100000"), g(ring, "meshlb", "100000")),
    );
    let maglev = "pick/maglev/flat";
    let _ = writeln!(
        md,
        "| Maglev pick against the `maglev` crate's bare table lookup (10 hosts) | meshlb {}, maglev crate {}: meshlb at {} of its time | parity |",
        time(g(maglev, "meshlb", "10").unwrap_or(f64::NAN)),
        time(g(maglev, "maglev_crate", "10").unwrap_or(f64::NAN)),
        ratio(g(maglev, "meshlb", "10"), g(maglev, "maglev_crate", "10")),
    );
    let update = "update/set_health_rebuild/zoned";
    let _ = writeln!(
        md,
        "| first pick after one health flip, 10k hosts (flip + pick) | {} | ≤ 1 µs |",
        time(g(update, "round_robin_then_pick", "10000").unwrap_or(f64::NAN))
    );
    let _ = writeln!(
        md,
        "| health flip under RING_HASH / MAGLEV, 10k hosts | {} / {} | ≤ 0.3 ms / ≤ 1 ms |",
        time(g(update, "ring_hash", "10000").unwrap_or(f64::NAN)),
        time(g(update, "maglev", "10000").unwrap_or(f64::NAN))
    );
    let per_endpoint = |what: &str, topology: &str| {
        memory
            .lines()
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|f| f.len() == 6 && f[1] == what && f[2] == topology)
            .map(|f| format!("{} B", f[5]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        md,
        "| memory per endpoint of a plan, no hash table (ROUND_ROBIN; 1k, 10k, 100k; flat / zoned) | {} / {} | ≤ 48 B |",
        per_endpoint("plan_round_robin", "flat"),
        per_endpoint("plan_round_robin", "zoned"),
    );
    let _ = writeln!(
        md,
        "| pick in the wasm build (Node) vs native: per pick of `pickMany`; one `pickNext()` call; one `pickIndex()` call; one `pick()` call, which also builds a JavaScript object | {}; {}; {}; {} | ≤ 2× |\n",
        wasm_ratio_to(rows, node, "pick_many", "pick_index")
            .unwrap_or_else(|| "not measured (--no-wasm)".into()),
        wasm_ratio_to(rows, node, "pick_next", "pick_index")
            .unwrap_or_else(|| "not measured (--no-wasm)".into()),
        wasm_ratio(rows, node, "pick_index").unwrap_or_else(|| "not measured (--no-wasm)".into()),
        wasm_ratio(rows, node, "pick").unwrap_or_else(|| "not measured (--no-wasm)".into())
    );
}

/// Runs of `benches/wasm/ratio.mjs` the report takes the least of: one run (6 s) now and
/// then measures a call 50 % slower than the runs around it on a shared machine.
const NODE_RUNS: usize = 5;

/// The per-call least of several runs' `wasm <what> <ns>` lines, in the first run's order.
fn fastest_rows(runs: &[String]) -> String {
    let mut out = String::new();
    let Some(first) = runs.first() else {
        return out;
    };
    for line in first.lines() {
        let what = match line.split('\t').collect::<Vec<_>>()[..] {
            ["wasm", what, _] => what,
            _ => continue,
        };
        if let Some(least) = least(runs.iter().filter_map(|r| node_ns(r, what))) {
            let _ = writeln!(out, "wasm\t{what}\t{least}");
        }
    }
    out
}

/// The Node time of `what` (`wasm.tsv`: `wasm <what> <ns>`).
fn node_ns(node: &str, what: &str) -> Option<f64> {
    node.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.len() == 3 && f[0] == "wasm" && f[1] == what)
        .and_then(|f| f[2].parse().ok())
}

fn wasm_ratio(rows: &[Row], node: &str, what: &str) -> Option<String> {
    wasm_ratio_to(rows, node, what, what)
}

/// Node's `what` against the native `wasm_native/default` function `native`.
fn wasm_ratio_to(rows: &[Row], node: &str, what: &str, native: &str) -> Option<String> {
    let wasm = node_ns(node, what)?;
    let native = rows
        .iter()
        .find(|r| r.group == "wasm_native/default" && r.function == native)?
        .median_ns;
    Some(format!(
        "{} in Node, {} native: {}",
        time(wasm),
        time(native),
        ratio(Some(wasm), Some(native))
    ))
}

fn wasm_section(md: &mut String, rows: &[Row], node: &str) {
    let _ = writeln!(
        md,
        "## The wasm package under Node against native\n\n\
         The same calls of the wasm crate's `Balancer` and functions on the built-in default \
         scenario: natively (criterion group `wasm_native/default`) and from JavaScript \
         through the Node package (`benches/wasm/ratio.mjs`, which includes building each \
         result as a JavaScript value; each call timed in a loop of its own, as criterion \
         times the native one; the least of {NODE_RUNS} runs). `pick_many` is one pick \
         of a `pickMany(10000)` call \
         against the native `pick_index`: the same picks without a JavaScript-to-wasm call \
         each, so the difference between it and `pick_index` is what crossing into wasm \
         costs. `pick_next` is one `pickNext()` call against the same: the pick without a \
         hash key, which `pickIndex()` without one makes too (through one more JavaScript \
         call). \
         `pick_index_text` and `pick_index_bytes` are one `pickIndex(key)` call with a hash \
         key, a string or its UTF-8 bytes (`user-0` to `user-1023` in turn), against the \
         native `pick_index_keyed`, which hashes the same keys.\n\n\
         | call | ratio |\n|---|---|"
    );
    for (what, native) in [
        ("pick", "pick"),
        ("pick_index", "pick_index"),
        ("pick_index_text", "pick_index_keyed"),
        ("pick_index_bytes", "pick_index_keyed"),
        ("pick_next", "pick_index"),
        ("pick_many", "pick_index"),
        ("explain", "explain"),
        ("simulate", "simulate"),
    ] {
        let _ = writeln!(
            md,
            "| {what} | {} |",
            wasm_ratio_to(rows, node, what, native).unwrap_or_else(|| "not measured".into())
        );
    }
    md.push('\n');
}

fn memory_section(md: &mut String, memory: &str) {
    let _ = writeln!(
        md,
        "## Memory per endpoint\n\nNet bytes a structure keeps, counted by a counting \
         allocator (`benches/examples/memory.rs`), over the endpoint count.\n\n\
         | structure | topology | endpoints | bytes | per endpoint |\n|---|---|---|---|---|"
    );
    for line in memory.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() == 6 && f[0] == "memory" {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} B |",
                f[1], f[2], f[3], f[4], f[5]
            );
        }
    }
    md.push('\n');
}

/// Pick time against endpoint count (flat topology), log–log, one line per implementation.
fn plot(rows: &[Row]) -> String {
    let series: Vec<(String, Vec<(f64, f64)>)> = {
        let mut map: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for r in rows.iter().filter(|r| {
            r.group.starts_with("pick/")
                && r.group.ends_with("/flat")
                && r.function != "table_lookup"
        }) {
            let policy = r
                .group
                .trim_start_matches("pick/")
                .trim_end_matches("/flat");
            let Ok(n) = r.param.parse::<f64>() else {
                continue;
            };
            let name = if r.function == "baseline" || r.function == "baseline_hashed" {
                if policy != "round_robin" {
                    continue;
                }
                "floor (RNG + slice index)".to_owned()
            } else {
                format!("{} {policy}", r.function)
            };
            map.entry(name).or_default().push((n, r.median_ns));
        }
        map.into_iter().collect()
    };
    let (w, h, left, right, top, bottom) = (760.0, 480.0, 60.0, 250.0, 20.0, 40.0);
    let (x0, x1) = (1.0_f64, 5.0_f64); // 10 .. 100k
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .collect();
    let y0 = ys
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .max(0.1)
        .log10()
        .floor();
    let y1 = ys
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0)
        .log10()
        .ceil()
        .max(y0 + 1.0);
    let px = |n: f64| left + (n.log10() - x0) / (x1 - x0) * (w - left - right);
    let py = |t: f64| top + (1.0 - (t.log10() - y0) / (y1 - y0)) * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"14\">pick time (median, log) against endpoints (log), flat topology</text>\n"
    );
    for e in (y0 as i32)..=(y1 as i32) {
        let y = py(10_f64.powi(e));
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"4\" y=\"{:.1}\">{}</text>",
            w - right,
            y + 4.0,
            time(10_f64.powi(e))
        );
    }
    for n in [10.0, 1e3, 1e5] {
        let x = px(n);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\">{n}</text>",
            x - 10.0,
            h - bottom + 16.0
        );
    }
    let colours = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#000000", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    ];
    for (i, (name, points)) in series.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let dash = if name.starts_with("meshlb") {
            ""
        } else {
            " stroke-dasharray=\"5,3\""
        };
        let mut sorted = points.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path: Vec<String> = sorted
            .iter()
            .map(|&(n, t)| format!("{:.1},{:.1}", px(n), py(t)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"{dash} points=\"{}\"/>",
            path.join(" ")
        );
        for &(n, t) in &sorted {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"/>",
                px(n),
                py(t)
            );
        }
        let ly = top + 14.0 * i as f64 + 10.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/><text x=\"{}\" y=\"{}\">{name}</text>",
            w - right + 10.0,
            w - right + 30.0,
            w - right + 34.0,
            ly + 4.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::{Row, fastest_of_runs, fastest_rows};

    #[test]
    fn node_runs_are_summarised_by_their_least_per_call() {
        let runs = [
            "wasm\tpick\t2000\nwasm\tpick_many\t45\nnot a row\n".to_owned(),
            "wasm\tpick\t2100\nwasm\tpick_many\t68\n".to_owned(),
            "wasm\tpick_many\t47\nwasm\tpick\t1900\n".to_owned(),
        ];
        // pick: 2000, 2100, 1900 -> 1900; pick_many: 45, 68, 47 -> 45 (the outlier ignored),
        // in the first run's order.
        assert_eq!(
            fastest_rows(&runs),
            "wasm\tpick\t1900\nwasm\tpick_many\t45\n"
        );
        assert_eq!(fastest_rows(&[]), "");
    }

    #[test]
    fn criterion_runs_are_summarised_by_their_least_median_per_benchmark() {
        let row = |function: &str, param: &str, median_ns: f64| Row {
            group: "pick/round_robin/flat".into(),
            function: function.into(),
            param: param.into(),
            median_ns,
        };
        let rows = vec![
            row("baseline", "10", 2.6),
            row("baseline", "10", 2.4),
            row("baseline", "10", 3.9),
            row("meshlb", "10", 4.2),
            row("meshlb", "10", 6.8),
            row("meshlb", "10", 4.4),
            row("meshlb", "1000", 5.0),
        ];
        // 2.6, 2.4, 3.9 -> 2.4; 4.2, 6.8, 4.4 -> 4.2; one run -> itself.
        let medians: Vec<(String, String, f64)> = fastest_of_runs(&rows)
            .into_iter()
            .map(|r| (r.function, r.param, r.median_ns))
            .collect();
        assert_eq!(
            medians,
            [
                ("baseline".into(), "10".into(), 2.4),
                ("meshlb".into(), "10".into(), 4.2),
                ("meshlb".into(), "1000".into(), 5.0),
            ]
        );
    }
}
