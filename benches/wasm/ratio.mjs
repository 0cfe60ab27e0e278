// The wasm package under Node, timed on the calls the `wasm_native/default` criterion group
// times natively (benches/benches/wasm_native.rs): `Balancer.pick()`, `Balancer.pickIndex()`
// without and with a hash key (a string, or its bytes), `Balancer.pickNext()`, `explain()` and
// `simulate({ requests: 10000 })` on the built-in default scenario (examples/default.yaml).
//
// Usage: node benches/wasm/ratio.mjs target/dist/node
// Prints one line per call, tab-separated: `wasm <call> <median nanoseconds per call>` (what
// `cargo xtask bench-report` reads). Each call is run in batches after a warm-up; the median
// of the batches' per-call times is reported, as criterion reports medians.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const packageDir = resolve(process.argv[2] ?? join(root, "target", "dist", "node"));
const meshlb = createRequire(import.meta.url)(packageDir);
const text = readFileSync(join(root, "examples", "default.yaml"), "utf8");

/**
 * Median nanoseconds per call of `run`'s calls, over `batches` batches of `perBatch` calls, after
 * a warm-up of at least three batches and one second: V8 compiles a wasm function at its top
 * tier only once it has run for a while, and `explain` ran about a thousand calls before it did
 * (1.1 ms a call in the first 420 of them, 0.24 ms after).
 *
 * `run(n)` makes the `n` calls in a loop of its own, as criterion's `b.iter` runs the native
 * call inlined into its loop. Called once a call from one shared loop (`f()` in here), each
 * call went through a closure call site that saw every measured function (not inlined: about
 * 10 ns a call, a third of `pickNext()`'s 31–32 ns).
 */
function measure(run, perBatch, batches = 21) {
  const warm = process.hrtime.bigint() + 1_000_000_000n;
  for (let i = 0; i < 3 || process.hrtime.bigint() < warm; i++) sink += run(perBatch);
  const times = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    sink += run(perBatch);
    times.push(Number(process.hrtime.bigint() - start) / perBatch);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

let sink = 0;
const balancer = new meshlb.Balancer(text, undefined, 1);
const pick = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const p = balancer.pick();
    s += p === null ? 0 : p.port;
  }
  return s;
}, 100000);
balancer.free();
const indexed = new meshlb.Balancer(text, undefined, 1);
const pickIndex = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += indexed.pickIndex();
  return s;
}, 100000);
// Hash keys taken in turn, as the native `pick_index_keyed` takes them: strings, and the same
// as bytes.
const keys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
const keyBytes = keys.map((key) => new TextEncoder().encode(key));
const keyed = new meshlb.Balancer(text, undefined, 1);
const pickIndexText = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += keyed.pickIndex(keys[(i + 1) & 1023]);
  return s;
}, 100000);
const pickIndexBytes = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += keyed.pickIndex(keyBytes[(i + 1) & 1023]);
  return s;
}, 100000);
keyed.free();
const next = new meshlb.Balancer(text, undefined, 1);
const pickNext = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += next.pickNext();
  return s;
}, 100000);
next.free();
const batch = 10000;
const pickMany = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += indexed.pickMany(batch)[0];
  return s;
}, 10) / batch;
indexed.free();
const explain = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += meshlb.explain(text).endpoints.length;
  return s;
}, 20);
const simulate = measure((n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += meshlb.simulate(text, { requests: 10000 }) ? 1 : 0;
  return s;
}, 5, 11);
console.log(`wasm\tpick\t${pick.toFixed(1)}`);
console.log(`wasm\tpick_index\t${pickIndex.toFixed(1)}`);
// With a hash key: a string, or its UTF-8 bytes.
console.log(`wasm\tpick_index_text\t${pickIndexText.toFixed(1)}`);
console.log(`wasm\tpick_index_bytes\t${pickIndexBytes.toFixed(1)}`);
// The pick without a hash key, which `pickIndex()` without one calls.
console.log(`wasm\tpick_next\t${pickNext.toFixed(1)}`);
// Per pick of a `pickMany(10000)` call: the picks without a JavaScript-to-wasm call each.
console.log(`wasm\tpick_many\t${pickMany.toFixed(1)}`);
console.log(`wasm\texplain\t${explain.toFixed(1)}`);
console.log(`wasm\tsimulate\t${simulate.toFixed(1)}`);
if (sink === -1) console.log(sink);
