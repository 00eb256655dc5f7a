//! The AWS Query protocol as IAM and STS speak it: form-encoded parameters in, XML out.
//! Parameter decoding (`Params`), the response and error envelopes (`xml`), and the
//! Action/Version dispatch table (`Operation`). No I/O, no domain logic: the server turns
//! `Params` into typed inputs and typed outputs into XML with the writer here.

pub mod form;
pub mod operation;
pub mod xml;

pub use form::{FormError, Params};
pub use operation::{Operation, Service};
pub use xml::XmlWriter;
