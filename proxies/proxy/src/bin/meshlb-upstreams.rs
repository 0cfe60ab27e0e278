//! `meshlb-upstreams`: serves every endpoint of a meshlb input that is on this machine (a
//! loopback address), each answering `200` with its own `address:port`, so that
//! `meshlb-proxy` can be tried on one machine. `--locality` serves one locality's only (to
//! stop a zone, stop its process).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use meshlb_formats::{Input, Options};

/// Serves the endpoints of a meshlb input on this machine.
#[derive(Debug, Parser)]
#[command(name = "meshlb-upstreams", version)]
struct Args {
    /// The input (as `meshlb-proxy --input`).
    #[arg(long, value_name = "FILE", required = true)]
    input: Vec<PathBuf>,
    /// Envoy input holding several clusters: the cluster.
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// Serve only the endpoints at or under this locality (`region`, `region/zone`, ...).
    #[arg(long, value_name = "REGION/ZONE/SUBZONE")]
    locality: Option<String>,
    /// Delay every answer of this endpoint (`ADDRESS:PORT=MS`, repeatable).
    #[arg(long = "delay", value_name = "ADDRESS:PORT=MS")]
    delays: Vec<String>,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("meshlb-upstreams: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let files = args
        .input
        .iter()
        .map(|path| meshlb_formats::read_file(path))
        .collect::<Result<Vec<_>, _>>()?;
    let options = Options {
        cluster: args.cluster.clone(),
        ..Options::default()
    };
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let Input::Loaded(loaded) = meshlb_formats::read(&borrowed, &options)? else {
        return Err("several clusters: choose one with --cluster".into());
    };
    let selector = args
        .locality
        .as_ref()
        .map(|l| meshlb_formats::update::Selector::Locality(l.trim_end_matches('/').to_owned()));
    let mut delays = Vec::new();
    for spec in &args.delays {
        let (endpoint, ms) = spec
            .rsplit_once('=')
            .ok_or_else(|| format!("--delay {spec}: expected ADDRESS:PORT=MS"))?;
        let ms: u64 = ms
            .parse()
            .map_err(|_| format!("--delay {spec}: expected ADDRESS:PORT=MS"))?;
        delays.push((meshlb_formats::update::parse_endpoint(endpoint)?, ms));
    }
    let mut serve = Vec::new();
    for e in &loaded.explain().endpoints {
        let ip: std::net::IpAddr = match e.address.parse() {
            Ok(ip) => ip,
            Err(_) => continue,
        };
        if !ip.is_loopback()
            || selector
                .as_ref()
                .is_some_and(|s| !s.selects(&e.address, e.port, &e.locality))
            || serve
                .iter()
                .any(|(a, _, _): &(std::net::SocketAddr, String, u64)| *a == (ip, e.port).into())
        {
            continue;
        }
        let delay = delays
            .iter()
            .find(|((a, p), _)| *a == e.address && *p == e.port)
            .map_or(0, |(_, ms)| *ms);
        serve.push(((ip, e.port).into(), e.locality.clone(), delay));
    }
    if serve.is_empty() {
        return Err("no loopback endpoint to serve in the input".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        for (address, locality, delay) in &serve {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(|e| format!("{address}: {e}"))?;
            eprintln!("meshlb-upstreams: serving {address} ({locality})");
            tokio::spawn(meshlb_proxy::upstream::serve(
                listener,
                Duration::from_millis(*delay),
            ));
        }
        std::future::pending::<()>().await;
        Ok(())
    })
}
