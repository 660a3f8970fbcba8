//! `ClientIpLayer` on a plain hyper server, no axum: the server records the peer of each
//! connection it accepts as a `SocketPeer` in every request's extensions, before the layer runs,
//! and the layer reads it as the socket peer (`server.rs`). Only the library's `tower` feature is
//! needed.
//!
//! Serves on 127.0.0.1 only: `cargo run -p lambda-client-ip --example hyper_server --features
//! tower`, then `curl -H 'x-forwarded-for: 6.6.6.6' http://127.0.0.1:3001/` answers 127.0.0.1,
//! not the forged entry. Its test sends a real request over loopback: `cargo test -p
//! lambda-client-ip --example hyper_server --features tower`.

use lambda_client_ip::{ClientIpLayer, Source};
use tokio::net::TcpListener;

// The server itself, which the refresh_ranges example serves with too.
mod server;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:3001").await?;
    server::serve(listener, ClientIpLayer::new(Source::default())).await
}

#[cfg(test)]
mod tests {
    // A test: a panic is the failure report.
    #![allow(clippy::unwrap_used)]

    use lambda_client_ip::ProxyCount;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use std::net::SocketAddr;

    use super::server::serve_connection;
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
