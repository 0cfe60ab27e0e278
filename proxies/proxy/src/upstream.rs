//! Small upstream HTTP servers for trying the proxy on one machine (`meshlb-upstreams`) and
//! for its end-to-end tests: each answers every request with `200` and its own `address:port`
//! (body and `x-served-by` header), after an optional delay.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Serves on `listener` until the task is dropped or aborted (its connections close with it);
/// each answer waits `delay`.
pub async fn serve(listener: TcpListener, delay: Duration) {
    let mut connections = tokio::task::JoinSet::new();
    let name = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |a: SocketAddr| a.to_string());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Finished connections are reaped as new ones come.
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let name = name.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |_request: Request<hyper::body::Incoming>| {
                    let name = name.clone();
                    async move {
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        let mut response =
                            Response::new(Full::new(Bytes::from(format!("{name}\n"))));
                        if let Ok(value) = hyper::header::HeaderValue::from_str(&name) {
                            response.headers_mut().insert("x-served-by", value);
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
