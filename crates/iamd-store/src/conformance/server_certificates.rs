//! Server certificates: created with their tags and sealed private key, found ignoring
//! case, listed by path prefix in name order, renamed and moved, names unique per account,
//! the account's quota, deleted with their tags.

use std::sync::Arc;

use super::{account, at};
use crate::ids;
use crate::model::{ServerCertificate, Tag, Tagged, TaggedKind};
use crate::store::{Store, StoreError};

pub(crate) fn new_certificate(account_id: &str, name: &str, path: &str) -> ServerCertificate {
    ServerCertificate {
        account_id: account_id.to_owned(),
        server_certificate_id: ids::server_certificate_id(account_id),
        name: name.to_owned(),
        path: path.to_owned(),
        body: format!("certificate of {name}"),
        chain: None,
        private_key: ids::secret_access_key().seal(super::ring()),
        upload_date: at(1),
        expiration: at(1_000_000),
        tags: Vec::new(),
    }
}

fn names(found: &[ServerCertificate]) -> Vec<&str> {
    found.iter().map(|c| c.name.as_str()).collect()
}

pub async fn server_certificates_are_named_listed_renamed_and_deleted(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    let mut web = new_certificate(&acct, "Web", "/edge/");
    web.chain = Some("the chain".into());
    web.tags = vec![Tag {
        key: "team".into(),
        value: "edge".into(),
    }];
    store.create_server_certificate(&web, 3).await.expect("web");
    let clash = store
        .create_server_certificate(&new_certificate(&acct, "WEB", "/"), 3)
        .await;
    assert!(matches!(clash, Err(StoreError::AlreadyExists)), "{clash:?}");
    store
        .create_server_certificate(&new_certificate(&acct, "api", "/"), 3)
        .await
        .expect("api");
    store
        .create_server_certificate(&new_certificate(&acct, "mail", "/edge/x/"), 3)
        .await
        .expect("mail");
    let over = store
        .create_server_certificate(&new_certificate(&acct, "more", "/"), 3)
        .await;
    assert!(
        matches!(over, Err(StoreError::ServerCertificateQuotaExceeded)),
        "{over:?}"
    );

    let found = store
        .get_server_certificate(&acct, "web")
        .await
        .expect("get")
        .expect("found ignoring case");
    assert_eq!(found, web, "as stored, with tags, chain and the sealed key");
    assert!(store
        .get_server_certificate(&acct, "nothing")
        .await
        .expect("get")
        .is_none());

    let all = store
        .list_server_certificates(&acct, "/")
        .await
        .expect("list");
    assert_eq!(names(&all), ["api", "mail", "Web"]);
    assert!(all.iter().all(|c| c.tags.is_empty()), "listed without tags");
    let edge = store
        .list_server_certificates(&acct, "/edge/")
        .await
        .expect("by prefix");
    assert_eq!(names(&edge), ["mail", "Web"]);

    store
        .update_server_certificate(&acct, "web", Some("www"), Some("/front/"))
        .await
        .expect("rename and move");
    let moved = store
        .get_server_certificate(&acct, "WWW")
        .await
        .expect("get")
        .expect("renamed");
    assert_eq!(
        (
            moved.path.as_str(),
            &moved.server_certificate_id,
            &moved.tags
        ),
        ("/front/", &web.server_certificate_id, &web.tags)
    );
    let clash = store
        .update_server_certificate(&acct, "www", Some("API"), None)
        .await;
    assert!(matches!(clash, Err(StoreError::AlreadyExists)), "{clash:?}");
    let missing = store
        .update_server_certificate(&acct, "web", None, Some("/"))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchServerCertificate)),
        "{missing:?}"
    );

    store
        .delete_server_certificate(&acct, "Www")
        .await
        .expect("delete");
    let gone = store.delete_server_certificate(&acct, "www").await;
    assert!(
        matches!(gone, Err(StoreError::NoSuchServerCertificate)),
        "{gone:?}"
    );
    let tags = store
        .list_entity_tags(&acct, Tagged::new(TaggedKind::ServerCertificate, "www"))
        .await;
    assert!(
        matches!(tags, Err(StoreError::NoSuchServerCertificate)),
        "{tags:?}"
    );
    store
        .create_server_certificate(&new_certificate(&acct, "www", "/"), 3)
        .await
        .expect("the name and the quota's place are free again");
}

/// `iamd rekey` (and the start-up pass over legacy plain rows) re-seals private keys too.
pub async fn server_certificate_keys_are_resealed(store: Arc<dyn Store>) {
    use crate::secret::{Keyring, MasterKey};
    use crate::store::Reseal;

    let (acct, _) = account(&store).await;
    let clear = ids::secret_access_key();
    let cert = ServerCertificate {
        private_key: clear.seal_plain(),
        ..new_certificate(&acct, "plain", "/")
    };
    store
        .create_server_certificate(&cert, 20)
        .await
        .expect("create");
    let (_, text) = MasterKey::generate();
    let ring_a = Keyring::new(MasterKey::from_base64(&text).expect("a valid key"))
        .with_old(MasterKey::from_base64(super::ring_text()).expect("a valid key"));
    let n = store
        .reseal_secrets(&ring_a, Reseal::Plain, 10)
        .await
        .expect("reseal");
    assert_eq!(n, 1, "the plain private key, and nothing else");
    let sealed = store
        .get_server_certificate(&acct, "plain")
        .await
        .expect("get")
        .expect("found")
        .private_key;
    assert_eq!(sealed.key_id(), Some(ring_a.current_id()));
    assert_eq!(sealed.open(&ring_a).expect("opens"), clear);
}
