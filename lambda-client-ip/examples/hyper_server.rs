//! `ClientIpLayer` on a plain hyper server, no axum: the server records the peer of each
//! connection it accepts as a `SocketPeer` in every request's extensions, before the layer runs,
//! and the layer reads it as the socket peer. Only the library's `tower` feature is needed.
//!
//! Serves on 127.0.0.1 only: `cargo run -p lambda-client-ip --example hyper_server --features
//! tower`, then `curl -H 'x-forwarded-for: 6.6.6.6' http://127.0.0.1:3001/` answers 127.0.0.1,
//! not the forged entry. Its test sends a real request over loopback: `cargo test -p
//! lambda-client-ip --example hyper_server --features tower`.

use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use lambda_client_ip::layer::SocketPeer;
use lambda_client_ip::{ClientIp, ClientIpLayer, ClientIpRejection, Source};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceBuilder;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:3001").await?;
    let layer = ClientIpLayer::new(Source::default());
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(serve_connection(stream, peer, layer.clone()));
    }
}

/// Serves the requests of one accepted connection, each recorded as coming from `peer`.
async fn serve_connection(stream: TcpStream, peer: SocketAddr, layer: ClientIpLayer) {
    let service = ServiceBuilder::new()
        // The peer `accept()` returned, never anything the request says; before the layer.
        .map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(SocketPeer(peer));
            request
        })
        .layer(layer)
        .service_fn(answer);
    let connection = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    if let Err(err) = connection.await {
        eprintln!("connection from {peer}: {err}");
    }
}

/// The client address the layer resolved, or its refusal: a 400 for the request's doing, a 500
/// for the server's.
async fn answer(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let resolved = request
        .extensions()
        .get::<Result<ClientIp, ClientIpRejection>>();
    let (status, body) = match resolved {
        Some(Ok(client)) => (StatusCode::OK, client.to_string()),
        Some(Err(err)) => (err.status(), err.code().to_owned()),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "no layer".to_owned()),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    // A test: a panic is the failure report.
    #![allow(clippy::unwrap_used)]

    use lambda_client_ip::ProxyCount;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Serves one connection on loopback with `source`, sends it a request carrying `xff`, and
    /// answers the response and the client's own address.
    async fn over_loopback(source: Source, xff: &str) -> (String, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, peer) = listener.accept().await.unwrap();
            serve_connection(stream, peer, ClientIpLayer::new(source)).await;
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let client = stream.local_addr().unwrap();
        let request = format!(
            "GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-for: {xff}\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        server.await.unwrap();
        (response, client)
    }

    #[tokio::test]
    async fn a_real_request_answers_the_accepted_peer_not_a_forged_chain() {
        let (response, client) = over_loopback(Source::default(), "6.6.6.6").await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.ends_with(&format!("\r\n\r\n{}", client.ip())),
            "{response}"
        );
    }

    #[tokio::test]
    async fn behind_one_proxy_the_entry_it_appended_is_read() {
        // The socket peer is position 0: a count of 1 reads the entry left of it.
        let source = Source::x_forwarded_for(ProxyCount::new(1).unwrap());
        let (response, _) = over_loopback(source, "6.6.6.6, 203.0.113.9").await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("\r\n\r\n203.0.113.9"), "{response}");
        let source = Source::x_forwarded_for(ProxyCount::new(2).unwrap());
        let (response, _) = over_loopback(source, "203.0.113.9").await;
        assert!(response.starts_with("HTTP/1.1 400"), "{response}");
        assert!(response.ends_with("chain_too_short"), "{response}");
    }
}
