// Ring hash and Maglev: the configured header's value is the hash key, so the same value always
// maps to the same endpoint, on every worker, whatever the seed.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { Envoy, WASM, explain, pick, read, routedTo, filterInput } from "./host.mjs";

const FILES = ["examples/envoy/ring-hash.json", "examples/envoy/maglev.json"];

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

for (const file of FILES) {
  describe(file, () => {
    const configuration = { input: filterInput(file), name: file, hash_header: "x-session" };

    test("the same header value always maps to the same endpoint, across workers and seeds", async () => {
      const envoy = new Envoy();
      // Three workers: two seeded differently, one seeded by the host's clock.
      const vms = [
        await envoy.startVm(module, { configuration: { ...configuration, seed: 1 } }),
        await envoy.startVm(module, { configuration: { ...configuration, seed: 99 } }),
        await envoy.startVm(module, { configuration }),
      ];
      const keys = Array.from({ length: 100 }, (_, i) => `session-${i * 7919}`);
      const first = new Map();
      for (let round = 0; round < 5; round++) {
        for (const [k, key] of keys.entries()) {
          const vm = vms[(k + round) % vms.length];
          const host = routedTo(vm.request({ "x-session": key }));
          assert.ok(host, `${key}: not routed`);
          if (!first.has(key)) first.set(key, host);
          assert.equal(host, first.get(key), `${key} moved from ${first.get(key)} to ${host} (round ${round})`);
        }
      }
      // The keys spread over the endpoints that have a share.
      const routed = explain(file).endpoints.filter((e) => e.share > 0).map((e) => `${e.address}:${e.port}`);
      assert.deepEqual([...new Set(first.values())].sort(), routed.sort());
    });

    test("a fixed header value gives the native `meshlb pick --hash` sequence", async () => {
      const vm = await new Envoy().startVm(module, { configuration: { ...configuration, seed: 5 } });
      const picks = Array.from({ length: 50 }, () => routedTo(vm.request({ "x-session": "alice" })));
      assert.deepEqual(picks, pick(file, 50, 5, "--hash", "alice"));
      assert.equal(new Set(picks).size, 1);
    });

    test("without the header each request hashes a random key, as `meshlb pick` without --hash", async () => {
      const vm = await new Envoy().startVm(module, { configuration: { ...configuration, seed: 3 } });
      const picks = Array.from({ length: 200 }, () => routedTo(vm.request({})));
      assert.deepEqual(picks, pick(file, 200, 3));
      assert.ok(new Set(picks).size > 1);
    });

    test("a configuration without hash_header warns that keys are random", async () => {
      const vm = await new Envoy().startVm(module, { configuration: { input: filterInput(file), seed: 1 } });
      assert.equal(vm.configured, true);
      assert.ok(vm.messages("warn").some((m) => m.includes("without hash_header")), vm.messages().join("\n"));
    });
  });
}

test("a hash header on a non-hash policy changes nothing", async () => {
  const file = "examples/envoy/spillover-panic.json";
  const vm = await new Envoy().startVm(module, {
    configuration: { input: filterInput(file), seed: 11, hash_header: "x-session" },
  });
  const picks = Array.from({ length: 300 }, (_, i) => routedTo(vm.request({ "x-session": `s${i}` })));
  assert.deepEqual(picks, pick(file, 300, 11));
});

test("a pseudo-header can be the hash key (:authority)", async () => {
  const file = "examples/envoy/maglev.json";
  const vm = await new Envoy().startVm(module, {
    configuration: { input: filterInput(file), seed: 1, hash_header: ":authority" },
  });
  const a = routedTo(vm.request({ ":authority": "a.example" }));
  for (let i = 0; i < 20; i++) assert.equal(routedTo(vm.request({ ":authority": "a.example" })), a);
  assert.deepEqual([a], pick(file, 1, 1, "--hash", "a.example"));
});
