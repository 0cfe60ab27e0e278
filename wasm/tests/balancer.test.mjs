// Balancer: seeded picks equal `meshlb pick` (the native sequence for the same seed), and
// updates give the explanation the CLI gives for the updated input.

import assert from "node:assert/strict";
import { test } from "node:test";

import { examples, meshlb, read, runCli, withInputFile } from "./helpers.mjs";

const REQUESTS = 10000;

/** The CLI's pick sequence: one `address:port` per line, `-` for none. */
function nativePicks(file, seed, extra = []) {
  const r = runCli(["pick", file, "--requests", String(REQUESTS), "--seed", String(seed), ...extra]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, REQUESTS);
  return lines;
}

function wasmPicks(balancer, key = () => undefined) {
  const picks = [];
  for (let i = 0; i < REQUESTS; i++) {
    const p = balancer.pick(key(i));
    picks.push(p === null ? "-" : `${p.address}:${p.port}`);
  }
  return picks;
}

/** Index of the first difference, for a readable failure. */
function firstDifference(a, b) {
  const i = a.findIndex((x, k) => x !== b[k]);
  return i < 0 ? "none" : `request ${i}: wasm ${a[i]}, native ${b[i]}`;
}

for (const file of examples) {
  test(`${REQUESTS} seeded picks over ${file} equal meshlb pick`, () => {
    for (const seed of [1, 7, 123456789]) {
      const balancer = new meshlb.Balancer(read(file), undefined, seed);
      try {
        const actual = wasmPicks(balancer);
        const expected = nativePicks(file, seed);
        assert.ok(actual.every((p, i) => p === expected[i]), `seed ${seed}: ${firstDifference(actual, expected)}`);
      } finally {
        balancer.free();
      }
    }
  });
}

for (const file of ["examples/envoy/ring-hash.json", "examples/envoy/maglev.json"]) {
  test(`hash keys over ${file} pick as meshlb pick --hash / --hash-prefix`, () => {
    const byPrefix = new meshlb.Balancer(read(file), {}, 5);
    const actual = wasmPicks(byPrefix, (i) => `user-${i}`);
    const expected = nativePicks(file, 5, ["--hash-prefix", "user-"]);
    assert.ok(actual.every((p, i) => p === expected[i]), firstDifference(actual, expected));

    const oneKey = new meshlb.Balancer(read(file), undefined, 5n);
    const same = wasmPicks(oneKey, () => "session-Ω-42");
    const native = nativePicks(file, 5, ["--hash", "session-Ω-42"]);
    assert.ok(same.every((p, i) => p === native[i]), firstDifference(same, native));
    assert.equal(new Set(same).size, 1, "one key, one endpoint");
    // Bytes hash as the string's UTF-8 bytes.
    const bytes = new TextEncoder().encode("session-Ω-42");
    const viaBytes = oneKey.pick(bytes);
    assert.equal(`${viaBytes.address}:${viaBytes.port}`, same[0]);
    byPrefix.free();
    oneKey.free();
  });
}

test("a pick is the explanation's endpoint at its index", () => {
  for (const file of ["examples/default.yaml", "examples/blue-green-subsets.yaml", "examples/envoy/three-priorities-degraded.json", "examples/multi-network.yaml"]) {
    const balancer = new meshlb.Balancer(read(file), null, 11);
    const endpoints = balancer.explain().endpoints;
    assert.deepStrictEqual(balancer.explain(), meshlb.explain(read(file)));
    for (let i = 0; i < 200; i++) {
      const p = balancer.pick();
      const e = endpoints[p.index];
      assert.ok(e, `${file}: index ${p.index}`);
      for (const field of ["address", "port", "locality", "cluster", "subset", "priority", "health", "kind"]) {
        assert.deepStrictEqual(p[field], e[field] ?? null, `${file}: ${field}`);
      }
    }
    balancer.free();
  }
});

test("pickMany gives the indices pick would give", () => {
  const file = "examples/envoy/locality-weighted.json";
  const a = new meshlb.Balancer(read(file), {}, 9);
  const b = new meshlb.Balancer(read(file), {}, 9);
  const many = a.pickMany(5000);
  assert.ok(many instanceof Int32Array);
  assert.equal(many.length, 5000);
  for (let i = 0; i < 5000; i++) assert.equal(many[i], b.pick().index);
  assert.equal(a.pickMany(0).length, 0);
});

test("pickIndex gives the index pick would give, keyed or not", () => {
  for (const file of ["examples/envoy/locality-weighted.json", "examples/envoy/maglev.json"]) {
    const a = new meshlb.Balancer(read(file), {}, 4);
    const b = new meshlb.Balancer(read(file), {}, 4);
    for (let i = 0; i < 2000; i++) {
      const key = i % 3 === 0 ? undefined : `user-${i}`;
      const index = a.pickIndex(key);
      assert.equal(typeof index, "number");
      assert.equal(index, b.pick(key).index, `${file}, pick ${i}`);
    }
  }
  assert.throws(() => new meshlb.Balancer(read("examples/envoy/maglev.json")).pickIndex(7), /hashKey/);
});

test("pickNext gives the index an unkeyed pick would give, as a plain number", () => {
  for (const file of ["examples/default.yaml", "examples/envoy/locality-weighted.json", "examples/envoy/maglev.json"]) {
    const a = new meshlb.Balancer(read(file), {}, 4);
    const b = new meshlb.Balancer(read(file), {}, 4);
    const seen = new Set();
    for (let i = 0; i < 2000; i++) {
      const index = a.pickNext();
      assert.equal(typeof index, "number");
      assert.equal(index, b.pick().index, `${file}, pick ${i}`);
      seen.add(index);
    }
    // Every file spreads its picks over more than one endpoint.
    assert.ok(seen.size > 1, `${file}: ${[...seen]}`);
  }
  // It takes no argument: a hash key is `pickIndex`'s.
  assert.equal(meshlb.Balancer.prototype.pickNext.length, 0);
});

test("no endpoint: pick is null, as meshlb pick prints -", () => {
  const file = "examples/export-to.yaml";
  const balancer = new meshlb.Balancer(read(file));
  assert.equal(balancer.pick(), null);
  assert.equal(balancer.pickMany(3).join(","), "-1,-1,-1");
  assert.equal(balancer.pickIndex(), -1);
  assert.equal(balancer.pickNext(), -1);
  assert.equal(runCli(["pick", file, "--requests", "1"]).stdout, "-\n");
});

/** The CLI's explanation of `text` (named `input`, as the package names its input). */
function cliExplain(text) {
  return withInputFile(text, (dir) => {
    const r = runCli(["explain", "input", "--format", "json"], dir);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  });
}

test("setHealth and setWeight on Envoy input explain as the updated input does", () => {
  const text = read("examples/envoy/ring-hash.json");
  const balancer = new meshlb.Balancer(text, undefined, 3);
  balancer.setHealth("10.3.0.1", 6379, "UNHEALTHY");
  balancer.setWeight("10.3.0.3", 6379, 7);

  const doc = JSON.parse(text);
  for (const locality of doc.load_assignment.endpoints) {
    for (const lb of locality.lb_endpoints) {
      const address = lb.endpoint.address.socket_address.address;
      if (address === "10.3.0.1") lb.health_status = "UNHEALTHY";
      if (address === "10.3.0.3") lb.load_balancing_weight = 7;
    }
  }
  const updated = JSON.stringify(doc, null, 2);
  assert.deepStrictEqual(balancer.explain(), cliExplain(updated));
  assert.deepStrictEqual(balancer.explain(), meshlb.explain(updated));
  // Picks go on, and never to the unhealthy host (the ring holds healthy hosts only).
  for (let i = 0; i < 2000; i++) assert.notEqual(balancer.pick(`k${i}`).address, "10.3.0.1");
  balancer.free();
});

test("setHealth and setWeight on a scenario explain as the updated scenario does", () => {
  const text = read("examples/single-cluster.yaml");
  const balancer = new meshlb.Balancer(text, {}, 3);
  balancer.setHealth("10.0.0.11", 8000, "DEGRADED");
  balancer.setWeight("10.0.0.12", 8000, 5);
  const updated = text
    .replace("address: 10.0.0.11, port: 8000,", "address: 10.0.0.11, port: 8000, health: DEGRADED,")
    .replace("address: 10.0.0.12, port: 8000,", "address: 10.0.0.12, port: 8000, weight: 5,");
  assert.notEqual(updated, text);
  assert.deepStrictEqual(balancer.explain(), cliExplain(updated));
  balancer.free();
});

test("after an update that drops an endpoint, picks are the new explanation's endpoints", () => {
  // Istio 1.30 sends no not-ready endpoint: an unhealthy workload leaves the explanation, and
  // the endpoints after it move up one index.
  const text = `istioVersion: "1.30"\n${read("examples/single-cluster.yaml")}`;
  const balancer = new meshlb.Balancer(text, {}, 5);
  const before = balancer.explain().endpoints.map((e) => e.address);
  assert.deepStrictEqual(before, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
  for (let i = 0; i < 10; i++) balancer.pick();
  balancer.setHealth("10.0.0.11", 8000, "UNHEALTHY");
  const endpoints = balancer.explain().endpoints;
  assert.deepStrictEqual(endpoints.map((e) => e.address), ["10.0.0.12", "10.0.0.13"]);
  for (let i = 0; i < 20; i++) {
    const p = balancer.pick();
    assert.equal(p.address, endpoints[p.index].address, `pick ${i}: index ${p.index}`);
  }
  balancer.free();
});

test("updates name unknown endpoints and bad values", () => {
  const balancer = new meshlb.Balancer(read("examples/envoy/ring-hash.json"));
  const cases = [
    [() => balancer.setHealth("10.9.9.9", 6379, "HEALTHY"), /^no endpoint 10\.9\.9\.9:6379$/],
    [() => balancer.setHealth("10.3.0.1", 6379, "healthy"), /^status: unknown health status "healthy"; expected one of UNKNOWN, HEALTHY/],
    [() => balancer.setHealth("10.3.0.1", 65536, "HEALTHY"), /^port: 65536 is not an integer between 0 and 65535$/],
    [() => balancer.setHealth(42, 6379, "HEALTHY"), /^address: expected a string, got number$/],
    [() => balancer.setWeight("10.3.0.1", 6379, 0), /^10\.3\.0\.1:6379: weight must be at least 1$/],
    [() => balancer.setWeight("10.3.0.1", 6379, 2 ** 32), /^weight: 4294967296 is not an integer between 0 and 4294967295$/],
    [() => balancer.setWeight("10.3.0.1", 6379, 1.5), /^weight: 1\.5 is not an integer/],
    [() => balancer.setWeight("10.3.0.1", 6379, "2"), /^weight: expected an integer between 0 and 4294967295, got string$/],
    [() => balancer.pick(42), /^hashKey: expected a string or a Uint8Array, got number$/],
    [() => balancer.pickIndex(42), /^hashKey: expected a string or a Uint8Array, got number$/],
    [() => balancer.start(true), /^hashKey: expected a string or a Uint8Array, got boolean$/],
    [() => balancer.pickMany(-1), /^count: -1 is not an integer between 0 and 100000000$/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError) && message.test(e.message));
  }
  // The balancer is intact after every error: not left borrowed (wasm-bindgen's "recursive
  // use of an object"), and it can be freed.
  assert.equal(balancer.explain().status, "routed");
  assert.ok(balancer.pick("x"));
  assert.ok(balancer.pickIndex("x") >= 0);
  balancer.free();
});

test("pick and start return a new object each time, with the endpoint's fields after updates", () => {
  const balancer = new meshlb.Balancer(read("examples/single-cluster.yaml"), {}, 3);
  const fields = ["index", "address", "port", "locality", "cluster", "subset", "priority", "health", "kind"];
  const first = balancer.pick();
  assert.deepStrictEqual(Object.keys(first), fields);
  const original = { ...first };
  first.address = "changed";
  first.extra = 1;
  let again = null;
  for (let i = 0; i < 100 && again === null; i++) {
    const p = balancer.pick();
    if (p.index === first.index) again = p;
  }
  assert.ok(again, "the first endpoint comes again within 100 picks (3 endpoints)");
  assert.notStrictEqual(again, first);
  assert.deepStrictEqual(again, original, "a caller's change to one pick shows in no other");
  const started = balancer.start();
  assert.deepStrictEqual(Object.keys(started), [...fields, "ticket"]);
  assert.equal(started.ticket, 0);
  balancer.finish(started);

  // Every serving endpoint degraded: every pick says so (the objects follow the update).
  for (const address of ["10.0.0.11", "10.0.0.12", "10.0.0.13"]) balancer.setHealth(address, 8000, "DEGRADED");
  for (let i = 0; i < 30; i++) assert.equal(balancer.pick().health, "DEGRADED");
  assert.equal(balancer.start().health, "DEGRADED");
  balancer.setWeight("10.0.0.11", 8000, 3);
  balancer.setHealth("10.0.0.11", 8000, "HEALTHY");
  for (let i = 0; i < 30; i++) {
    const p = balancer.pick();
    assert.equal(p.health, p.address === "10.0.0.11" ? "HEALTHY" : "DEGRADED");
  }
  balancer.free();
});

test("a freed balancer throws a JavaScript error, not a trap", () => {
  const balancer = new meshlb.Balancer(read("examples/default.yaml"));
  balancer.free();
  const notATrap = (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError);
  assert.throws(() => balancer.pick(), notATrap);
  // `pickNext` returns a plain number, and a freed balancer still throws rather than traps.
  assert.throws(() => balancer.pickNext(), notATrap);
});

test("every kind of hash key picks as the CLI hashes its bytes, staged, passed ahead or checked", () => {
  const file = "examples/envoy/maglev.json";
  /** The CLI's one pick for `--hash key`. */
  const cliPick = (key) => {
    const r = runCli(["pick", file, "--requests", "1", "--hash", key]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const encode = (text) => new TextEncoder().encode(text);
  class Bytes extends Uint8Array {}
  const ownLength = encode("session-7");
  Object.defineProperty(ownLength, "length", { value: 3 });
  // A `byteLength` of the key's own is never read (the typed arrays' getter is).
  const ownByteLength = encode("user-9");
  Object.defineProperty(ownByteLength, "byteLength", { value: 3 });
  const longOwnByteLength = encode("b".repeat(2000));
  Object.defineProperty(longOwnByteLength, "byteLength", { value: 3 });
  const long = "k".repeat(70_000);
  // The staging buffer's 1,024 bytes (calls.js), and one past them.
  const full = "s".repeat(1024);
  const past = "p".repeat(1025);
  const cases = [
    // Staged (calls.js): ASCII strings and plain bytes up to 1,024 bytes, a view into a larger
    // buffer included, bytes of 64 and fewer copied one by one, more by `set`.
    ["user-9", "user-9"],
    [encode("user-9"), "user-9"],
    [encode("..user-9").subarray(2), "user-9"],
    [Buffer.from("user-9"), "user-9"],
    ["", ""],
    [encode(""), ""],
    [full, full],
    [encode(full), full],
    [encode("b".repeat(65)), "b".repeat(65)],
    [ownByteLength, "user-9"],
    // Passed ahead: other well-formed strings, plain bytes past the staging buffer.
    ["session-Ω-42", "session-Ω-42"],
    [encode("session-Ω-42"), "session-Ω-42"],
    [past, past],
    [encode(past), past],
    [longOwnByteLength, "b".repeat(2000)],
    // Checked by the general path: a subclass, an own `length` (not believed), and keys
    // past the units passed ahead.
    [Bytes.from(encode("user-9")), "user-9"],
    [ownLength, "session-7"],
    [long, long],
    [encode(long), long],
  ];
  const balancer = new meshlb.Balancer(read(file));
  const endpoints = balancer.explain().endpoints;
  for (const [key, text] of cases) {
    const expected = cliPick(text);
    const what = `${key?.constructor?.name} ${text.slice(0, 16)}`;
    const picked = balancer.pick(key);
    assert.equal(`${picked.address}:${picked.port}`, expected, what);
    const e = endpoints[balancer.pickIndex(key)];
    assert.equal(`${e.address}:${e.port}`, expected, what);
    const started = balancer.start(key);
    assert.equal(`${started.address}:${started.port}`, expected, what);
    balancer.finish(started);
  }
  // One endpoint of about ten matches by chance one time in ten: each way of staging also
  // picks as the general path (a subclass's bytes, checked and copied) for 64 keys.
  const general = (text) => balancer.pickIndex(Bytes.from(encode(text)));
  const texts = Array.from({ length: 64 }, (_, i) => `key-${i}-${"z".repeat(i * 3)}`);
  const ways = {
    "ASCII string": (text) => text,
    "plain bytes": (text) => encode(text),
    "a view into a larger buffer": (text) => encode(`..${text}`).subarray(2),
    "a Buffer": (text) => Buffer.from(text),
  };
  for (const [way, key] of Object.entries(ways)) {
    assert.deepStrictEqual(texts.map((t) => balancer.pickIndex(key(t))), texts.map(general), way);
  }
  // A key in the staging buffer itself (wasm's memory) picks as its bytes, short or long.
  const staging = balancer.__keyStaging();
  for (const [text, from] of [["user-9", 6], ["y".repeat(100), 10]]) {
    staging.set(encode("x".repeat(from) + text));
    const inStaging = () => staging.subarray(from, from + text.length);
    const expected = cliPick(text);
    const e = endpoints[balancer.pickIndex(inStaging())];
    assert.equal(`${e.address}:${e.port}`, expected, "a key in the staging buffer");
    staging.set(encode("x".repeat(from) + text));
    const picked = balancer.pick(inStaging());
    assert.equal(`${picked.address}:${picked.port}`, expected, "a key in the staging buffer");
    staging.set(encode("x".repeat(from) + text));
    const started = balancer.start(inStaging());
    assert.equal(`${started.address}:${started.port}`, expected, "a key in the staging buffer");
    balancer.finish(started);
  }
  // A `byteLength` getter of the key's own never runs (it could free the balancer between
  // the staging buffer's view and the write).
  let ran = false;
  const freeing = encode("user-9");
  Object.defineProperty(freeing, "byteLength", {
    get() {
      ran = true;
      balancer.free();
      return 6;
    },
  });
  const byGetter = endpoints[balancer.pickIndex(freeing)];
  assert.equal(`${byGetter.address}:${byGetter.port}`, cliPick("user-9"));
  assert.equal(ran, false);
  // Once wasm's memory grows the view is detached; the next key is written into a new one.
  const before = balancer.__keyStaging();
  balancer.pickIndex("user-5");
  balancer.pickMany(4_000_000);
  assert.equal(before.byteLength, 0, "wasm's memory grew");
  for (const key of ["user-7", encode("user-7")]) {
    const grown = endpoints[balancer.pickIndex(key)];
    assert.equal(`${grown.address}:${grown.port}`, cliPick("user-7"), "after the memory grew");
  }
  // A key staged or passed ahead serves its own call only: the next call without one draws its
  // hash.
  for (const key of ["user-1", "session-Ω-1"]) {
    const drawn = new meshlb.Balancer(read(file), undefined, 3);
    const fresh = new meshlb.Balancer(read(file), undefined, 3);
    drawn.pickIndex(key);
    assert.deepStrictEqual(
      [drawn.pickIndex(), drawn.pick(), drawn.start()],
      [fresh.pickIndex(), fresh.pick(), fresh.start()],
    );
    drawn.free();
    fresh.free();
  }
  balancer.free();
});

test("a freed balancer throws for a hash key, and writes nothing into wasm's memory", () => {
  const file = "examples/envoy/maglev.json";
  const freed = new meshlb.Balancer(read(file));
  freed.pickIndex("user-1"); // its staging buffer made
  // A view of the same buffer (calls.js keeps its own), to see what is written there.
  const staging = freed.__keyStaging();
  freed.free();
  // Made after the free, so its memory may be what the freed balancer's staging buffer was.
  const balancer = new meshlb.Balancer(read(file), undefined, 5);
  const fresh = new meshlb.Balancer(read(file), undefined, 5);
  const notATrap = (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError);
  const after = staging.slice();
  for (const key of ["x".repeat(1024), new Uint8Array(1024).fill(0xff)]) {
    assert.throws(() => freed.pick(key), notATrap);
    assert.throws(() => freed.pickIndex(key), notATrap);
    assert.throws(() => freed.start(key), notATrap);
  }
  assert.notEqual(staging.byteLength, 0, "the view still reads wasm's memory");
  assert.deepStrictEqual(staging.slice(), after, "nothing written where the buffer was");
  // `Symbol.dispose` releases the same way.
  const disposed = new meshlb.Balancer(read(file));
  disposed.pickIndex("user-1");
  disposed[Symbol.dispose]();
  assert.throws(() => disposed.pickIndex("x".repeat(1024)), notATrap);
  const keys = Array.from({ length: 50 }, (_, i) => `user-${i}`);
  assert.deepStrictEqual(
    keys.map((k) => balancer.pickIndex(k)).concat([balancer.pickIndex(), balancer.pickIndex()]),
    keys.map((k) => fresh.pickIndex(k)).concat([fresh.pickIndex(), fresh.pickIndex()]),
  );
  balancer.free();
  fresh.free();
});
