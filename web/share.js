// The view in the URL, so that a link reproduces it.
//
// The hash holds the scenario, the what-ifs and the failures:
//   #preset=default&w=…&f=…   an unmodified preset, by name (short links)
//   #z=…&w=…              the scenario text, deflate-raw compressed, base64url
//   #s=…&w=…              the scenario text, base64url (where CompressionStream is missing)
// `w` is the what-if list as base64url JSON; `f` the failures (meshlb's `KIND=VALUE` strings),
// one `f=` each, URI-encoded; `v` the panel tab shown when it is not Traffic (`v=mesh`), and
// `d` the failure domain chosen in the Mesh view. Everything stays in the fragment: it never
// reaches a server.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The hash for `state`: { preset, text, ops, fails, view, domain }. */
export async function encodeHash({ preset, text, ops, fails = [], view = null, domain = null }) {
  const parts = [];
  if (preset) parts.push(`preset=${encodeURIComponent(preset)}`);
  else if (typeof CompressionStream === "function") {
    parts.push(`z=${toBase64Url(await pipe(encoder.encode(text), new CompressionStream("deflate-raw")))}`);
  } else parts.push(`s=${toBase64Url(encoder.encode(text))}`);
  if (ops.length) parts.push(`w=${toBase64Url(encoder.encode(JSON.stringify(ops)))}`);
  for (const f of fails) parts.push(`f=${encodeURIComponent(f)}`);
  if (view) parts.push(`v=${encodeURIComponent(view)}`);
  if (domain) parts.push(`d=${encodeURIComponent(domain)}`);
  return `#${parts.join("&")}`;
}

/**
 * The state a hash holds: { preset?, text?, ops, fails, view, domain }, or null for an empty
 * or unreadable hash.
 */
export async function decodeHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  let ops = [];
  try {
    if (params.get("w")) ops = JSON.parse(decoder.decode(fromBase64Url(params.get("w"))));
    if (!Array.isArray(ops)) ops = [];
  } catch {
    ops = [];
  }
  const fails = params.getAll("f").filter(Boolean);
  const view = params.get("v") || null;
  const domain = params.get("d") || null;
  try {
    if (params.get("preset")) return { preset: params.get("preset"), ops, fails, view, domain };
    if (params.get("z")) {
      const bytes = await pipe(fromBase64Url(params.get("z")), new DecompressionStream("deflate-raw"));
      return { text: decoder.decode(bytes), ops, fails, view, domain };
    }
    if (params.get("s")) return { text: decoder.decode(fromBase64Url(params.get("s"))), ops, fails, view, domain };
  } catch {
    return null;
  }
  return null;
}
