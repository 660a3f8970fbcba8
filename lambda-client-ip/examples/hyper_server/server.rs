//! The server of the `hyper_server` example (and of `refresh_ranges`): every connection it
//! accepts is served with the layer, each request recorded as coming from the peer `accept()`
//! returned.

use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use lambda_client_ip::layer::SocketPeer;
use lambda_client_ip::{ClientIp, ClientIpLayer, ClientIpRejection};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceBuilder;

/// Serves every connection `listener` accepts with `layer`.
pub async fn serve(listener: TcpListener, layer: ClientIpLayer) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(serve_connection(stream, peer, layer.clone()));
    }
}

/// Serves the requests of one accepted connection, each recorded as coming from `peer`.
pub async fn serve_connection(stream: TcpStream, peer: SocketAddr, layer: ClientIpLayer) {
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
pub async fn answer(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
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
