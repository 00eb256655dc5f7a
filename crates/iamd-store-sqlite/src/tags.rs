//! The tag operations of `Store` as SQL, for every taggable kind of entity: each kind's
//! entity table and tag table are chosen here, in one place (`tables`). A change reads the
//! entity's tags, merges them in Rust (`iamd_store::model::merge_tags`, `remove_tags`) and
//! writes them back, inside the one write transaction (the single writer), so the quota
//! check and the write cannot be interleaved with another. A user's tag rows changing is
//! what the user directory's triggers watch, so its copy follows.

use iamd_store::model::{merge_tags, remove_tags, Tag, Tagged, TaggedKind};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, Result};

/// Where one kind's entities and tags live.
struct Tables {
    /// The entity table, its id column and its lower-cased name column.
    entities: &'static str,
    id: &'static str,
    name_lower: &'static str,
    /// The tag table (`<id>, position, key, value`).
    tags: &'static str,
}

fn tables(kind: TaggedKind) -> Tables {
    match kind {
        TaggedKind::User => Tables {
            entities: "users",
            id: "user_id",
            name_lower: "user_name_lower",
            tags: "user_tags",
        },
        TaggedKind::Role => Tables {
            entities: "roles",
            id: "role_id",
            name_lower: "role_name_lower",
            tags: "role_tags",
        },
        TaggedKind::Policy => Tables {
            entities: "managed_policies",
            id: "policy_id",
            name_lower: "policy_name_lower",
            tags: "policy_tags",
        },
        TaggedKind::InstanceProfile => Tables {
            entities: "instance_profiles",
            id: "instance_profile_id",
            name_lower: "instance_profile_name_lower",
            tags: "instance_profile_tags",
        },
        TaggedKind::MfaDevice => Tables {
            entities: "mfa_devices",
            id: "serial_number",
            name_lower: "serial_number_lower",
            tags: "mfa_device_tags",
        },
        TaggedKind::ServerCertificate => Tables {
            entities: "server_certificates",
            id: "server_certificate_id",
            name_lower: "name_lower",
            tags: "server_certificate_tags",
        },
    }
}

/// The id of the entity; the kind's missing error if there is none.
fn entity_id(tx: &Connection, account_id: &str, entity: Tagged<'_>) -> Result<String> {
    let t = tables(entity.kind);
    let id: Option<String> = query_one(
        tx,
        &format!(
            "SELECT {id} FROM {entities} WHERE account_id = ?1 AND {name_lower} = ?2",
            id = t.id,
            entities = t.entities,
            name_lower = t.name_lower
        ),
        params![account_id, entity.name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?;
    Ok(id.ok_or_else(|| entity.kind.missing())?)
}

/// The tags of the entity with id `id`, in order.
pub(crate) fn tags_of(tx: &Connection, kind: TaggedKind, id: &str) -> Result<Vec<Tag>> {
    let t = tables(kind);
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT key, value FROM {tags} WHERE {id} = ?1 ORDER BY position",
        tags = t.tags,
        id = t.id
    ))?;
    let tags = stmt
        .query_map([id], |r| {
            Ok(Tag {
                key: r.get(0)?,
                value: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(tags)
}

/// Stores `tags` as the entity's tags, in order, after whatever it had.
pub(crate) fn insert_tags(tx: &Connection, kind: TaggedKind, id: &str, tags: &[Tag]) -> Result<()> {
    let t = tables(kind);
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO {tags} ({id}, position, key, value) VALUES (?1, ?2, ?3, ?4)",
        tags = t.tags,
        id = t.id
    ))?;
    for (position, tag) in tags.iter().enumerate() {
        insert.execute(params![id, position as i64, tag.key, tag.value])?;
    }
    Ok(())
}

/// Deletes the entity's tags.
pub(crate) fn delete_tags(tx: &Connection, kind: TaggedKind, id: &str) -> Result<()> {
    let t = tables(kind);
    tx.prepare_cached(&format!(
        "DELETE FROM {tags} WHERE {id} = ?1",
        tags = t.tags,
        id = t.id
    ))?
    .execute([id])?;
    Ok(())
}

/// Replaces the entity's tags with `new` (only when they differ: an unchanged user is not
/// re-read into the directory).
fn replace(tx: &Connection, kind: TaggedKind, id: &str, old: &[Tag], new: &[Tag]) -> Result<()> {
    if old == new {
        return Ok(());
    }
    delete_tags(tx, kind, id)?;
    insert_tags(tx, kind, id, new)
}

pub(crate) fn tag_entity(
    tx: &Connection,
    account_id: &str,
    entity: Tagged<'_>,
    tags: &[Tag],
    max_tags: usize,
) -> Result<()> {
    let id = entity_id(tx, account_id, entity)?;
    let old = tags_of(tx, entity.kind, &id)?;
    let new = merge_tags(old.clone(), tags);
    if new.len() > max_tags {
        return Err(StoreError::TagQuotaExceeded.into());
    }
    replace(tx, entity.kind, &id, &old, &new)
}

pub(crate) fn untag_entity(
    tx: &Connection,
    account_id: &str,
    entity: Tagged<'_>,
    keys: &[String],
) -> Result<()> {
    let id = entity_id(tx, account_id, entity)?;
    let old = tags_of(tx, entity.kind, &id)?;
    let new = remove_tags(old.clone(), keys);
    replace(tx, entity.kind, &id, &old, &new)
}

pub(crate) fn list_entity_tags(
    tx: &Connection,
    account_id: &str,
    entity: Tagged<'_>,
) -> Result<Vec<Tag>> {
    let id = entity_id(tx, account_id, entity)?;
    tags_of(tx, entity.kind, &id)
}
