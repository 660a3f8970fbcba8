//! # local-alb
//!
//! A local Application Load Balancer: real HTTP clients talk to it, and it invokes a Lambda
//! function the way an ALB does, so a function can be tested with the addresses real sockets
//! give it (see local-alb/README.md).
//!
//! The translation is pure and lives in two functions that fuzz targets and tests call directly:
//! - [`event::build`]: the parts of one HTTP request, as received, to the ALB's event JSON, or
//!   to the ALB's own refusal (400, 413, 463);
//! - [`response::translate`]: the function's response bytes to the HTTP response the client
//!   gets, or to the ALB's bare 502.
//!
//! Neither does I/O and neither can panic on any input. [`options`] parses the command line,
//! [`server`] is the HTTP front end and [`invoke`] calls the function (in-process or through the
//! Lambda Invoke API); [`access_log`] writes one line per request.

pub mod access_log;
pub mod event;
pub mod invoke;
pub mod options;
pub mod response;
pub mod server;
pub mod via;
