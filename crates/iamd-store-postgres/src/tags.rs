//! The tag operations of `Store` as SQL, for every taggable kind of entity: each kind's
//! entity table and tag table are chosen here, in one place (`tables`). A change locks the
//! entity's row (`FOR UPDATE`, as the other writes to that entity do), reads its tags,
//! merges them in Rust (`iamd_store::model::merge_tags`, `remove_tags`) and writes them
//! back, so two nodes tagging one entity take turns and the quota holds.
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{merge_tags, remove_tags, Tag, Tagged, TaggedKind};
use iamd_store::StoreError;

use crate::queries::{execute, query, query_opt, Fail, Result};

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

/// The id of the entity, locked until the transaction ends when `lock`; the kind's missing
/// error if there is none.
async fn entity_id<C: GenericClient>(
    c: &C,
    account_id: &str,
    entity: Tagged<'_>,
    lock: bool,
) -> Result<String> {
    let t = tables(entity.kind);
    let row = query_opt(
        c,
        &format!(
            "SELECT {id} FROM {entities} WHERE account_id = $1 AND {name_lower} = $2{lock}",
            id = t.id,
            entities = t.entities,
            name_lower = t.name_lower,
            lock = if lock { " FOR UPDATE" } else { "" }
        ),
        &[&account_id, &entity.name.to_lowercase()],
    )
    .await?
    .ok_or_else(|| entity.kind.missing())?;
    Ok(row.try_get(0)?)
}

/// The tags of the entity with id `id`, in order.
pub(crate) async fn tags_of<C: GenericClient>(
    c: &C,
    kind: TaggedKind,
    id: &str,
) -> Result<Vec<Tag>> {
    let t = tables(kind);
    let rows = query(
        c,
        &format!(
            "SELECT key, value FROM {tags} WHERE {id} = $1 ORDER BY position",
            tags = t.tags,
            id = t.id
        ),
        &[&id],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Tag {
                key: r.try_get(0)?,
                value: r.try_get(1)?,
            })
        })
        .collect()
}

/// Stores `tags` as the entity's tags, in order, after whatever it had.
pub(crate) async fn insert_tags<C: GenericClient>(
    tx: &C,
    kind: TaggedKind,
    id: &str,
    tags: &[Tag],
) -> Result<()> {
    let t = tables(kind);
    let sql = format!(
        "INSERT INTO {tags} ({id}, position, key, value) VALUES ($1, $2, $3, $4)",
        tags = t.tags,
        id = t.id
    );
    for (position, tag) in tags.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| Fail::Data(format!("tag position {position} is out of range")))?;
        execute(tx, &sql, &[&id, &position, &tag.key, &tag.value]).await?;
    }
    Ok(())
}

/// Deletes the entity's tags.
pub(crate) async fn delete_tags<C: GenericClient>(
    tx: &C,
    kind: TaggedKind,
    id: &str,
) -> Result<()> {
    let t = tables(kind);
    execute(
        tx,
        &format!(
            "DELETE FROM {tags} WHERE {id} = $1",
            tags = t.tags,
            id = t.id
        ),
        &[&id],
    )
    .await?;
    Ok(())
}

async fn replace<C: GenericClient>(
    tx: &C,
    kind: TaggedKind,
    id: &str,
    old: &[Tag],
    new: &[Tag],
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    delete_tags(tx, kind, id).await?;
    insert_tags(tx, kind, id, new).await
}

pub(crate) async fn tag_entity<C: GenericClient>(
    tx: &C,
    account_id: &str,
    entity: Tagged<'_>,
    tags: &[Tag],
    max_tags: usize,
) -> Result<()> {
    let id = entity_id(tx, account_id, entity, true).await?;
    let old = tags_of(tx, entity.kind, &id).await?;
    let new = merge_tags(old.clone(), tags);
    if new.len() > max_tags {
        return Err(StoreError::TagQuotaExceeded.into());
    }
    replace(tx, entity.kind, &id, &old, &new).await
}

pub(crate) async fn untag_entity<C: GenericClient>(
    tx: &C,
    account_id: &str,
    entity: Tagged<'_>,
    keys: &[String],
) -> Result<()> {
    let id = entity_id(tx, account_id, entity, true).await?;
    let old = tags_of(tx, entity.kind, &id).await?;
    let new = remove_tags(old.clone(), keys);
    replace(tx, entity.kind, &id, &old, &new).await
}

/// In one REPEATABLE READ transaction: the entity and its tags from one snapshot.
pub(crate) async fn list_entity_tags<C: GenericClient>(
    tx: &C,
    account_id: &str,
    entity: Tagged<'_>,
) -> Result<Vec<Tag>> {
    let id = entity_id(tx, account_id, entity, false).await?;
    tags_of(tx, entity.kind, &id).await
}
