-- SAML 2.0 identity providers: the IdP metadata document as uploaded, tags as a JSON
-- array of [key, value] pairs, read and written whole.
CREATE TABLE saml_providers (
    account_id                 TEXT NOT NULL,
    name                       TEXT NOT NULL,
    uuid                       TEXT NOT NULL,
    metadata                   TEXT NOT NULL,
    valid_until                BIGINT NOT NULL,
    assertion_encryption_mode  TEXT,
    tags                       TEXT NOT NULL,
    create_date                BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);
