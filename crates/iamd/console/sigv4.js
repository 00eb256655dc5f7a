// AWS Signature Version 4 for AWS Query requests (POST / with a form body), computed in
// the browser with WebCrypto. The console signs every request it sends this way, so the
// server authenticates and authorizes it exactly as any SDK's request.

const enc = new TextEncoder();

function hex(buf) {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest("SHA-256", enc.encode(text)));
}

async function hmac(key, text) {
  const k = await crypto.subtle.importKey(
    "raw",
    typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", k, enc.encode(text));
}

// AWS's URI encoding of a form value (RFC 3986 unreserved characters kept).
function awsEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

export function formBody(params) {
  return Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== null)
    .map((k) => awsEncode(k) + "=" + awsEncode(String(params[k])))
    .join("&");
}

// Signs and sends one request; returns the fetch Response.
export async function signedPost(creds, service, params, now = new Date()) {
  const body = formBody(params);
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const contentType = "application/x-www-form-urlencoded; charset=utf-8";
  const host = location.host;
  const headers = [
    ["content-type", contentType],
    ["host", host],
    ["x-amz-date", amzDate],
  ];
  if (creds.sessionToken) headers.push(["x-amz-security-token", creds.sessionToken]);
  const signedHeaders = headers.map(([k]) => k).join(";");
  const canonical = [
    "POST",
    "/",
    "",
    headers.map(([k, v]) => `${k}:${v}\n`).join(""),
    signedHeaders,
    await sha256Hex(body),
  ].join("\n");
  const scope = `${day}/${creds.region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonical)].join("\n");
  let key = await hmac("AWS4" + creds.secretAccessKey, day);
  key = await hmac(key, creds.region);
  key = await hmac(key, service);
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, toSign));
  const send = {
    "Content-Type": contentType,
    "X-Amz-Date": amzDate,
    Authorization:
      `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
  if (creds.sessionToken) send["X-Amz-Security-Token"] = creds.sessionToken;
  return fetch("/", { method: "POST", headers: send, body, credentials: "omit", cache: "no-store" });
}
