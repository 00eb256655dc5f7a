//! What the generated encoders (`generated`) implement and call.

use base64::Engine as _;

use crate::xml::XmlWriter;

/// A structure of an output: writes its members, in the model's order, as child elements
/// (optional members only when present; lists as `<member>` items, or an empty element).
pub trait EncodeXml {
    fn encode(&self, w: &mut XmlWriter);
}

/// A blob member's text: standard base64, as the Query protocol sends blobs.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// RFC 3986: everything but the unreserved characters is escaped (spaces as `%20`), which
/// is how IAM returns policy documents and what botocore decodes.
const DOCUMENT_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A policy document as IAM returns it: URL-encoded.
pub fn encode_document(document: &str) -> String {
    percent_encoding::utf8_percent_encode(document, DOCUMENT_ESCAPES).to_string()
}
