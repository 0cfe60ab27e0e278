// Every bundled example through the filter, as Envoy would run it: the picks name endpoints the
// explanation routes to, 10,000 requests match the explained shares within 3 sigma, and the
// sequence equals the native `meshlb pick` for the same seed.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { before, describe, test } from "node:test";

import { Envoy, WASM, assertShares, explain, pick, read, ROOT, routedTo, filterInput } from "./host.mjs";

const REQUESTS = 10_000;
const SEED = 7;

const examples = [
  ...readdirSync(`${ROOT}/examples`).filter((f) => f.endsWith(".yaml")).map((f) => `examples/${f}`),
  ...readdirSync(`${ROOT}/examples/envoy`).filter((f) => f.endsWith(".json")).map((f) => `examples/envoy/${f}`),
].sort();

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

test("there are examples of both kinds", () => {
  assert.ok(examples.filter((f) => f.endsWith(".yaml")).length >= 10, examples.join(" "));
  assert.ok(examples.filter((f) => f.endsWith(".json")).length >= 5, examples.join(" "));
});

for (const file of examples) {
  describe(file, () => {
    const explanation = explain(file);
    const hashed = explanation.lb_policy === "RING_HASH" || explanation.lb_policy === "MAGLEV";
    const routed = new Map(
      explanation.endpoints.filter((e) => e.share > 0).map((e) => [`${e.address}:${e.port}`, e]),
    );
    const configuration = { input: filterInput(file), name: file, seed: SEED };
    if (hashed) configuration.hash_header = "x-user";
    const nativeFlags = hashed ? ["--hash-prefix", "user-"] : [];

    test("configures, and every pick names an endpoint the explanation routes to", async () => {
      const vm = await new Envoy().startVm(module, { configuration });
      assert.equal(vm.configured, true, vm.messages().join("\n"));
      assert.ok(vm.messages("info")[0].startsWith(`meshlb: ${file}: `), vm.messages("info")[0]);
      for (let i = 0; i < 200; i++) {
        const result = vm.request({ "x-user": `user-${i}` });
        if (routed.size === 0) {
          assert.equal(result.localResponse?.status, 503);
          assert.ok(result.localResponse.body.includes(`${explanation.status}: ${explanation.message}`), result.localResponse.body);
          continue;
        }
        assert.equal(result.action, "continue");
        const host = routedTo(result);
        assert.ok(routed.has(host), `${host} is not routed to (share > 0) in ${file}`);
        assert.equal(result.headers.get("x-meshlb-locality"), routed.get(host).locality);
        assert.equal(result.headers.getAll("x-envoy-original-dst-host").length, 1);
      }
    });

    test(`${REQUESTS} requests match the explained shares and the native pick sequence`, async () => {
      const vm = await new Envoy().startVm(module, { configuration });
      const picks = [];
      for (let i = 0; i < REQUESTS; i++) {
        picks.push(routedTo(vm.request({ "x-user": `user-${i}` })) ?? "-");
      }
      const native = pick(file, REQUESTS, SEED, ...nativeFlags);
      assert.equal(native.length, REQUESTS);
      const first = picks.findIndex((p, i) => p !== native[i]);
      assert.equal(first, -1, `request ${first}: filter ${picks[first]}, native ${native[first]}`);
      const counts = new Map();
      for (const p of picks) counts.set(p, (counts.get(p) ?? 0) + 1);
      if (routed.size === 0) {
        assert.deepEqual([...counts.keys()], ["-"]);
      } else {
        assertShares(counts, explanation.endpoints, REQUESTS, file);
      }
    });
  });
}

describe("a sidecar's config dump with the configuration's `cluster`", () => {
  const file = "examples/envoy/dumps/sidecar-config-dump.json";
  const cluster = "outbound|9080||reviews.bookinfo.svc.cluster.local";

  test("picks as `meshlb pick FILE --cluster NAME`, only endpoints the explanation routes to", async () => {
    const vm = await new Envoy().startVm(module, { configuration: { input: read(file), name: file, cluster, seed: SEED } });
    assert.equal(vm.configured, true, vm.messages().join("\n"));
    const routed = new Set(
      explain(file, "--cluster", cluster)
        .endpoints.filter((e) => e.share > 0)
        .map((e) => `${e.address}:${e.port}`),
    );
    const picks = [];
    for (let i = 0; i < 2000; i++) picks.push(routedTo(vm.request({})) ?? "-");
    assert.deepEqual(picks, pick(file, 2000, SEED, "--cluster", cluster));
    for (const p of picks) assert.ok(routed.has(p), `${p} is not routed to`);
  });

  test("without `cluster` the configuration is refused, naming the clusters to choose from", async () => {
    const vm = await new Envoy().startVm(module, { configuration: { input: read(file), name: file } });
    assert.equal(vm.configured, false);
    const message = vm.messages("error").join("\n");
    assert.ok(message.includes("holds 5 clusters") && message.includes(cluster), message);
  });
});

test("the configuration's `fail` list is the CLI's --fail flags", async () => {
  const file = "examples/default.yaml";
  const fail = ["zone=us-east/us-east-1a"];
  const vm = await new Envoy().startVm(module, { configuration: { input: filterInput(file), name: file, seed: SEED, fail } });
  assert.equal(vm.configured, true, vm.messages().join("\n"));
  const picks = [];
  for (let i = 0; i < 1000; i++) picks.push(routedTo(vm.request({})) ?? "-");
  assert.deepEqual(picks, pick(file, 1000, SEED, "--fail", fail[0]));
  const bad = await new Envoy().startVm(module, { configuration: { input: filterInput(file), fail: "zone=x" } });
  assert.equal(bad.configured, false);
  assert.ok(bad.messages("error").join("\n").includes("fail: expected a list of failures"), bad.messages().join("\n"));
});
