//! Times `meshlb report`'s work on a generated mesh ([`meshlb_benches::mesh_yaml`]) without
//! criterion: one `Report::build`, and with `--naive` one `Report::build_naive`, checked to
//! give the same report. Prints the machine's view of each (wall-clock seconds).
//!
//! ```sh
//! cargo run --release -p meshlb-benches --bin report-timing                 # 50 clusters, 20,000 workloads
//! cargo run --release -p meshlb-benches --bin report-timing -- --naive      # and the naive report (minutes)
//! cargo run --release -p meshlb-benches --bin report-timing -- 10 2000 --naive
//! ```
//!
//! The same mesh as a file, for `time meshlb report FILE`: `--bin gen-mesh`.

use std::process::ExitCode;
use std::time::Instant;

use meshlb::mesh::Report;

fn usage() -> ExitCode {
    eprintln!("usage: report-timing [CLUSTERS WORKLOADS] [--naive]");
    ExitCode::from(2)
}

// A timing tool measures wall-clock time; meshlb's core never reads the clock.
#[allow(clippy::disallowed_methods)]
fn main() -> ExitCode {
    let mut naive = false;
    let mut numbers = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--naive" {
            naive = true;
        } else if let Ok(n) = a.parse::<u32>() {
            numbers.push(n);
        } else {
            return usage();
        }
    }
    let (clusters, workloads) = match numbers[..] {
        [] => (50, 20_000),
        [c, w] if c >= 5 && c % 5 == 0 => (c, w),
        _ => return usage(),
    };
    let started = Instant::now();
    let scenario = meshlb_benches::mesh(clusters, workloads, true);
    println!(
        "generated and parsed {clusters} clusters, {workloads} workloads in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let fast = match Report::build(&scenario) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("report-timing: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Report::build        {:8.2} s  ({} locations x {} hosts, {} failures; {} explanations or re-plans)",
        started.elapsed().as_secs_f64(),
        fast.locations.len(),
        fast.hosts.len(),
        fast.sweep.len(),
        fast.explained
    );
    if naive {
        let started = Instant::now();
        let slow = match Report::build_naive(&scenario) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("report-timing: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!(
            "Report::build_naive  {:8.2} s  ({} explanations)",
            started.elapsed().as_secs_f64(),
            slow.explained
        );
        if meshlb_benches::without_counts(&fast) != meshlb_benches::without_counts(&slow) {
            eprintln!("report-timing: the two reports differ");
            return ExitCode::FAILURE;
        }
        println!("the two reports are the same");
    }
    ExitCode::SUCCESS
}
