//! `Marker`/`MaxItems` pagination. Markers are opaque to clients but self-describing to
//! iamd: they name the operation and the listing they belong to, and hold the last item's
//! sort key, so a page boundary stays correct when items are added or removed between
//! pages, and a marker from another operation or another user is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::IamError;
use crate::store::After;

pub const DEFAULT_MAX_ITEMS: usize = 100;

const VERSION: &str = "m1";
const SEP: char = '\u{1f}';

/// The listing a marker belongs to: the operation, whose items it pages through, and the
/// kind of position its items are sorted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<'a> {
    pub operation: &'a str,
    pub scope: &'a str,
    pub sorted_by: SortKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    UserName,
    Key,
    /// A position in a sequence the request itself defines (the simulator's actions times
    /// resources), for listings that are computed rather than stored.
    Offset,
}

fn invalid() -> IamError {
    IamError::validation("Invalid Marker.")
}

pub fn encode(listing: &Listing<'_>, after: &After) -> String {
    let position = match after {
        After::Start => String::new(),
        After::UserName(name) => format!("u{SEP}{name}"),
        After::Key {
            created,
            access_key_id,
        } => format!("k{SEP}{created}{SEP}{access_key_id}"),
    };
    let raw = format!(
        "{VERSION}{SEP}{}{SEP}{}{SEP}{position}",
        listing.operation, listing.scope
    );
    URL_SAFE_NO_PAD.encode(raw)
}

/// Decodes a marker, refusing one that was not issued for `listing`.
pub fn decode(listing: &Listing<'_>, marker: &str) -> Result<After, IamError> {
    let bytes = URL_SAFE_NO_PAD.decode(marker).map_err(|_| invalid())?;
    let raw = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = raw.split(SEP);
    let (Some(VERSION), Some(op), Some(scope)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if op != listing.operation || scope != listing.scope {
        return Err(invalid());
    }
    let after = match (
        listing.sorted_by,
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (SortKey::UserName, Some("u"), Some(name), None, None) if !name.is_empty() => {
            After::UserName(name.to_owned())
        }
        (SortKey::Key, Some("k"), Some(created), Some(id), None) if !id.is_empty() => After::Key {
            created: created.parse().map_err(|_| invalid())?,
            access_key_id: id.to_owned(),
        },
        _ => return Err(invalid()),
    };
    Ok(after)
}

/// The marker of an offset-positioned listing's next page, starting at `offset`.
pub fn encode_offset(listing: &Listing<'_>, offset: usize) -> String {
    let raw = format!(
        "{VERSION}{SEP}{}{SEP}{}{SEP}o{SEP}{offset}",
        listing.operation, listing.scope
    );
    URL_SAFE_NO_PAD.encode(raw)
}

/// The offset an offset-positioned listing's marker starts at, which must be below `len`.
pub fn decode_offset(listing: &Listing<'_>, marker: &str, len: usize) -> Result<usize, IamError> {
    let bytes = URL_SAFE_NO_PAD.decode(marker).map_err(|_| invalid())?;
    let raw = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = raw.split(SEP);
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some(VERSION), Some(op), Some(scope), Some("o"), Some(offset), None)
            if op == listing.operation
                && scope == listing.scope
                && listing.sorted_by == SortKey::Offset =>
        {
            offset
                .parse()
                .ok()
                .filter(|&n: &usize| n > 0 && n < len)
                .ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

/// One page of a listing held whole in memory, in offset order (`SortKey::Offset`): the
/// items from `marker`'s offset (the start without one), at most `max_items`, and the
/// marker of the next page when items are left.
pub fn offset_page<T>(
    listing: &Listing<'_>,
    marker: Option<&str>,
    mut items: Vec<T>,
    max_items: usize,
) -> Result<(Vec<T>, Option<String>), IamError> {
    let start = match marker {
        Some(m) => decode_offset(listing, m, items.len())?,
        None => 0,
    };
    let end = start.saturating_add(max_items).min(items.len());
    let next = (end < items.len()).then(|| encode_offset(listing, end));
    items.truncate(end);
    Ok((items.split_off(start), next))
}

/// The name a name-sorted listing's marker points after (`None` without a marker).
pub fn name_after(listing: &Listing<'_>, marker: Option<&str>) -> Result<Option<String>, IamError> {
    match marker.map(|m| decode(listing, m)).transpose()? {
        None => Ok(None),
        Some(After::UserName(name)) => Ok(Some(name)),
        // `decode` only returns positions of the listing's own kind.
        Some(After::Start | After::Key { .. }) => Err(invalid()),
    }
}

/// Cuts `items` (fetched with one more than `max`) to a page, and returns the marker of the
/// next page when there is one, positioned after the last item's `sort_key` (the name as
/// the store sorts it: lower-cased for entity names, as is for inline policy names).
pub fn name_page<T>(
    listing: &Listing<'_>,
    items: &mut Vec<T>,
    max: usize,
    sort_key: impl Fn(&T) -> String,
) -> Option<String> {
    if items.len() <= max {
        return None;
    }
    items.truncate(max);
    items
        .last()
        .map(|last| encode(listing, &After::UserName(sort_key(last))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAK: Listing<'static> = Listing {
        operation: "ListAccessKeys",
        scope: "AIDAEXAMPLE",
        sorted_by: SortKey::Key,
    };

    /// Whether the generated decoder accepts `m` as a `Marker`.
    fn marker_is_valid(m: &str) -> bool {
        use iamd_protocol::decode::DecodeInput;
        let params = iamd_protocol::Params::parse(format!("Marker={m}").as_bytes()).unwrap();
        iamd_protocol::iam::ListUsersInput::decode(&params).is_ok()
    }

    #[test]
    fn round_trip() {
        let after = After::Key {
            created: 1_700_000_000,
            access_key_id: "AKIAEXAMPLE".into(),
        };
        let m = encode(&LAK, &after);
        assert_eq!(decode(&LAK, &m).unwrap(), after);
        assert!(
            marker_is_valid(&m),
            "markers satisfy the model's marker constraints"
        );
    }

    #[test]
    fn foreign_and_forged_markers_are_refused() {
        let m = encode(
            &LAK,
            &After::Key {
                created: 1,
                access_key_id: "AKIAX".into(),
            },
        );
        let other_user = Listing {
            scope: "AIDAOTHER",
            ..LAK
        };
        assert!(decode(&other_user, &m).is_err());
        let users = Listing {
            operation: "ListUsers",
            scope: "AIDAEXAMPLE",
            sorted_by: SortKey::UserName,
        };
        assert!(decode(&users, &m).is_err());
        // The right listing, but a position of the wrong kind.
        let wrong_kind = encode(&LAK, &After::UserName("bob".into()));
        assert!(decode(&LAK, &wrong_kind).is_err());
        for forged in [
            "",
            "abc",
            "!!!!",
            "bTEfTGlzdEFjY2Vzc0tleXMfQUlEQUVYQU1QTEUfax8",
            &m[..m.len() - 2],
        ] {
            assert_eq!(decode(&LAK, forged).unwrap_err().message, "Invalid Marker.");
        }
    }

    #[test]
    fn offset_markers() {
        let listing = Listing {
            operation: "SimulatePolicy",
            scope: "3x2",
            sorted_by: SortKey::Offset,
        };
        let m = encode_offset(&listing, 4);
        assert_eq!(decode_offset(&listing, &m, 6).unwrap(), 4);
        // Past the end of this request's sequence, or for another request's shape.
        assert!(decode_offset(&listing, &m, 4).is_err());
        let other = Listing {
            scope: "3x1",
            ..listing.clone()
        };
        assert!(decode_offset(&other, &m, 6).is_err());
        assert!(decode_offset(&listing, &encode_offset(&listing, 0), 6).is_err());
        assert!(decode_offset(&LAK, &m, 6).is_err());
        assert!(decode_offset(&listing, "garbage", 6).is_err());
        assert!(
            marker_is_valid(&m),
            "markers satisfy the model's marker constraints"
        );
    }

    #[test]
    fn name_pages() {
        let listing = Listing {
            operation: "ListRoles",
            scope: "123456789012",
            sorted_by: SortKey::UserName,
        };
        let mut items = vec!["Alpha".to_owned(), "beta".to_owned(), "Gamma".to_owned()];
        let marker = name_page(&listing, &mut items, 2, |n| n.to_lowercase()).unwrap();
        assert_eq!(items, ["Alpha", "beta"]);
        assert_eq!(
            name_after(&listing, Some(&marker)).unwrap(),
            Some("beta".to_owned())
        );
        assert_eq!(name_after(&listing, None).unwrap(), None);
        let mut last = vec!["x".to_owned()];
        assert_eq!(name_page(&listing, &mut last, 1, String::clone), None);
        // A key-sorted marker is refused by a name-sorted listing.
        let keys = encode(
            &LAK,
            &After::Key {
                created: 1,
                access_key_id: "AKIAX".into(),
            },
        );
        let foreign = Listing {
            operation: "ListAccessKeys",
            ..listing
        };
        assert!(name_after(&foreign, Some(&keys)).is_err());
    }
}
