-- iamd's PostgreSQL schema: virtual MFA devices, their tags, and which user each is
-- enabled for (SQLite's migration `0013_mfa_devices`). Times are unix seconds. Applied
-- once, in one transaction, and recorded in `schema_migrations`; never edit a released
-- migration, add a new one instead.

CREATE TABLE mfa_devices (
    -- The serial number (`arn:aws:iam::<account>:mfa<path><name>`) is the device's id.
    serial_number       TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    account_id          TEXT   NOT NULL REFERENCES accounts (account_id),
    -- Unique per account ignoring case; lower-cased by iamd. The unique index also
    -- decides between nodes creating one device at the same moment.
    serial_number_lower TEXT   COLLATE "C" NOT NULL,
    device_name         TEXT   NOT NULL,
    path                TEXT   NOT NULL,
    create_date         BIGINT NOT NULL,
    -- The TOTP seed (Base32 text), sealed as access keys' secrets are (`SealedSecret`).
    seed                TEXT   NOT NULL,
    -- The newest TOTP time step a code was accepted for (each code is single-use).
    last_step           BIGINT,
    -- The user it is enabled for, and since when; both NULL while unassigned. The foreign
    -- key keeps a user from being deleted while it has a device.
    user_id             TEXT   REFERENCES users (user_id),
    enable_date         BIGINT,
    CONSTRAINT mfa_devices_serial_unique UNIQUE (account_id, serial_number_lower)
);

-- ListMFADevices, the per-user quota and DeleteUser's check.
CREATE INDEX mfa_devices_by_user ON mfa_devices (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE mfa_device_tags (
    serial_number TEXT    NOT NULL REFERENCES mfa_devices (serial_number) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    PRIMARY KEY (serial_number, position)
);
