//! The XML answers: `<{Op}Response>` with `<{Op}Result>` first and `ResponseMetadata`
//! after it, and the `<ErrorResponse>` envelope. Text is escaped; booleans are lowercase;
//! timestamps are ISO 8601 UTC with a `Z`. Every body is XML 1.0 whatever the text holds
//! (see [`push_text`]).

use time::OffsetDateTime;

/// Appends elements to a response body.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    pub fn start(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    pub fn end(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name/>`: how an empty list is sent.
    pub fn empty(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str("/>");
    }

    pub fn text(&mut self, name: &str, value: &str) {
        self.start(name);
        push_text(&mut self.buf, value);
        self.end(name);
    }

    /// Omits the element when there is no value.
    pub fn opt_text(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(name, v);
        }
    }

    pub fn bool(&mut self, name: &str, value: bool) {
        self.text(name, if value { "true" } else { "false" });
    }

    /// Escaped text inside the element being written.
    pub fn value(&mut self, value: &str) {
        push_text(&mut self.buf, value);
    }

    /// A timestamp inside the element being written.
    pub fn value_timestamp(&mut self, value: OffsetDateTime) {
        push_timestamp(&mut self.buf, value);
    }

    pub fn timestamp(&mut self, name: &str, value: OffsetDateTime) {
        self.start(name);
        push_timestamp(&mut self.buf, value);
        self.end(name);
    }

    /// A list wrapper with `<member>` items, or an empty wrapper for an empty list.
    pub fn list<T>(&mut self, name: &str, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        if items.is_empty() {
            self.empty(name);
            return;
        }
        self.start(name);
        for i in items {
            self.start("member");
            item(self, i);
            self.end("member");
        }
        self.end(name);
    }
}

impl XmlWriter {
    /// A list of plain strings: `<name><member>a</member>…</name>`.
    pub fn string_list(&mut self, name: &str, items: &[String]) {
        if items.is_empty() {
            self.empty(name);
            return;
        }
        self.start(name);
        for i in items {
            self.text("member", i);
        }
        self.end(name);
    }
}

/// Appends `value` as element text that any XML 1.0 parser reads back as `value`: the
/// five markup characters as entities; a carriage return as `&#xD;` (parsers turn a
/// literal one into a line feed); and each character XML 1.0 cannot carry at all, even as
/// a reference (C0 controls other than tab, line feed and carriage return; U+FFFE and
/// U+FFFF), as U+FFFD, so that the body still parses. (AWS S3 writes such characters as
/// references like `&#x7;`, which the SDKs' parsers reject; what IAM does is unconfirmed.)
fn push_text(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let (replacement, len) = match bytes[i] {
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'&' => ("&amp;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            b'\r' => ("&#xD;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..=0x1F => ("\u{FFFD}", 1),
            // U+FFFE and U+FFFF in UTF-8.
            0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => ("\u{FFFD}", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        // `i` is at an ASCII byte or a lead byte, so both slices fall on char boundaries.
        out.push_str(&value[start..i]);
        out.push_str(replacement);
        i += len;
        start = i;
    }
    out.push_str(&value[start..]);
}

/// `2016-12-03T18:53:41Z`: whole seconds, UTC.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let mut out = String::with_capacity(20);
    push_timestamp(&mut out, t);
    out
}

/// Appends [`format_timestamp`]'s text digit by digit: every listed key and user carries
/// a date, and `format!` costs several times more.
fn push_timestamp(out: &mut String, t: OffsetDateTime) {
    fn digits(out: &mut String, n: u32, width: u32) {
        for i in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
        }
    }
    let t = t.to_offset(time::UtcOffset::UTC);
    match u32::try_from(t.year()) {
        Ok(year) if year <= 9999 => digits(out, year, 4),
        // Outside what the services store; written as `format!` would.
        _ => out.push_str(&format!("{:04}", t.year())),
    }
    out.push('-');
    digits(out, u32::from(u8::from(t.month())), 2);
    out.push('-');
    digits(out, u32::from(t.day()), 2);
    out.push('T');
    digits(out, u32::from(t.hour()), 2);
    out.push(':');
    digits(out, u32::from(t.minute()), 2);
    out.push(':');
    digits(out, u32::from(t.second()), 2);
    out.push('Z');
}

/// A success body. `result` writes the `<{op}Result>` children; `None` for operations
/// without output, which answer with the metadata alone.
pub fn success(
    operation: &str,
    namespace: &str,
    request_id: &str,
    result: Option<&dyn Fn(&mut XmlWriter)>,
) -> String {
    let mut w = XmlWriter {
        buf: String::with_capacity(512),
    };
    w.buf.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.buf.push('\n');
    w.buf.push('<');
    w.buf.push_str(operation);
    w.buf.push_str("Response xmlns=\"");
    w.buf.push_str(namespace);
    w.buf.push_str("\">");
    if let Some(result) = result {
        w.buf.push('<');
        w.buf.push_str(operation);
        w.buf.push_str("Result>");
        result(&mut w);
        w.buf.push_str("</");
        w.buf.push_str(operation);
        w.buf.push_str("Result>");
    }
    w.start("ResponseMetadata");
    w.text("RequestId", request_id);
    w.end("ResponseMetadata");
    w.buf.push_str("</");
    w.buf.push_str(operation);
    w.buf.push_str("Response>");
    w.buf.push('\n');
    w.buf
}

/// An error body: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
/// An empty message is left out, as AWS leaves out the message of some errors
/// (`ReportNotPresent`).
pub fn error(namespace: &str, fault: &str, code: &str, message: &str, request_id: &str) -> String {
    let mut w = XmlWriter {
        buf: String::with_capacity(384),
    };
    w.buf.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.buf.push('\n');
    w.buf.push_str("<ErrorResponse xmlns=\"");
    w.buf.push_str(namespace);
    w.buf.push_str("\">");
    w.start("Error");
    w.text("Type", fault);
    w.text("Code", code);
    if !message.is_empty() {
        w.text("Message", message);
    }
    w.end("Error");
    w.text("RequestId", request_id);
    w.end("ErrorResponse");
    w.buf.push('\n');
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_comes_first_and_lists_use_member() {
        let body = success(
            "ListAccessKeys",
            "ns",
            "rid",
            Some(&|w: &mut XmlWriter| {
                w.list("AccessKeyMetadata", &["a&b"], |w, k| {
                    w.text("AccessKeyId", k)
                });
                w.bool("IsTruncated", false);
            }),
        );
        assert!(body.contains(r#"<ListAccessKeysResponse xmlns="ns"><ListAccessKeysResult><AccessKeyMetadata><member><AccessKeyId>a&amp;b</AccessKeyId></member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListAccessKeysResponse>"#), "{body}");
    }

    #[test]
    fn empty_lists_and_no_output() {
        let body = success(
            "ListUsers",
            "ns",
            "r",
            Some(&|w: &mut XmlWriter| w.list::<&str>("Users", &[], |_, _| {})),
        );
        assert!(body.contains("<ListUsersResult><Users/></ListUsersResult>"));
        let body = success("DeleteUser", "ns", "r", None);
        assert!(body.contains(r#"<DeleteUserResponse xmlns="ns"><ResponseMetadata>"#));
    }

    #[test]
    fn timestamps_end_in_z() {
        let t = OffsetDateTime::from_unix_timestamp(1_480_791_221).unwrap();
        assert_eq!(format_timestamp(t), "2016-12-03T18:53:41Z");
        // Converted to UTC; zero-padded; sub-seconds dropped.
        let t = time::macros::datetime!(0987-01-02 03:04:05.9 +02:00);
        assert_eq!(format_timestamp(t), "0987-01-02T01:04:05Z");
        let mut w = XmlWriter::default();
        w.timestamp(
            "CreateDate",
            time::macros::datetime!(2026-11-29 09:00:00 UTC),
        );
        assert_eq!(w.buf, "<CreateDate>2026-11-29T09:00:00Z</CreateDate>");
    }

    /// The element text as an XML parser reads it back.
    fn read_back(value: &str) -> String {
        let mut w = XmlWriter::default();
        w.text("T", value);
        let mut reader = quick_xml::Reader::from_str(&w.buf);
        reader.config_mut().trim_text(false);
        let mut text = String::new();
        loop {
            match reader.read_event().unwrap() {
                quick_xml::events::Event::Text(t) => text.push_str(&t.unescape().unwrap()),
                quick_xml::events::Event::Eof => return text,
                _ => {}
            }
        }
    }

    #[test]
    fn markup_characters_round_trip() {
        let value = "a<b>&c\"d'e\tf\ng\rh\u{7F}\u{85}\u{FFFD}\u{10FFFF}";
        assert_eq!(read_back(value), value);
        let mut w = XmlWriter::default();
        w.text("T", "a\r\nb<");
        assert_eq!(w.buf, "<T>a&#xD;\nb&lt;</T>");
    }

    /// Found by the `xml` fuzz target: a NUL in an error message (which can echo a
    /// request's parameter) made a body that no XML parser accepts.
    #[test]
    fn characters_xml_cannot_carry_become_replacement_characters() {
        let mut w = XmlWriter::default();
        w.text(
            "T",
            "a\0b\u{1}\u{8}\u{B}\u{C}\u{1F}c\u{FFFE}\u{FFFF}\u{FFFD}\u{EFBF}",
        );
        assert_eq!(
            w.buf,
            "<T>a\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}c\u{FFFD}\u{FFFD}\u{FFFD}\u{EFBF}</T>"
        );
        let body = error("ns", "Sender", "ValidationError", "name 'x\0'", "r");
        assert!(
            body.contains("<Message>name &apos;x\u{FFFD}&apos;</Message>"),
            "{body}"
        );
    }

    #[test]
    fn error_envelope() {
        let body = error(
            "ns",
            "Sender",
            "NoSuchEntity",
            "The user with name <b> cannot be found.",
            "r",
        );
        assert!(body.contains("<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name &lt;b&gt; cannot be found.</Message></Error><RequestId>r</RequestId></ErrorResponse>"));
    }
}
