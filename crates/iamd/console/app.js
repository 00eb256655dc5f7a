// The iamd console: a single-page application over the IAM Query API. Every action is a
// request signed here (sigv4.js) with the signed-in key and authorized by the server as
// any API call; the console holds no power of its own. Credentials live in this tab's
// sessionStorage only, and leave it only as signatures.

import { signedPost } from "./sigv4.js";

const STORE = "iamd-console-credentials";
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

function credentials() {
  const raw = sessionStorage.getItem(STORE);
  return raw ? JSON.parse(raw) : null;
}

// Calls an operation; returns the response's XML document, or throws ApiError.
async function call(action, params = {}, service = "iam") {
  const creds = credentials();
  if (!creds) throw new ApiError("NotSignedIn", "sign in first");
  const version = service === "sts" ? "2011-06-15" : "2010-05-08";
  const resp = await signedPost(creds, service, { Action: action, Version: version, ...params });
  const doc = new DOMParser().parseFromString(await resp.text(), "application/xml");
  if (!resp.ok) {
    throw new ApiError(text(doc, "Code") || String(resp.status), text(doc, "Message") || resp.statusText);
  }
  return doc;
}

function text(node, tag) {
  const el = node.getElementsByTagName(tag)[0];
  return el ? el.textContent : "";
}

function members(doc, listTag) {
  const list = doc.getElementsByTagName(listTag)[0];
  return list ? [...list.children].filter((c) => c.tagName === "member") : [];
}

// Every page of a listing (Marker / IsTruncated).
async function listAll(action, listTag, params = {}) {
  const all = [];
  let marker;
  do {
    const doc = await call(action, { ...params, Marker: marker });
    all.push(...members(doc, listTag));
    marker = text(doc, "IsTruncated") === "true" ? text(doc, "Marker") : undefined;
  } while (marker);
  return all;
}

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = value;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function button(label, onClick, cls) {
  const b = document.createElement("button");
  b.textContent = label;
  if (cls) b.className = cls;
  b.addEventListener("click", onClick);
  return b;
}

function table(headers, rows) {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of headers) {
    const th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const r of rows) body.appendChild(r);
  return t;
}

function showError(e) {
  $("error").textContent = e ? e.message : "";
}

async function guarded(work) {
  showError(null);
  try {
    await work();
  } catch (e) {
    showError(e);
  }
}

function days(since) {
  return Math.floor((Date.now() - new Date(since).getTime()) / 86400000);
}

function maxAge() {
  const n = parseInt($("max-age").value, 10);
  return Number.isFinite(n) && n >= 0 ? n : 90;
}

// The views.

async function showUsers() {
  const users = await listAll("ListUsers", "Users");
  const rows = users.map((u) => {
    const name = text(u, "UserName");
    const tr = document.createElement("tr");
    tr.dataset.user = name;
    cell(tr, name);
    cell(tr, text(u, "Path"));
    cell(tr, text(u, "CreateDate"));
    const actions = cell(tr, "");
    actions.appendChild(button("Access keys", () => guarded(() => showKeys(name)), "show-keys"));
    return tr;
  });
  const view = $("view");
  view.replaceChildren(table(["User", "Path", "Created", ""], rows));
  view.prepend(button("My access keys", () => guarded(() => showKeys(null)), "my-keys"));
}

async function showSimple(action, listTag, columns, params) {
  const items = await listAll(action, listTag, params);
  const rows = items.map((m) => {
    const tr = document.createElement("tr");
    for (const [, tag] of columns) cell(tr, text(m, tag));
    return tr;
  });
  $("view").replaceChildren(table(columns.map(([h]) => h), rows));
  $("keys").hidden = true;
}

const VIEWS = {
  users: showUsers,
  groups: () => showSimple("ListGroups", "Groups", [["Group", "GroupName"], ["Path", "Path"], ["Created", "CreateDate"]]),
  roles: () => showSimple("ListRoles", "Roles", [["Role", "RoleName"], ["Path", "Path"], ["Created", "CreateDate"], ["Description", "Description"]]),
  policies: () =>
    showSimple("ListPolicies", "Policies", [["Policy", "PolicyName"], ["ARN", "Arn"], ["Attachments", "AttachmentCount"], ["Updated", "UpdateDate"]], { Scope: "Local" }),
};

let keysOwner = null; // a user name, or null for the signed-in identity's own keys

async function showKeys(user) {
  keysOwner = user;
  $("keys").hidden = false;
  $("keys-owner").textContent = user ?? "you";
  const params = user ? { UserName: user } : {};
  const keys = await listAll("ListAccessKeys", "AccessKeyMetadata", params);
  const rows = [];
  for (const k of keys) {
    const id = text(k, "AccessKeyId");
    const status = text(k, "Status");
    const created = text(k, "CreateDate");
    const used = await call("GetAccessKeyLastUsed", { AccessKeyId: id });
    const last = used.getElementsByTagName("AccessKeyLastUsed")[0] ?? used;
    const tr = document.createElement("tr");
    tr.dataset.key = id;
    const age = days(created);
    const old = Date.now() - new Date(created).getTime() > maxAge() * 86400000;
    if (old) tr.classList.add("old");
    cell(tr, id, "key-id");
    cell(tr, status, "status");
    cell(tr, created);
    cell(tr, old ? `${age} (older than ${maxAge()})` : String(age), "age");
    cell(tr, text(last, "LastUsedDate") || "never", "last-used");
    cell(tr, text(last, "ServiceName"));
    cell(tr, text(last, "Region"));
    const actions = cell(tr, "");
    const next = status === "Active" ? "Inactive" : "Active";
    actions.appendChild(
      button(status === "Active" ? "Deactivate" : "Activate", () =>
        guarded(async () => {
          await call("UpdateAccessKey", { AccessKeyId: id, Status: next, UserName: user ?? undefined });
          await showKeys(user);
        }), status === "Active" ? "deactivate" : "activate"),
    );
    actions.appendChild(
      button("Delete", () =>
        guarded(async () => {
          await call("DeleteAccessKey", { AccessKeyId: id, UserName: user ?? undefined });
          await showKeys(user);
        }), "delete"),
    );
    rows.push(tr);
  }
  $("keys-table").tBodies[0].replaceChildren(...rows);
}

async function createKey() {
  const doc = await call("CreateAccessKey", keysOwner ? { UserName: keysOwner } : {});
  $("new-key-id").textContent = text(doc, "AccessKeyId");
  $("new-secret").textContent = text(doc, "SecretAccessKey");
  $("new-key").hidden = false;
  await showKeys(keysOwner);
}

// Signing in and out.

async function signIn(event) {
  event.preventDefault();
  const form = new FormData($("login-form"));
  const creds = {
    accessKeyId: String(form.get("accessKeyId")).trim(),
    secretAccessKey: String(form.get("secretAccessKey")),
    region: String(form.get("region")).trim() || "us-east-1",
  };
  sessionStorage.setItem(STORE, JSON.stringify(creds));
  try {
    await start();
  } catch (e) {
    sessionStorage.removeItem(STORE);
    $("login-error").textContent = e.message;
  }
}

// Signing in with a password: iamd's console-session endpoint answers credentials that act
// as the user for an hour (kept like an access key, in this tab's sessionStorage).
// A user with an MFA device also gives a code (`mfaCode`); without one the answer is
// `mfaRequired`, and the form then asks for it.
async function consoleSession(account, user, password, mfaCode) {
  const request = { account, user, password };
  if (mfaCode) request.mfaCode = mfaCode;
  const resp = await fetch("/iamd/v1/console-session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const body = await resp.json().catch(() => ({}));
  if (resp.status === 200) return body;
  if (body.result === "denied") throw new Error("Wrong account, user name or password.");
  if (body.result === "mfaRequired" || body.result === "mfaInvalid") {
    const e = new Error(
      body.result === "mfaRequired"
        ? "Enter the code of your MFA device."
        : "The MFA code is not valid: wait for the next code and try again.",
    );
    e.mfa = true;
    throw e;
  }
  if (body.result === "locked") throw new Error(`Too many failures: try again in ${body.retryAfterSeconds} s.`);
  throw new Error(body.message || `Sign-in failed (${resp.status}).`);
}

function keepSession(c) {
  sessionStorage.setItem(
    STORE,
    JSON.stringify({
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      region: "us-east-1",
    }),
  );
}

// While a password must change: who is signing in (never the password).
let changing = null;

async function passwordSignIn(event) {
  event.preventDefault();
  const form = new FormData($("password-form"));
  const account = String(form.get("account")).trim();
  const user = String(form.get("user")).trim();
  const mfaCode = String(form.get("mfaCode") || "").trim();
  try {
    const body = await consoleSession(account, user, String(form.get("password")), mfaCode);
    $("password-form").reset();
    $("mfa-code-label").hidden = true;
    keepSession(body.credentials);
    if (body.mustChangePassword) {
      changing = { account, user };
      $("login").hidden = true;
      $("change-password").hidden = false;
      return;
    }
    await start();
  } catch (e) {
    sessionStorage.removeItem(STORE);
    if (e.mfa) {
      // The password stays in the form; the code is asked for (a used one is cleared).
      $("mfa-code").value = "";
      $("mfa-code-label").hidden = false;
      $("mfa-code").focus();
    }
    $("login-error").textContent = e.message;
  }
}

// ChangePassword with the session that may do only that; the new password's session then
// replaces it (a new password ends the sessions of the old one).
async function changePassword(event) {
  event.preventDefault();
  const form = new FormData($("change-password-form"));
  const newPassword = String(form.get("newPassword"));
  try {
    await call("ChangePassword", { OldPassword: String(form.get("oldPassword")), NewPassword: newPassword });
    let body;
    try {
      body = await consoleSession(changing.account, changing.user, newPassword);
    } catch (e) {
      if (!e.mfa) throw e;
      // A user with an MFA device signs in again with the new password and a new code.
      sessionStorage.removeItem(STORE);
      $("change-password-form").reset();
      $("change-password").hidden = true;
      $("login").hidden = false;
      $("account").value = changing.account;
      $("user-name").value = changing.user;
      $("mfa-code-label").hidden = false;
      $("login-error").textContent = "Password changed: sign in with the new password and a new MFA code.";
      changing = null;
      return;
    }
    keepSession(body.credentials);
    changing = null;
    $("change-password-form").reset();
    $("change-password").hidden = true;
    $("change-error").textContent = "";
    await start();
  } catch (e) {
    $("change-error").textContent = e.message;
  }
}

async function start() {
  const who = await call("GetCallerIdentity", {}, "sts");
  $("whoami").textContent = text(who, "Arn");
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("login-form").reset();
  $("login-error").textContent = "";
  await guarded(showUsers);
}

function signOut() {
  sessionStorage.removeItem(STORE);
  $("new-secret").textContent = "";
  $("new-key").hidden = true;
  location.reload();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", signIn);
  $("password-form").addEventListener("submit", passwordSignIn);
  $("change-password-form").addEventListener("submit", changePassword);
  $("logout").addEventListener("click", signOut);
  $("create-key").addEventListener("click", () => guarded(createKey));
  $("hide-secret").addEventListener("click", () => {
    $("new-secret").textContent = "";
    $("new-key").hidden = true;
  });
  $("max-age").addEventListener("change", () => keysOwner !== undefined && !$("keys").hidden && guarded(() => showKeys(keysOwner)));
  for (const tab of document.querySelectorAll("nav .tab")) {
    tab.addEventListener("click", () => guarded(VIEWS[tab.dataset.view]));
  }
  if (credentials()) start().catch(() => signOut());
});
