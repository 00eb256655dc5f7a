//! Virtual MFA devices and MFA sessions, with the real aws-sdk-iam and aws-sdk-sts. The
//! test computes its TOTP codes itself from the seed the server returns (its own RFC 6238
//! implementation, checked against the RFC's vectors), as an authenticator app would.

mod common;

use aws_sdk_iam::types::{AssignmentStatusType, SummaryKeyType, Tag};
use common::{err_of, iam_session_client, TestServer, ACCOUNT};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// RFC 6238 TOTP: HMAC-SHA-1 over the 30-second step, 6 digits.
fn totp(key: &[u8], step: u64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[19] & 0x0f);
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{n:06}")
}

/// RFC 4648 base32 (no padding).
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|&x| x == c).expect("base32") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn step_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

#[test]
fn the_tests_totp_matches_rfc_6238() {
    let key = b"12345678901234567890";
    for (t, code) in [
        (59u64, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ] {
        assert_eq!(totp(key, t / 30), code, "T = {t}");
    }
    assert_eq!(base32_decode("MZXW6YTBOI"), b"foobar");
}

/// The AWS error code and message of a failed STS call.
fn sts_err<E, R>(e: aws_sdk_sts::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match e {
        aws_sdk_sts::error::SdkError::ServiceError(se) => {
            let err = se.err();
            (
                err.code().unwrap_or_default().to_owned(),
                err.message().unwrap_or_default().to_owned(),
            )
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

const INVALID_CODE: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code. ";

/// A virtual device created by root: (serial number, seed key).
async fn create_device(srv: &TestServer, name: &str) -> (String, Vec<u8>) {
    let out = srv
        .root()
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(name)
        .send()
        .await
        .expect("create device");
    let device = out.virtual_mfa_device().expect("device");
    let seed = std::str::from_utf8(device.base32_string_seed().unwrap().as_ref())
        .unwrap()
        .to_owned();
    (device.serial_number().to_owned(), base32_decode(&seed))
}

/// Creates a device and enables it for `user` with the codes of the two steps before now,
/// so that the codes of now and of the next step are still fresh afterwards.
async fn enabled_device(srv: &TestServer, user: &str, name: &str) -> (String, Vec<u8>) {
    let (serial, key) = create_device(srv, name).await;
    let s = step_now();
    srv.root()
        .enable_mfa_device()
        .user_name(user)
        .serial_number(&serial)
        .authentication_code1(totp(&key, s - 2))
        .authentication_code2(totp(&key, s - 1))
        .send()
        .await
        .expect("enable");
    (serial, key)
}

/// A six-digit code that is no code of `key` near now.
fn wrong_code(key: &[u8]) -> String {
    let s = step_now();
    let near: Vec<String> = (s - 3..=s + 3).map(|s| totp(key, s)).collect();
    (0..)
        .map(|n: u32| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

#[tokio::test]
async fn a_device_is_created_with_its_seed_and_qr_code() {
    let srv = TestServer::start().await;
    let out = srv
        .root()
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("phone")
        .path("/team/")
        .tags(Tag::builder().key("owner").value("ana").build().unwrap())
        .send()
        .await
        .unwrap();
    let device = out.virtual_mfa_device().unwrap();
    assert_eq!(
        device.serial_number(),
        format!("arn:aws:iam::{ACCOUNT}:mfa/team/phone")
    );
    let seed = std::str::from_utf8(device.base32_string_seed().unwrap().as_ref()).unwrap();
    assert_eq!(
        seed.len(),
        64,
        "AWS's seeds are 40 bytes, 64 base32 characters"
    );
    assert_eq!(base32_decode(seed).len(), 40);
    assert_eq!(device.tags().len(), 1);

    // The QR code is a real PNG: its signature, then IHDR, square, and it decodes.
    let png = device.qr_code_png().unwrap().as_ref().to_vec();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG image data");
    assert_eq!(info.width, info.height);
    assert!(
        info.width >= 21 * 4,
        "at least a version 1 code at 4 px a module"
    );
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    // Read back as an authenticator app would: AWS's URI, with the seed given.
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, uri) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(
        uri,
        format!("otpauth://totp/phone@{ACCOUNT}?secret={seed}"),
        "AWS's form: otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String"
    );

    // The seed is shown once: listings never carry it.
    let listed = srv.root().list_virtual_mfa_devices().send().await.unwrap();
    let listed = listed.virtual_mfa_devices();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].base32_string_seed().is_none() && listed[0].qr_code_png().is_none());

    // The same path and name, in any casing, is taken.
    let e = err_of(
        srv.root()
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("PHONE")
            .path("/team/")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "MFADevice entity at the same path and name already exists.".into(),
            409
        )
    );
}

#[tokio::test]
async fn devices_are_enabled_listed_deactivated_and_deleted() {
    let srv = TestServer::start().await;
    let root = srv.root();
    srv.user_with_key("ana").await;
    srv.user_with_key("ben").await;
    let (serial, key) = create_device(&srv, "ana-phone").await;
    let (spare, _) = create_device(&srv, "spare").await;
    let s = step_now();

    // Wrong codes, or codes out of order, are refused.
    for (c1, c2) in [
        (wrong_code(&key), totp(&key, s)),
        (totp(&key, s), totp(&key, s - 1)),
    ] {
        let e = err_of(
            root.enable_mfa_device()
                .user_name("ana")
                .serial_number(&serial)
                .authentication_code1(c1)
                .authentication_code2(c2)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(
            e,
            (
                "InvalidAuthenticationCode".into(),
                "Authentication code for device is not valid.".into(),
                403
            )
        );
    }
    let e = err_of(
        root.enable_mfa_device()
            .user_name("ana")
            .serial_number(format!("arn:aws:iam::{ACCOUNT}:mfa/none"))
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
    assert_eq!(
        e.1,
        format!(
            "VirtualMFADevice with serial number arn:aws:iam::{ACCOUNT}:mfa/none doesn't exist."
        )
    );
    root.enable_mfa_device()
        .user_name("ana")
        .serial_number(&serial)
        .authentication_code1(totp(&key, s - 2))
        .authentication_code2(totp(&key, s - 1))
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.enable_mfa_device()
            .user_name("ben")
            .serial_number(&serial)
            .authentication_code1(totp(&key, s - 1))
            .authentication_code2(totp(&key, s))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "MFA Device is already in use.".into(),
            409
        )
    );

    // Listings.
    let mine = root
        .list_mfa_devices()
        .user_name("ana")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.mfa_devices().len(), 1);
    assert_eq!(mine.mfa_devices()[0].serial_number(), serial);
    assert_eq!(mine.mfa_devices()[0].user_name(), "ana");
    let assigned = root
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Assigned)
        .send()
        .await
        .unwrap();
    let assigned = assigned.virtual_mfa_devices();
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].user().unwrap().user_name(), "ana");
    assert!(assigned[0].enable_date().is_some());
    let unassigned = root
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Unassigned)
        .send()
        .await
        .unwrap();
    assert_eq!(unassigned.virtual_mfa_devices().len(), 1);
    assert_eq!(unassigned.virtual_mfa_devices()[0].serial_number(), spare);
    let any = root
        .list_virtual_mfa_devices()
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(any.is_truncated());
    let rest = root
        .list_virtual_mfa_devices()
        .marker(any.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.virtual_mfa_devices().len(), 1);
    assert!(!rest.is_truncated());
    let got = root
        .get_mfa_device()
        .user_name("ana")
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    assert_eq!(got.user_name(), Some("ana"));

    // Counted by GetAccountSummary.
    let summary = root.get_account_summary().send().await.unwrap();
    let map = summary.summary_map().unwrap();
    assert_eq!(map.get(&SummaryKeyType::MfaDevices), Some(&2));
    assert_eq!(map.get(&SummaryKeyType::MfaDevicesInUse), Some(&1));

    // Tags.
    root.tag_mfa_device()
        .serial_number(&serial)
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = root
        .list_mfa_device_tags()
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    root.untag_mfa_device()
        .serial_number(&serial)
        .tag_keys("K")
        .send()
        .await
        .unwrap();

    // Neither the user (its keys gone) nor the enabled device can be deleted.
    let keys = root
        .list_access_keys()
        .user_name("ana")
        .send()
        .await
        .unwrap();
    for k in keys.access_key_metadata() {
        root.delete_access_key()
            .user_name("ana")
            .access_key_id(k.access_key_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let e = err_of(
        root.delete_user()
            .user_name("ana")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "DeleteConflict");
    assert_eq!(e.1, "Cannot delete entity, must delete MFA device first.");
    let e = err_of(
        root.delete_virtual_mfa_device()
            .serial_number(&serial)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "DeleteConflict".into(),
            "MFA VirtualDevice in use. Must deactivate first.".into(),
            409
        )
    );

    // Deactivating: only for its user.
    let e = err_of(
        root.deactivate_mfa_device()
            .user_name("ben")
            .serial_number(&serial)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
    root.deactivate_mfa_device()
        .user_name("ana")
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    root.delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.delete_virtual_mfa_device()
            .serial_number(&serial)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
    root.delete_user().user_name("ana").send().await.unwrap();
}

#[tokio::test]
async fn an_mfa_session_may_call_iam_and_codes_are_single_use() {
    let srv = TestServer::start().await;
    let (key_id, secret) = srv.user_with_key("cy").await;
    srv.allow_self_service("cy").await;
    srv.allow("cy", "iam:ListMFADevices").await;
    // ListUsers only with MFA, recently.
    srv.root()
        .put_user_policy()
        .user_name("cy")
        .policy_name("mfa-only")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
                "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},
                             "NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#,
        )
        .send()
        .await
        .unwrap();
    let (serial, key) = enabled_device(&srv, "cy", "cy-phone").await;
    let sts = srv.sts(&key_id, &secret);

    // Without MFA: the session cannot call IAM.
    let plain = sts.get_session_token().send().await.unwrap();
    let plain = plain.credentials().unwrap();
    let iam = iam_session_client(
        &srv.endpoint(),
        plain.access_key_id(),
        plain.secret_access_key(),
        Some(plain.session_token()),
    );
    let e = err_of(iam.list_access_keys().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId");
    // Nor does the long-term key pass the MFA condition.
    let e = err_of(
        srv.iam(&key_id, &secret)
            .list_users()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");

    // A wrong code, and a device that is not the caller's, are refused.
    let e = sts_err(
        sts.get_session_token()
            .serial_number(&serial)
            .token_code(wrong_code(&key))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("AccessDenied".into(), INVALID_CODE.into()));
    let (other, other_key) = create_device(&srv, "nobodys").await;
    let e = sts_err(
        sts.get_session_token()
            .serial_number(&other)
            .token_code(totp(&other_key, step_now()))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
    );

    // With a fresh code: an MFA session, which may call IAM.
    let code = totp(&key, step_now());
    let out = sts
        .get_session_token()
        .serial_number(&serial)
        .token_code(&code)
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let iam = iam_session_client(
        &srv.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let keys = iam.list_access_keys().send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);
    let users = iam.list_users().send().await.unwrap();
    assert!(users.users().iter().any(|u| u.user_name() == "cy"));
    let mine = iam.list_mfa_devices().send().await.unwrap();
    assert_eq!(
        mine.mfa_devices().len(),
        1,
        "ListMFADevices without UserName: the caller's"
    );

    // The same code again: refused, however soon.
    let e = sts_err(
        sts.get_session_token()
            .serial_number(&serial)
            .token_code(&code)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("AccessDenied".into(), INVALID_CODE.into()));
}

#[tokio::test]
async fn a_trust_policy_requiring_mfa_admits_only_callers_with_a_code() {
    let srv = TestServer::start().await;
    let (key_id, secret) = srv.user_with_key("dee").await;
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",
            "Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/dee"}},"Action":"sts:AssumeRole",
            "Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    );
    let role = srv
        .root()
        .create_role()
        .role_name("guarded")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();
    let (serial, key) = enabled_device(&srv, "dee", "dee-phone").await;
    let sts = srv.sts(&key_id, &secret);

    let e = sts_err(
        sts.assume_role()
            .role_arn(&role_arn)
            .role_session_name("no-mfa")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/dee is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
    );
    let e = sts_err(
        sts.assume_role()
            .role_arn(&role_arn)
            .role_session_name("bad-code")
            .serial_number(&serial)
            .token_code(wrong_code(&key))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("AccessDenied".into(), INVALID_CODE.into()));

    let code = totp(&key, step_now());
    let out = sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("with-mfa")
        .serial_number(&serial)
        .token_code(&code)
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let me = srv
        .sts_session(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/guarded/with-mfa").as_str())
    );
    // The code is spent.
    let e = sts_err(
        sts.assume_role()
            .role_arn(&role_arn)
            .role_session_name("replay")
            .serial_number(&serial)
            .token_code(&code)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("AccessDenied".into(), INVALID_CODE.into()));
}

#[tokio::test]
async fn resync_takes_two_consecutive_codes_and_spends_them() {
    let srv = TestServer::start().await;
    let (key_id, secret) = srv.user_with_key("eve").await;
    let (serial, key) = enabled_device(&srv, "eve", "eve-phone").await;
    let root = srv.root();
    let s = step_now();
    let e = err_of(
        root.resync_mfa_device()
            .user_name("eve")
            .serial_number(&serial)
            .authentication_code1(wrong_code(&key))
            .authentication_code2(totp(&key, s))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "InvalidAuthenticationCode");
    // Another user's device is not found for this one.
    srv.user_with_key("fay").await;
    let e = err_of(
        root.resync_mfa_device()
            .user_name("fay")
            .serial_number(&serial)
            .authentication_code1(totp(&key, s - 1))
            .authentication_code2(totp(&key, s))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
    root.resync_mfa_device()
        .user_name("eve")
        .serial_number(&serial)
        .authentication_code1(totp(&key, s))
        .authentication_code2(totp(&key, s + 1))
        .send()
        .await
        .unwrap();
    // The resync spent the codes up to s + 1: they no longer make a session.
    let sts = srv.sts(&key_id, &secret);
    for step in [s, s + 1] {
        let e = sts_err(
            sts.get_session_token()
                .serial_number(&serial)
                .token_code(totp(&key, step))
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(e, ("AccessDenied".into(), INVALID_CODE.into()));
    }
    // Only one of the two MFA parameters.
    let e = sts_err(
        sts.get_session_token()
            .serial_number(&serial)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.".into()
        )
    );
}
