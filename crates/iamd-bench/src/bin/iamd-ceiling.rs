//! The bare-HTTP ceiling: a minimal hyper server that reads each request's body and answers
//! with a fixed ListAccessKeys-sized XML document, with no decoding, authentication or
//! storage. What iamd's figures are compared against: the most this machine's HTTP stack
//! (and the load generator sharing its cores) can do.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A two-key ListAccessKeys answer, the size of iamd's.
const BODY: &str = r#"<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListAccessKeysResult><IsTruncated>false</IsTruncated><AccessKeyMetadata><member><UserName>bench</UserName><AccessKeyId>AKIAQAAAAAAAAEXAMPLE</AccessKeyId><Status>Active</Status><CreateDate>2024-01-01T00:00:00Z</CreateDate></member><member><UserName>bench</UserName><AccessKeyId>AKIAQAAAAAAAAEXAMPL2</AccessKeyId><Status>Active</Status><CreateDate>2024-01-01T00:00:01Z</CreateDate></member></AccessKeyMetadata></ListAccessKeysResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8e0example</RequestId></ResponseMetadata></ListAccessKeysResponse>
"#;

#[derive(Parser)]
#[command(
    name = "iamd-ceiling",
    about = "Bare hyper server: the HTTP ceiling for iamd-bench"
)]
struct Cli {
    /// Address to listen on; port 0 picks a free port (printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

async fn answer(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole body, as a real server must before it can act.
    let _ = req.into_body().collect().await;
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/xml"),
    );
    Ok(resp)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("iamd-ceiling: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::bind(cli.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("iamd-ceiling: cannot listen on {}: {e}", cli.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().expect("bound address");
        println!("iamd-ceiling: listening on http://{addr}");
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service_fn(answer))
                            .await;
                    });
                }
                _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
            }
        }
    })
}
