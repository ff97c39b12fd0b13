//! The bare-HTTP baseline: a server on polyq's own HTTP stack (hyper 1 + hyper-util's auto
//! connection builder, accepted and spawned exactly as `polyq-http` does) whose one handler
//! reads the body and answers a fixed 200. Benching it with the same client and request shape
//! as a real run shows what the machine, the HTTP stack and the load generator allow at most.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;

/// Shaped like an SQS JSON answer, so CreateQueue, SendMessage and DeleteQueue all parse.
pub const ANSWER: &str = r#"{"QueueUrl":"http://127.0.0.1/000000000000/baseline","MessageId":"00000000-0000-4000-8000-000000000000","MD5OfMessageBody":"6a1cc7e7f7b7e7e7e7e7e7e7e7e7e7e7"}"#;

async fn handle(req: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    // Read the whole body, as polyq does before dispatching.
    let _ = req.into_body().collect().await;
    let resp = hyper::Response::builder()
        .status(200)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000")
        .body(Full::new(Bytes::from_static(ANSWER.as_bytes())))
        .expect("static response");
    Ok(resp)
}

/// Serves the baseline on `listener` until `stop` resolves.
pub async fn serve(listener: TcpListener, stop: impl std::future::Future<Output = ()>) {
    let builder = Builder::new(TokioExecutor::new());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service_fn(handle))
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut stop => break,
        }
    }
}

/// Binds `addr` and serves until SIGINT/SIGTERM or `lifetime` has passed.
pub async fn run(addr: SocketAddr, lifetime: Duration) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    eprintln!(
        "polyq bench baseline: answering every request with a fixed 200 on http://{}",
        listener.local_addr()?
    );
    let stop = async move {
        tokio::select! {
            () = crate::interrupted() => {}
            _ = tokio::time::sleep(lifetime) => {}
        }
    };
    serve(listener, stop).await;
    Ok(())
}
