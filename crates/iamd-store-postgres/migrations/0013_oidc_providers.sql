-- OpenID Connect providers (reserved number 16 on the lead's branch; 13 here, as
-- migrations are applied by position). The lists are JSON arrays, read and written whole.
CREATE TABLE oidc_providers (
    account_id   TEXT NOT NULL,
    url          TEXT NOT NULL,
    client_ids   TEXT NOT NULL,
    thumbprints  TEXT NOT NULL,
    tags         TEXT NOT NULL,
    create_date  BIGINT NOT NULL,
    PRIMARY KEY (account_id, url)
);
