//! The XML writer with arbitrary element text: a success body (`text`, `opt_text`,
//! `string_list`, `list`) and the error envelope with arbitrary code, message and request
//! id. The body must be XML 1.0 (every character a `Char`, no literal carriage return,
//! which parsers turn into a line feed), quick-xml must read it back, and each element's
//! text must come back exactly, except that characters XML 1.0 cannot carry at all come
//! back as U+FFFD, which is what the writer puts in their place.
#![no_main]

use iamd_protocol::xml::{error, success, XmlWriter};
use libfuzzer_sys::fuzz_target;
use quick_xml::events::Event;
use quick_xml::Reader;

/// XML 1.0's `Char` production (Rust's `char` has no surrogates to exclude).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn expected(text: &str) -> String {
    text.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

/// The (name, text) of every element without children, in document order.
fn leaves(body: &str) -> Vec<(String, String)> {
    for (i, c) in body.char_indices() {
        assert!(is_xml_char(c) && c != '\r', "{c:?} at {i} in {body:?}");
    }
    let mut reader = Reader::from_str(body);
    reader.config_mut().trim_text(false);
    let mut out = Vec::new();
    // The open elements, each with its text so far and whether it has children.
    let mut open: Vec<(String, String, bool)> = Vec::new();
    let mut roots = 0;
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("{e}: {body:?}"))
        {
            Event::Start(e) => {
                if let Some(parent) = open.last_mut() {
                    parent.2 = true;
                } else {
                    roots += 1;
                }
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                open.push((name, String::new(), false));
            }
            Event::End(_) => {
                let (name, text, has_children) = open.pop().expect("balanced");
                if !has_children {
                    out.push((name, text));
                }
            }
            Event::Empty(e) => {
                if let Some(parent) = open.last_mut() {
                    parent.2 = true;
                }
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                out.push((name, String::new()));
            }
            Event::Text(t) => {
                let text = t.unescape().unwrap_or_else(|e| panic!("{e}: {body:?}"));
                match open.last_mut() {
                    Some(el) => el.1.push_str(&text),
                    None => assert!(text.trim().is_empty(), "text outside the root"),
                }
            }
            Event::Decl(_) => {}
            Event::Eof => break,
            other => panic!("unexpected {other:?} in {body:?}"),
        }
    }
    assert!(open.is_empty() && roots == 1, "{body:?}");
    out
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(n, t)| (n.to_string(), expected(t)))
        .collect()
}

fuzz_target!(|input: (&str, &str, &str, &str)| {
    let (a, b, c, d) = input;
    let items = [b.to_owned(), c.to_owned()];
    let body = success(
        "GetUser",
        "https://iam.amazonaws.com/doc/2010-05-08/",
        d,
        Some(&|w: &mut XmlWriter| {
            w.text("UserName", a);
            w.opt_text("Path", Some(b));
            w.opt_text("Absent", None);
            w.string_list("Names", &items);
            w.list("Tags", &[(a, c)], |w, (k, v)| {
                w.text("Key", k);
                w.text("Value", v);
            });
            w.list::<&str>("Empty", &[], |_, _| {});
            w.bool("IsTruncated", true);
        }),
    );
    assert_eq!(
        leaves(&body),
        pairs(&[
            ("UserName", a),
            ("Path", b),
            ("member", b),
            ("member", c),
            ("Key", a),
            ("Value", c),
            ("Empty", ""),
            ("IsTruncated", "true"),
            ("RequestId", d),
        ])
    );

    let body = error(
        "https://sts.amazonaws.com/doc/2011-06-15/",
        "Sender",
        a,
        b,
        c,
    );
    // An empty message is left out, as AWS leaves it out (ReportNotPresent).
    let mut want = vec![("Type", "Sender"), ("Code", a)];
    if !b.is_empty() {
        want.push(("Message", b));
    }
    want.push(("RequestId", c));
    assert_eq!(leaves(&body), pairs(&want));
});
