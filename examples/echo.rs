//! The floor for cold-start measurements (`tools/coldstart/`): a bare `lambda_runtime` function
//! that answers every event with the event itself. Same runtime, same release profile, no work.
//!
//! `cargo build --release --example echo`

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
