//! The AWS Query protocol as IAM and STS speak it: form-encoded parameters in, XML out.
//! Parameter decoding (`Params`), the response and error envelopes (`xml`), and the
//! operation layer generated from AWS's service models (`generated`): every operation's
//! typed input and output, decoding with the model's constraints (`decode`, `patterns`),
//! XML encoding (`encode`), the `Operation` table, the `Handler` trait and `dispatch`.
//! No I/O, no domain logic.

pub mod decode;
pub mod encode;
pub mod form;
pub mod generated;
pub mod operation;
pub mod patterns;
pub mod xml;

pub use decode::Invalid;
pub use form::{FormError, Params};
pub use generated::{dispatch, iam, sts, DeclaredError, Handler, Operation};
pub use operation::Service;
pub use xml::XmlWriter;
