// LEAST_REQUEST with requests in flight: the filter picks on the request headers and reports the
// request finished when the stream ends (proxy_on_log), so a slow upstream, which holds its
// requests longer, is picked less often than its weight share, as Envoy's least-request load
// balancer (power of two choices over active requests) does. With equal latency the shares are
// the explanation's.
//
// The test host keeps many requests in flight: `begin` runs the request headers, `end` (when the
// simulated upstream answers) the response headers, log, done and delete. Arrivals are a Poisson
// process, durations exponential with each endpoint's mean latency, from a seeded generator: the
// model of `meshlb simulate --latency` (docs/simulate.md).

import assert from "node:assert/strict";
import { before, test } from "node:test";

import { Envoy, WASM, assertShares, explain, read, routedTo } from "./host.mjs";

const FILE = "examples/envoy/least-request.json";
const SLOW = "10.4.0.4:8080";

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

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

/**
 * Sends `requests` requests through `vm`, `rate` arriving per millisecond; each stays in flight
 * for an exponential time of mean `latency(host)` ms. Returns the requests per `address:port`.
 */
function drive(vm, { requests, rate, latency, seed }) {
  const random = uniform(seed);
  const exponential = (mean) => -mean * Math.log(1 - random());
  const counts = new Map();
  /** In flight, latest end first (so the earliest pops from the end). */
  const open = [];
  let now = 0;
  for (let i = 0; i < requests; i++) {
    now += exponential(1 / rate);
    while (open.length > 0 && open[open.length - 1].end <= now) vm.end(open.pop().stream);
    const stream = vm.begin({});
    const host = routedTo(stream);
    assert.ok(host, `not routed: ${stream.localResponse?.body}`);
    counts.set(host, (counts.get(host) ?? 0) + 1);
    const end = now + exponential(latency(host));
    let at = open.length;
    while (at > 0 && open[at - 1].end < end) at--;
    open.splice(at, 0, { end, stream });
  }
  while (open.length > 0) vm.end(open.pop().stream);
  return counts;
}

async function worker(extra = {}) {
  const envoy = new Envoy();
  return envoy.startVm(module, { configuration: { input: read(FILE), name: FILE, seed: 3, ...extra }, logLevel: "info" });
}

test("one slow endpoint gets fewer requests than its weight share", async () => {
  const vm = await worker();
  assert.ok(vm.configured, vm.messages().join("\n"));
  const requests = 20000;
  // 5 requests per ms; 10 ms upstreams but one at 100 ms: ~15 requests in flight on each fast one.
  const counts = drive(vm, { requests, rate: 5, latency: (h) => (h === SLOW ? 100 : 10), seed: 1 });
  const share = explain(FILE).endpoints.find((e) => `${e.address}:${e.port}` === SLOW).share;
  assert.equal(share, 0.25);
  const slow = counts.get(SLOW) / requests;
  // Power of two choices, sampling with replacement: at this load the slow endpoint is taken
  // about when both samples are it, (1/4)^2; far below its weight share either way.
  assert.ok(slow < share / 2, `slow endpoint: ${slow} of requests, weight share ${share}`);
  assert.ok(slow > 0.04, `slow endpoint: ${slow}: still taken when both samples are it`);
  for (const [host, n] of counts) {
    if (host !== SLOW) assert.ok(n / requests > share, `${host}: ${n / requests}`);
  }
  assert.deepEqual(vm.messages("warn"), []);
});

test("with equal latency the shares are the explanation's", async () => {
  const vm = await worker();
  const requests = 20000;
  const counts = drive(vm, { requests, rate: 5, latency: () => 10, seed: 2 });
  assertShares(counts, explain(FILE).endpoints, requests, "equal latency");
});

test("round robin ignores latency: the slow endpoint keeps its share", async () => {
  const vm = await worker({ lb_policy: "ROUND_ROBIN" });
  const requests = 8000;
  const counts = drive(vm, { requests, rate: 5, latency: (h) => (h === SLOW ? 100 : 10), seed: 4 });
  assertShares(counts, explain(FILE, "--lb-policy", "ROUND_ROBIN").endpoints, requests, "round robin");
});

test("requests that end before the next starts pick as meshlb pick", async () => {
  // Each request ends (on_log) before the next begins: no request in flight, so the picks are
  // the CLI's sequence for the same seed.
  const { pick } = await import("./host.mjs");
  const vm = await worker();
  const expected = pick(FILE, 500, 3);
  const actual = [];
  for (let i = 0; i < 500; i++) actual.push(routedTo(vm.request({})) ?? "-");
  assert.deepEqual(actual, expected);
});
