//! Prints a generated mesh scenario ([`meshlb_benches::mesh_yaml`]) on stdout, to time
//! `meshlb report` (or `explain`) on it by hand:
//!
//! ```sh
//! cargo run --release -p meshlb-benches --bin gen-mesh > /tmp/mesh.yaml    # 50 clusters, 20,000 workloads
//! time cargo run --release -p meshlb-cli -- report /tmp/mesh.yaml > /dev/null
//! ```
//!
//! Arguments (optional): `CLUSTERS WORKLOADS`, defaults 50 and 20000; workloads are spread over
//! the four zones of each cluster's region (4 client locations per cluster).

use std::io::Write as _;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u32| -> u32 {
        args.get(i).map_or(default, |a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("gen-mesh: {a:?} is not a number; usage: gen-mesh [CLUSTERS WORKLOADS]");
                std::process::exit(2)
            })
        })
    };
    let clusters = arg(0, 50);
    if clusters < 5 || clusters % 5 != 0 {
        eprintln!("gen-mesh: CLUSTERS must be a multiple of 5 (one region and network per 5)");
        std::process::exit(2);
    }
    let yaml = meshlb_benches::mesh_yaml(clusters, arg(1, 20_000), true);
    if std::io::stdout().write_all(yaml.as_bytes()).is_err() {
        std::process::exit(1);
    }
}
