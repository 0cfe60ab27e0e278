// Balancer.start / finish: a request stays active on its endpoint until it is finished, so
// LEAST_REQUEST (power of two choices over requests in flight, as Envoy's least-request load
// balancer) sends a slow endpoint fewer requests than its weight share; with equal latency the
// shares are the explanation's. `pick()` is a request that ends at once (the `meshlb pick`
// sequence).
//
// Arrivals are a Poisson process and durations exponential with each endpoint's mean latency,
// from a seeded generator: the model of `meshlb simulate --latency` (docs/simulate.md).

import assert from "node:assert/strict";
import { test } from "node:test";

import { meshlb, read, runCli } from "./helpers.mjs";

const FILE = "examples/envoy/least-request.json";
const SLOW = "10.4.0.4:8080";

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `requests` requests, `rate` per ms, each in flight for an exponential time of mean `latency(host)` ms. */
function drive(balancer, { requests, rate, latency, seed }) {
  const random = uniform(seed);
  const exponential = (mean) => -mean * Math.log(1 - random());
  const counts = new Map();
  const open = []; // latest end first
  let now = 0;
  for (let i = 0; i < requests; i++) {
    now += exponential(1 / rate);
    while (open.length > 0 && open[open.length - 1].end <= now) balancer.finish(open.pop().picked);
    const picked = balancer.start();
    assert.ok(picked, "routed");
    assert.equal(typeof picked.ticket, "number");
    const host = `${picked.address}:${picked.port}`;
    counts.set(host, (counts.get(host) ?? 0) + 1);
    const end = now + exponential(latency(host));
    let at = open.length;
    while (at > 0 && open[at - 1].end < end) at--;
    open.splice(at, 0, { end, picked });
  }
  while (open.length > 0) balancer.finish(open.pop().picked);
  return counts;
}

/** Within 3 sigma of the explained share (+1 request). */
function assertShares(counts, endpoints, requests, label) {
  for (const e of endpoints) {
    const host = `${e.address}:${e.port}`;
    const count = counts.get(host) ?? 0;
    const sigma = Math.sqrt(requests * e.share * (1 - e.share));
    assert.ok(Math.abs(count - requests * e.share) <= 3 * sigma + 1, `${label}: ${host} got ${count} of ${requests}, share ${e.share}`);
  }
}

test("LEAST_REQUEST: one slow endpoint gets fewer requests than its weight share", () => {
  const balancer = new meshlb.Balancer(read(FILE), undefined, 3);
  const requests = 20000;
  const counts = drive(balancer, { requests, rate: 5, latency: (h) => (h === SLOW ? 100 : 10), seed: 1 });
  const share = balancer.explain().endpoints.find((e) => `${e.address}:${e.port}` === SLOW).share;
  assert.equal(share, 0.25);
  const slow = counts.get(SLOW) / requests;
  // Taken about when both samples are it, (1/4)^2 (sampling with replacement).
  assert.ok(slow < share / 2 && slow > 0.04, `slow endpoint: ${slow} of requests, weight share ${share}`);
  // Everything finished: no request left active.
  balancer.explain().endpoints.forEach((_, i) => assert.equal(balancer.activeRequests(i), 0));
  balancer.free();
});

test("LEAST_REQUEST with equal latency: the explanation's shares", () => {
  const balancer = new meshlb.Balancer(read(FILE), undefined, 5);
  const requests = 20000;
  const counts = drive(balancer, { requests, rate: 5, latency: () => 10, seed: 2 });
  assertShares(counts, balancer.explain().endpoints, requests, "equal latency");
  balancer.free();
});

test("start counts a request active until finish; pick ends at once", () => {
  const balancer = new meshlb.Balancer(read(FILE), undefined, 7);
  const a = balancer.start();
  assert.equal(balancer.activeRequests(a.index), 1);
  // Least request avoids the busy endpoint: every next pick (which ends at once) compares it
  // with another, idle one unless both samples are it.
  const b = balancer.start();
  assert.notEqual(b.index, a.index);
  const p = balancer.pick();
  assert.equal(p.ticket, undefined);
  assert.equal(balancer.activeRequests(p.index), p.index === a.index || p.index === b.index ? 1 : 0);
  balancer.finish(a);
  balancer.finish(b.ticket);
  assert.equal(balancer.activeRequests(a.index), 0);
  assert.equal(balancer.activeRequests(b.index), 0);
  for (const [fn, message] of [
    [() => balancer.finish(a), /^ticket \d+: no request in flight has it \(finished already\?\)$/],
    [() => balancer.finish(p), /^picked: no ticket: only what start\(\) returns is finished/],
    [() => balancer.finish("x"), /^picked: expected what start\(\) returned, got string$/],
    [() => balancer.finish({ ticket: -1 }), /^picked\.ticket: -1 is not an integer/],
  ]) {
    assert.throws(fn, (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError) && message.test(e.message));
  }
  balancer.free();
});

test("start without finish keeps the meshlb pick sequence for requests that end at once", () => {
  // pick() after finished start() calls: the same sequence as meshlb pick (each request ended).
  const balancer = new meshlb.Balancer(read(FILE), undefined, 9);
  const r = runCli(["pick", FILE, "--requests", "300", "--seed", "9"]);
  const expected = r.stdout.split("\n").filter((l) => l !== "");
  const actual = [];
  for (let i = 0; i < 300; i++) {
    const p = balancer.start();
    actual.push(`${p.address}:${p.port}`);
    balancer.finish(p);
  }
  assert.deepEqual(actual, expected);
  balancer.free();
});
