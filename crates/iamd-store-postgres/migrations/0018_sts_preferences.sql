-- SetSecurityTokenServicePreferences: the account's global endpoint token version (1 or
-- 2). No row means AWS's default, 1.
CREATE TABLE sts_preferences (
    account_id                    TEXT     NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    global_endpoint_token_version SMALLINT NOT NULL
);
