// End-to-end test of the console in headless Chromium, driven by playwright-core (no
// browser download: Debian's chromium). Run by crates/iamd/tests/console.rs against a
// live iamd, with:
//   IAMD_ENDPOINT   http://127.0.0.1:PORT
//   IAMD_KEY_ID, IAMD_SECRET   a key allowed to manage the user's keys
//   IAMD_USER       a user whose keys to manage
//   SCREENSHOT      where to save the screenshot (PNG)
//   IAMD_ACCOUNT, IAMD_PASSWORD_USER, IAMD_PASSWORD   a user whose console password must
//                   be changed at sign-in (the account's policy lets users change theirs)
//   IAMD_MFA_USER, IAMD_MFA_SEED   a user with the same password (IAMD_PASSWORD) and an
//                   enabled virtual MFA device of that Base32 seed
//   CHROMIUM        the browser (default /usr/bin/chromium)
// Exits non-zero, with the reason on stderr, when a step fails.

import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";

// RFC 6238 (SHA-1, 30 s, 6 digits), from a Base32 (RFC 4648) seed.
function totp(seed, step) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of seed.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[19] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const endpoint = env("IAMD_ENDPOINT");
const user = env("IAMD_USER");

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  args: ["--headless", "--no-sandbox", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // Refused API calls (the wrong secret below) and the browser's favicon request log
  // "Failed to load resource"; anything else logged as an error is a fault, as is a
  // Content-Security-Policy violation.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  const resp = await page.goto(`${endpoint}/console/`);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()["content-security-policy"], /script-src 'self'/);

  // Signing in with a wrong secret is refused, and nothing is kept.
  await page.fill("#access-key-id", env("IAMD_KEY_ID"));
  await page.fill("#secret-access-key", "wrong");
  await page.click("#sign-in");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
  assert.match(await page.textContent("#login-error"), /SignatureDoesNotMatch/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  await page.fill("#access-key-id", env("IAMD_KEY_ID"));
  await page.fill("#secret-access-key", env("IAMD_SECRET"));
  await page.fill("#region", "eu-west-1");
  await page.click("#sign-in");
  await page.waitForFunction(() => document.getElementById("whoami").textContent.startsWith("arn:aws:"));
  // The key is in this tab's sessionStorage only.
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.equal(await page.evaluate(() => sessionStorage.length), 1);

  // Users are listed; open the user's keys.
  await page.waitForSelector(`tr[data-user="${user}"]`);
  await page.click(`tr[data-user="${user}"] .show-keys`);
  await page.waitForSelector("#keys:not([hidden])");

  // Create a key: its secret is shown once, and it is listed, active, never used.
  await page.click("#create-key");
  await page.waitForSelector("#new-key:not([hidden])");
  const keyId = await page.textContent("#new-key-id");
  const secret = await page.textContent("#new-secret");
  assert.match(keyId, /^AKIA[A-Z0-9]{16}$/);
  assert.equal(secret.length, 40);
  const row = `tr[data-key="${keyId}"]`;
  await page.waitForSelector(row);
  assert.equal(await page.textContent(`${row} .status`), "Active");
  assert.equal(await page.textContent(`${row} .last-used`), "never");

  // Flag keys older than 0 days: the new key is.
  await page.fill("#max-age", "0");
  await page.dispatchEvent("#max-age", "change");
  await page.waitForSelector(`${row}.old`);

  // Deactivate it.
  await page.click(`${row} .deactivate`);
  await page.waitForFunction(
    (sel) => document.querySelector(sel)?.querySelector(".status")?.textContent === "Inactive",
    `${row}`,
  );
  await page.click("#hide-secret");
  assert.equal(await page.textContent("#new-secret"), "");
  await page.screenshot({ path: env("SCREENSHOT"), fullPage: true });

  // Delete it: it leaves the listing.
  await page.click(`${row} .delete`);
  await page.waitForSelector(row, { state: "detached" });

  // The groups, roles and policies views answer too.
  for (const [view, first] of [["groups", "Group"], ["roles", "Role"], ["policies", "Policy"]]) {
    await page.click(`nav [data-view="${view}"]`);
    await page.waitForFunction((h) => document.querySelector("#view th")?.textContent === h, first);
    assert.equal(await page.textContent("#error"), "");
  }

  // Sign out; sign in with a password (a wrong one first), change it as required, and act
  // as that user.
  await page.click("#logout");
  await page.waitForSelector("#login:not([hidden])");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  const passwordUser = env("IAMD_PASSWORD_USER");
  await page.fill("#account", env("IAMD_ACCOUNT"));
  await page.fill("#user-name", passwordUser);
  await page.fill("#password", "Not-The-Password-0");
  await page.click("#password-sign-in");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
  assert.match(await page.textContent("#login-error"), /Wrong account, user name or password/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.fill("#account", env("IAMD_ACCOUNT"));
  await page.fill("#user-name", passwordUser);
  await page.fill("#password", env("IAMD_PASSWORD"));
  await page.click("#password-sign-in");
  await page.waitForSelector("#change-password:not([hidden])");
  await page.fill("#old-password", env("IAMD_PASSWORD"));
  await page.fill("#new-password", "Changed-In-Chromium-7");
  await page.click("#change-password-submit");
  await page.waitForFunction(
    (u) => document.getElementById("whoami").textContent.endsWith(`:user/${u}`),
    passwordUser,
  );
  await page.waitForSelector(`tr[data-user="${user}"]`);
  assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem("iamd-console-credentials")).sessionToken.length > 0), true);
  await page.screenshot({ path: env("SCREENSHOT").replace(/\.png$/, "-password.png"), fullPage: true });

  // A user with an MFA device: the password alone gets the code asked for; then the next
  // step's code (the current one may be the one EnableMFADevice spent) signs in.
  await page.click("#logout");
  await page.waitForSelector("#login:not([hidden])");
  const mfaUser = env("IAMD_MFA_USER");
  assert.equal(await page.isHidden("#mfa-code-label"), true);
  await page.fill("#account", env("IAMD_ACCOUNT"));
  await page.fill("#user-name", mfaUser);
  await page.fill("#password", env("IAMD_PASSWORD"));
  await page.click("#password-sign-in");
  await page.waitForSelector("#mfa-code-label:not([hidden])");
  assert.match(await page.textContent("#login-error"), /Enter the code of your MFA device/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.fill("#mfa-code", totp(env("IAMD_MFA_SEED"), Math.floor(Date.now() / 30000) + 1));
  await page.click("#password-sign-in");
  await page.waitForFunction(
    (u) => document.getElementById("whoami").textContent.endsWith(`:user/${u}`),
    mfaUser,
  );
  assert.equal(await page.isHidden("#mfa-code-label"), true);
  await page.screenshot({ path: env("SCREENSHOT").replace(/\.png$/, "-mfa.png"), fullPage: true });

  assert.deepEqual(problems, []);
  console.log(JSON.stringify({ ok: true, keyId }));
} finally {
  await browser.close();
}
