// The wasm package under Node, timed on the calls the `wasm_native/default` criterion group
// times natively (benches/benches/wasm_native.rs): `Balancer.pick()`, `Balancer.pickIndex()`,
// `Balancer.pickNext()`, `explain()` and `simulate({ requests: 10000 })` on the built-in default scenario
// (examples/default.yaml).
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
 * Median nanoseconds per call of `f`, over `batches` batches of `perBatch` calls, after a
 * warm-up of at least three batches and one second: V8 compiles a wasm function at its top tier
 * only once it has run for a while, and `explain` ran about a thousand calls before it did
 * (1.1 ms a call in the first 420 of them, 0.24 ms after).
 */
function measure(f, perBatch, batches = 21) {
  const warm = process.hrtime.bigint() + 1_000_000_000n;
  for (let i = 0; i < perBatch * 3 || process.hrtime.bigint() < warm; i++) f();
  const times = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) f();
    times.push(Number(process.hrtime.bigint() - start) / perBatch);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const balancer = new meshlb.Balancer(text, undefined, 1);
let sink = 0;
const pick = measure(() => {
  const p = balancer.pick();
  sink += p === null ? 0 : p.port;
}, 100000);
balancer.free();
const indexed = new meshlb.Balancer(text, undefined, 1);
const pickIndex = measure(() => {
  sink += indexed.pickIndex();
}, 100000);
const next = new meshlb.Balancer(text, undefined, 1);
const pickNext = measure(() => {
  sink += next.pickNext();
}, 100000);
next.free();
const batch = 10000;
const pickMany = measure(() => {
  sink += indexed.pickMany(batch)[0];
}, 10) / batch;
indexed.free();
const explain = measure(() => {
  sink += meshlb.explain(text).endpoints.length;
}, 20);
const simulate = measure(() => {
  sink += meshlb.simulate(text, { requests: 10000 }) ? 1 : 0;
}, 5, 11);
console.log(`wasm\tpick\t${pick.toFixed(1)}`);
console.log(`wasm\tpick_index\t${pickIndex.toFixed(1)}`);
// The pick without a hash key, returned as a plain number (no `Result`).
console.log(`wasm\tpick_next\t${pickNext.toFixed(1)}`);
// Per pick of a `pickMany(10000)` call: the picks without a JavaScript-to-wasm call each.
console.log(`wasm\tpick_many\t${pickMany.toFixed(1)}`);
console.log(`wasm\texplain\t${explain.toFixed(1)}`);
console.log(`wasm\tsimulate\t${simulate.toFixed(1)}`);
if (sink === -1) console.log(sink);
