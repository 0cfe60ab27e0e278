//! The `meshlb` command line: explain and simulate where a service mesh's traffic goes.
//!
//! A thin adapter: it reads the input, calls the core and prints. [`run`] is the whole program
//! (the binary only passes it the process's arguments and streams), so tests drive it in-process.
//! Exit status 0 when the input was understood (whatever the outcome), 2 for bad input or usage,
//! with the message on stderr.

mod html;
mod text;

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use meshlb::LbPolicy;
use meshlb_formats::{Loaded, MAX_INPUT_BYTES, Options};

/// The built-in default scenario `meshlb explain` uses when no file is given: three clusters,
/// two networks, two regions, locality failover on.
const DEFAULT_SCENARIO: (&str, &str) = (
    "(built-in default scenario)",
    include_str!("../../examples/default.yaml"),
);

#[derive(Debug, Parser)]
#[command(
    name = "meshlb",
    version,
    about = "Explain and simulate where a service mesh sends traffic: Envoy's load-balancing maths, explained",
    after_help = "Examples:\n  \
        meshlb explain                                   # the built-in default scenario\n  \
        meshlb explain examples/multi-network.yaml --from west/bookinfo\n  \
        meshlb explain examples/envoy/three-priorities-degraded.json\n  \
        meshlb explain cla.json --format json --lb-policy MAGLEV\n  \
        meshlb simulate examples/envoy/ring-hash.json --requests 100000 --seed 7\n  \
        meshlb diff examples/locality-failover.yaml --fail zone=region1/zone1\n  \
        meshlb report examples/locality-failover.yaml            # every client x host x single failure\n  \
        meshlb convert examples/default.yaml                     # as JSON, for the proxy-wasm filter"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain each priority's load and each endpoint's share of traffic.
    #[command(after_help = "Examples:\n  \
        meshlb explain\n  \
        meshlb explain examples/envoy/locality-weighted.json\n  \
        meshlb explain cluster.json --format json --panic-threshold 0")]
    Explain {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Compare where traffic goes: two inputs (A then B), or one input without and with
    /// --fail. Per endpoint, cluster, zone, region and network: share before, after, delta.
    #[command(after_help = "Examples:\n  \
        meshlb diff examples/locality-failover.yaml --fail zone=region1/zone1\n  \
        meshlb diff before.yaml after.yaml --format json")]
    Diff {
        #[command(flatten)]
        input: InputArgs,
    },
    /// A mesh-wide report: every client location x every host, where requests land (per
    /// cluster, zone, region, network), and every single zone, region, cluster, network and
    /// control-plane failure ranked by blast radius (outages, then moved share).
    #[command(after_help = "Examples:\n  \
        meshlb report examples/locality-failover.yaml\n  \
        meshlb report examples/multi-network.yaml --format json\n  \
        meshlb report examples/default.yaml --format html > report.html")]
    Report {
        /// A meshlb scenario (YAML or JSON); "-" for standard input. Without it, the built-in
        /// default scenario. Its client and request only add the client's location: every
        /// location and host is reported.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        #[command(flatten)]
        kube: KubeArgs,
        /// The listed client's cluster and namespace (--kube dumps need one, or --from-pod).
        #[arg(long, value_name = "CLUSTER/NAMESPACE")]
        from: Option<String>,
        /// The host of the scenario's request (--kube dumps need one; every host is reported).
        #[arg(long, value_name = "HOST")]
        to: Option<String>,
        /// Output format (html: one self-contained page, no script, no network).
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Send seeded requests through the real pickers and compare with the explained shares.
    ///
    /// Without --latency, --mean-latency or --rate each request ends before the next starts.
    /// With them, requests take time (a discrete-event simulation): Poisson arrivals at --rate
    /// requests per second, each request active on its endpoint for an exponential time of the
    /// endpoint's mean latency, endpoints serving any number at once. LEAST_REQUEST then sees
    /// requests in flight: a slow endpoint holds more and receives fewer than its share (the
    /// power of two choices), while the other policies keep the explained shares (docs/simulate.md).
    #[command(after_help = "Examples:\n  \
        meshlb simulate examples/envoy/spillover-panic.json --requests 10000\n  \
        meshlb simulate examples/envoy/maglev.json --requests 100000 --seed 42 --format json\n  \
        meshlb simulate cla.json --lb-policy LEAST_REQUEST --latency 10.0.0.4:8080=100 --mean-latency 10 --rate 2000")]
    Simulate {
        #[command(flatten)]
        input: InputArgs,
        /// Number of requests to send.
        #[arg(long, short = 'n', default_value_t = 10_000)]
        requests: u64,
        /// Seed of the picks (same seed, same picks).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        // The help as an attribute: rustdoc reads `[ADDRESS]` in a doc comment as a link.
        #[arg(
            long = "latency",
            value_name = "ADDRESS:PORT=MS",
            help = "Requests take time: this endpoint's mean latency, ADDRESS:PORT=MS \
                    (repeatable; IPv6 as [ADDRESS]:PORT=MS)"
        )]
        latency: Vec<String>,
        /// Requests take time: the mean latency of endpoints without --latency, milliseconds
        /// [default with --latency or --rate: 10].
        #[arg(long, value_name = "MS", value_parser = parse_non_negative)]
        mean_latency: Option<f64>,
        /// Requests take time: arrivals per second, a Poisson process [default with --latency or
        /// --mean-latency: 1000].
        #[arg(long, value_name = "RPS", value_parser = parse_positive)]
        rate: Option<f64>,
    },
    /// Print the endpoint each of N seeded requests goes to, one `address:port` per line (`-`
    /// when no endpoint can serve): the sequence the wasm Balancer and the proxy-wasm filter
    /// produce for the same input and seed.
    #[command(after_help = "Examples:\n  \
        meshlb pick examples/default.yaml --requests 5 --seed 7\n  \
        meshlb pick examples/envoy/ring-hash.json --requests 3 --hash-prefix user-   # keys user-0, user-1, ...")]
    Pick {
        #[command(flatten)]
        input: InputArgs,
        /// Number of requests.
        #[arg(long, short = 'n', default_value_t = 10)]
        requests: u64,
        /// Seed of the picks.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Hash every request by this key (ring hash, Maglev), as a header value would be.
        #[arg(long, conflicts_with = "hash_prefix")]
        hash: Option<String>,
        /// Hash request i by the key `<PREFIX><i>`.
        #[arg(long)]
        hash_prefix: Option<String>,
    },
    /// Import a scenario from each cluster's `kubectl get … -o yaml|json` dump and print it as
    /// YAML, with a comment naming where each cluster, network, gateway, service and workload
    /// came from (docs/kube.md).
    #[command(after_help = "Examples:\n  \
        meshlb import --kube east=east.yaml --kube west=dumps/west/ > mesh.yaml\n  \
        meshlb import --kube east=east.yaml --from-pod east/bookinfo/productpage-v1-7d4c9 --to reviews.bookinfo")]
    Import {
        #[command(flatten)]
        kube: KubeArgs,
        /// The client's cluster and namespace.
        #[arg(long, value_name = "CLUSTER/NAMESPACE")]
        from: Option<String>,
        /// The client's locality.
        #[arg(long, value_name = "REGION/ZONE/SUBZONE")]
        locality: Option<String>,
        /// The host the client calls.
        #[arg(long, value_name = "HOST")]
        to: Option<String>,
    },
    /// Print the input as one line of JSON (a YAML scenario becomes the same scenario in JSON),
    /// after checking it as `explain` does: the proxy-wasm filter reads JSON only.
    #[command(after_help = "Examples:\n  \
        meshlb convert examples/locality-failover.yaml\n  \
        meshlb convert reviews.yaml | jq '{input: ., name: \"reviews.yaml\", seed: 7}'   # a filter configuration")]
    Convert {
        /// A meshlb scenario (YAML or JSON), or Envoy input (a config dump, clusters,
        /// assignments, ...; JSON or YAML); "-" for standard input. Without it, the built-in
        /// default scenario.
        file: Option<PathBuf>,
        /// Envoy input holding several clusters: check that this one can be explained.
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
    },
}

#[derive(Debug, Clone, Args, Default)]
struct KubeArgs {
    /// A cluster's `kubectl get … -o yaml|json` dump: NAME is the cluster's name in the mesh
    /// (its Istio cluster ID), PATH a file or a directory of `.yaml`, `.yml` and `.json` files
    /// (read in name order). Repeat for each cluster. Replaces FILE.
    #[arg(long = "kube", value_name = "NAME=PATH")]
    kube: Vec<String>,
    /// With --kube: a partial scenario (YAML or JSON) merged over the import, for facts a dump
    /// does not carry (client, request, istioVersion, meshes, ...).
    #[arg(long, value_name = "FILE")]
    overlay: Option<PathBuf>,
    /// With --kube: the client pod, whose labels and node locality make the client.
    #[arg(long, value_name = "CLUSTER/NAMESPACE/POD")]
    from_pod: Option<String>,
}

#[derive(Debug, Clone, Args)]
struct InputArgs {
    /// A meshlb scenario (YAML or JSON), or what Envoy and istioctl print (JSON or YAML): an
    /// admin /config_dump, /clusters?format=json, `istioctl proxy-config ... -o json`, an xDS
    /// DiscoveryResponse, a bootstrap or CDS/EDS file, Clusters, ClusterLoadAssignments. Several
    /// Envoy files are read together (a CDS file and an EDS file, say). "-" for standard input.
    /// Without it, the built-in default scenario.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Envoy input: the cluster to explain, by its exact name (e.g.
    /// 'outbound|9080||reviews.bookinfo.svc.cluster.local'). Without it, a file holding several
    /// clusters is listed.
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// Scenarios: the client's cluster and namespace.
    #[arg(long, value_name = "CLUSTER/NAMESPACE")]
    from: Option<String>,
    /// Scenarios: the client's locality.
    #[arg(long, value_name = "REGION/ZONE/SUBZONE")]
    locality: Option<String>,
    /// Scenarios: the host the client calls.
    #[arg(long, value_name = "HOST")]
    to: Option<String>,
    /// Scenarios: a request header, NAME=VALUE (repeatable; replaces the scenario's headers).
    #[arg(long = "header", value_name = "NAME=VALUE")]
    headers: Vec<String>,
    /// Scenarios: the request's path, query string included (default "/").
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    /// Scenarios: the request's HTTP method (default GET).
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,
    /// Scenarios: the request's port (the Service's port).
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,
    /// What if this fails (repeatable): zone=REGION/ZONE, region=REGION, cluster=NAME,
    /// network=NAME (its east-west gateways), gateway=ADDRESS, endpoint=ADDRESS:PORT,
    /// control-plane=NAME. Envoy input takes zone, region and endpoint (docs/scenario.md).
    #[arg(long = "fail", value_name = "KIND=VALUE")]
    fail: Vec<String>,
    #[command(flatten)]
    kube: KubeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Override the cluster's load-balancing policy.
    #[arg(long, value_parser = policy_parser())]
    lb_policy: Option<LbPolicy>,
    /// Override the healthy panic threshold, percent (0 disables panic).
    #[arg(long, value_parser = parse_percent)]
    panic_threshold: Option<f64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
    Html,
}

/// `--lb-policy`: core's names, listed in `--help` and in the error.
fn policy_parser() -> impl clap::builder::TypedValueParser<Value = LbPolicy> {
    clap::builder::PossibleValuesParser::new(LbPolicy::NAMES).try_map(|s| s.parse::<LbPolicy>())
}

fn parse_non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of milliseconds, 0 or more")),
    }
}

fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    meshlb::check_panic_threshold(v).map_err(|e| e.to_string())
}

/// A failure to report: the message (exit status 2).
struct Failure(String);

/// Runs `meshlb` with `args` (the first is the program name), writing to `out` and `err`.
/// Returns the exit status: 0 on success, 2 on bad input or usage.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let rendered = e.render().to_string();
            return if e.use_stderr() {
                let _ = write!(err, "{rendered}");
                2
            } else {
                let _ = write!(out, "{rendered}");
                0
            };
        }
    };
    match execute(&cli, out) {
        Ok(()) => 0,
        Err(Failure(message)) => {
            let _ = writeln!(err, "meshlb: error: {message}");
            2
        }
    }
}

fn execute(cli: &Cli, out: &mut dyn Write) -> Result<(), Failure> {
    let written = match &cli.command {
        Command::Explain { input } => {
            let loaded = match read(input)? {
                meshlb_formats::Input::Loaded(loaded) => loaded,
                meshlb_formats::Input::Listing(listing) => {
                    return finish(match input.format {
                        Format::Json => {
                            let json = serde_json::to_string_pretty(&listing.rows)
                                .map_err(|e| Failure(e.to_string()))?;
                            writeln!(out, "{json}")
                        }
                        Format::Text => write!(out, "{}", text::listing(&listing)),
                    });
                }
            };
            let explanation = loaded.explain();
            match input.format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(&explanation)
                        .map_err(|e| Failure(e.to_string()))?;
                    writeln!(out, "{json}")
                }
                Format::Text => write!(out, "{}", text::explanation(&loaded.title, &explanation)),
            }
        }
        Command::Diff { input } => {
            let (before_args, after_args) = match input.files.len() {
                0 | 1 if input.fail.is_empty() => {
                    return Err(Failure(
                        "diff compares two inputs (meshlb diff A B), or one input without and with --fail KIND=VALUE".into(),
                    ));
                }
                0 | 1 => {
                    let mut before = input.clone();
                    before.fail.clear();
                    (before, input.clone())
                }
                2 => {
                    let mut before = input.clone();
                    before.files.truncate(1);
                    let mut after = input.clone();
                    after.files.remove(0);
                    (before, after)
                }
                n => {
                    return Err(Failure(format!("diff compares two inputs, not {n}")));
                }
            };
            let before = load(&before_args)?;
            let after = load(&after_args)?;
            let diff = meshlb::diff(&before.explain(), &after.explain());
            match input.format {
                Format::Json => {
                    let json =
                        serde_json::to_string_pretty(&diff).map_err(|e| Failure(e.to_string()))?;
                    writeln!(out, "{json}")
                }
                Format::Text => {
                    let after_title = if input.files.len() == 2 {
                        after.title
                    } else {
                        format!(
                            "{} with --fail {}",
                            after.title,
                            input.fail.join(" --fail ")
                        )
                    };
                    write!(out, "{}", text::diff(&before.title, &after_title, &diff))
                }
            }
        }
        Command::Report {
            file,
            kube,
            from,
            to,
            format,
        } => {
            let input = InputArgs {
                files: file.iter().cloned().collect(),
                cluster: None,
                from: from.clone(),
                locality: None,
                to: to.clone(),
                headers: Vec::new(),
                path: None,
                method: None,
                port: None,
                fail: Vec::new(),
                kube: kube.clone(),
                format: Format::Text,
                lb_policy: None,
                panic_threshold: None,
            };
            let not_envoy = |title: &str, what: &str| {
                Failure(format!(
                    "{title}: report needs a meshlb scenario (clusters, services, workloads) or --kube dumps, not Envoy input{what}"
                ))
            };
            // Envoy input of several clusters lists them: the report does not take one.
            let loaded = match read(&input)? {
                meshlb_formats::Input::Loaded(loaded) => *loaded,
                meshlb_formats::Input::Listing(listing) => {
                    let what = format!(
                        " ({} clusters; `meshlb explain --cluster NAME` explains one)",
                        listing.rows.len()
                    );
                    return Err(not_envoy(&listing.title, &what));
                }
            };
            let Some(scenario) = &loaded.scenario else {
                return Err(not_envoy(&loaded.title, ""));
            };
            let report = meshlb::mesh::Report::build(scenario)
                .map_err(|e| Failure(format!("{}: {e}", loaded.title)))?;
            match format {
                ReportFormat::Json => {
                    let json = serde_json::to_string_pretty(&report)
                        .map_err(|e| Failure(e.to_string()))?;
                    writeln!(out, "{json}")
                }
                ReportFormat::Text => write!(out, "{}", text::report(&loaded.title, &report)),
                ReportFormat::Html => write!(out, "{}", html::report(&loaded.title, &report)),
            }
        }
        Command::Simulate {
            input,
            requests,
            seed,
            latency,
            mean_latency,
            rate,
        } => {
            let loaded = load(input)?;
            let traffic = meshlb_formats::TrafficOptions {
                rate: *rate,
                mean_latency_ms: *mean_latency,
                latencies: latency.clone(),
            };
            let simulation = if traffic.is_timed() {
                loaded
                    .simulate_traffic(*requests, *seed, &traffic)
                    .map_err(|e| Failure(format!("{}: {e}", loaded.title)))?
            } else {
                loaded.simulate(*requests, *seed)
            };
            match input.format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(&simulation)
                        .map_err(|e| Failure(e.to_string()))?;
                    writeln!(out, "{json}")
                }
                Format::Text => write!(
                    out,
                    "{}",
                    text::simulation(&loaded.title, loaded.policy(), &simulation)
                ),
            }
        }
        Command::Pick {
            input,
            requests,
            seed,
            hash,
            hash_prefix,
        } => {
            let loaded = load(input)?;
            let mut balancer = meshlb_formats::Balancer::new(loaded, *seed);
            let mut picks = Vec::new();
            for i in 0..*requests {
                let key = match (hash, hash_prefix) {
                    (Some(k), _) => Some(meshlb::hash_key(k.as_bytes())),
                    (None, Some(p)) => Some(meshlb::hash_key(format!("{p}{i}").as_bytes())),
                    (None, None) => None,
                };
                picks.push(
                    balancer
                        .pick(key)
                        .map(|p| meshlb::endpoint_address(&p.address, p.port)),
                );
            }
            match input.format {
                Format::Json => {
                    let json = serde_json::to_string(&picks).map_err(|e| Failure(e.to_string()))?;
                    writeln!(out, "{json}")
                }
                Format::Text => picks
                    .iter()
                    .try_for_each(|p| writeln!(out, "{}", p.as_deref().unwrap_or("-"))),
            }
        }
        Command::Import {
            kube,
            from,
            locality,
            to,
        } => {
            if kube.kube.is_empty() {
                return Err(Failure(
                    "import needs at least one --kube NAME=PATH (a cluster's kubectl dump)".into(),
                ));
            }
            let mut options = kube_options(kube)?;
            options.from.clone_from(from);
            options.locality.clone_from(locality);
            options.to.clone_from(to);
            let imported = meshlb_formats::kube::import_options(&options).map_err(Failure)?;
            write!(out, "{}", imported.to_yaml())
        }
        Command::Convert { file, cluster } => {
            let (name, text) = read_input(file.as_deref())?;
            let options = Options {
                cluster: cluster.clone(),
                ..Options::default()
            };
            meshlb_formats::load(&name, &text, &options).map_err(Failure)?;
            let json =
                meshlb_formats::yaml_to_json(&text).map_err(|e| Failure(format!("{name}: {e}")))?;
            writeln!(out, "{json}")
        }
    };
    finish(written)
}

/// A write's outcome as the command's.
fn finish(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        // A closed pipe (`meshlb explain | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure(format!("cannot write output: {e}"))),
    }
}

/// The input of `explain`, `simulate` and `pick`: one plan, or a listing of clusters.
fn read(args: &InputArgs) -> Result<meshlb_formats::Input, Failure> {
    if !args.kube.kube.is_empty() {
        if let Some(file) = args.files.first() {
            return Err(Failure(format!(
                "give FILE ({}) or --kube dumps, not both",
                file.display()
            )));
        }
        let mut options = kube_options(&args.kube)?;
        options.from.clone_from(&args.from);
        options.locality.clone_from(&args.locality);
        options.to.clone_from(&args.to);
        options.lb_policy = args.lb_policy;
        options.panic_threshold = args.panic_threshold;
        options.headers.clone_from(&args.headers);
        options.path.clone_from(&args.path);
        options.method.clone_from(&args.method);
        options.port = args.port;
        options.fail.clone_from(&args.fail);
        return meshlb_formats::read(&[], &options).map_err(Failure);
    }
    if args.kube.overlay.is_some() || args.kube.from_pod.is_some() {
        return Err(Failure(
            "--overlay and --from-pod apply to --kube dumps".into(),
        ));
    }
    let mut inputs = Vec::new();
    if args.files.is_empty() {
        inputs.push(read_input(None)?);
    }
    for file in &args.files {
        inputs.push(read_input(Some(file))?);
    }
    let options = Options {
        from: args.from.clone(),
        locality: args.locality.clone(),
        to: args.to.clone(),
        lb_policy: args.lb_policy,
        panic_threshold: args.panic_threshold,
        cluster: args.cluster.clone(),
        headers: args.headers.clone(),
        path: args.path.clone(),
        method: args.method.clone(),
        port: args.port,
        fail: args.fail.clone(),
        ..Options::default()
    };
    let named: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    meshlb_formats::read(&named, &options).map_err(Failure)
}

/// One plan: a listing is an error that names the clusters to choose from.
fn load(args: &InputArgs) -> Result<Loaded, Failure> {
    match read(args)? {
        meshlb_formats::Input::Loaded(loaded) => Ok(*loaded),
        meshlb_formats::Input::Listing(listing) => Err(Failure(format!(
            "{} holds {} clusters: choose one with --cluster NAME (`meshlb explain` lists them)",
            listing.title,
            listing.rows.len()
        ))),
    }
}

/// Reads the `--kube NAME=PATH` dumps (a file, or a directory's `.yaml`, `.yml` and `.json`
/// files in name order) and the overlay.
fn kube_options(args: &KubeArgs) -> Result<Options, Failure> {
    let mut kube = Vec::new();
    for spec in &args.kube {
        let (name, path) = spec.split_once('=').ok_or_else(|| {
            Failure(format!(
                "--kube {spec:?}: expected NAME=PATH (the cluster's name, then its dump)"
            ))
        })?;
        let path = std::path::Path::new(path);
        let mut files = Vec::new();
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| Failure(format!("{}: cannot read: {e}", path.display())))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|x| x.to_str())
                            .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
                })
                .collect();
            entries.sort();
            if entries.is_empty() {
                return Err(Failure(format!(
                    "--kube {spec}: {} has no .yaml, .yml or .json file",
                    path.display()
                )));
            }
            for p in entries {
                files.push(read_input(Some(&p))?);
            }
        } else {
            files.push(read_input(Some(path))?);
        }
        kube.push((name.to_string(), files));
    }
    let overlay = match &args.overlay {
        Some(p) => Some(read_input(Some(p))?),
        None => None,
    };
    Ok(Options {
        kube,
        overlay,
        from_pod: args.from_pod.clone(),
        ..Options::default()
    })
}

fn read_input(file: Option<&std::path::Path>) -> Result<(String, String), Failure> {
    let Some(path) = file else {
        return Ok((
            DEFAULT_SCENARIO.0.to_string(),
            DEFAULT_SCENARIO.1.to_string(),
        ));
    };
    let name = path.display().to_string();
    if name != "-" {
        return meshlb_formats::read_file(path).map_err(Failure);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure(format!("{name}: cannot read: {e}")))?;
    let text = meshlb_formats::text(&name, bytes).map_err(Failure)?;
    Ok((name, text))
}
