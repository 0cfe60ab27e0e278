// Nothing a configuration, a request or an update holds makes the filter trap: garbage and huge
// header values, garbage update documents, random and mutated configurations. A trap would throw
// (WebAssembly.RuntimeError) out of the host's call into the module.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { Envoy, WASM, pick, read, routedTo, filterInput } from "./host.mjs";

const MAGLEV = "examples/envoy/maglev.json";
const FAILOVER = "examples/locality-failover.yaml";

/** A small seeded PRNG (xorshift32), so every run sends the same garbage. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomBytes(next, n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = next() & 0xff;
  return out;
}

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

describe("garbage and huge header values", () => {
  test("the hash header: invalid UTF-8, NUL, empty, 1 MiB, 16 MiB, repeated", async () => {
    const vm = await new Envoy().startVm(module, {
      configuration: { input: filterInput(MAGLEV), seed: 1, hash_header: "x-session" },
    });
    const next = rng(42);
    const values = [
      new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28]),
      new Uint8Array([0]),
      "",
      "é\u0000\u202e",
      "k".repeat(1 << 20),
      new Uint8Array(16 << 20).fill(0x80),
      ...Array.from({ length: 50 }, (_, i) => randomBytes(next, i * 37)),
    ];
    for (const value of values) {
      const a = vm.request([["x-session", value]]);
      const b = vm.request([["x-session", value], ["x-session", "other"]]);
      assert.ok(routedTo(a), `not routed for a ${value.length}-byte value`);
      // Only the first value counts, as Envoy's header map gives it.
      assert.equal(routedTo(b), routedTo(a));
    }
    // A long ASCII value hashes like `meshlb pick --hash` with the same key (100 KiB: one
    // command-line argument holds at most 128 KiB).
    const key = "k".repeat(100 << 10);
    assert.deepEqual([routedTo(vm.request([["x-session", key]]))], pick(MAGLEV, 1, 1, "--hash", key));
  });

  test("thousands of headers, garbage names, a client's own original-dst header", async () => {
    const vm = await new Envoy().startVm(module, {
      configuration: { input: filterInput(FAILOVER), seed: 1, hash_header: "x-session", updates: { admin_path: "/meshlb/update" } },
    });
    const next = rng(7);
    const headers = Array.from({ length: 5000 }, () => [randomBytes(next, 1 + (next() % 40)), randomBytes(next, next() % 200)]);
    headers.push(["x-envoy-original-dst-host", "169.254.169.254:80"]);
    const result = vm.request(headers);
    assert.equal(routedTo(result), "10.1.0.10:5000");
    assert.deepEqual(result.headers.getAll("x-envoy-original-dst-host"), ["10.1.0.10:5000"]);
  });

  test("the admin path: garbage paths and update headers get a 4xx or are routed, never a trap", async () => {
    const envoy = new Envoy();
    const vm = await envoy.startVm(module, {
      configuration: { input: filterInput(FAILOVER), seed: 1, updates: { admin_path: "/meshlb/update" } },
    });
    const next = rng(9);
    const documents = [
      new Uint8Array([0xff, 0x7b]),
      "{",
      "{}",
      '{"updates": null}',
      '{"updates": [null]}',
      '{"updates": [{"endpoint": "10.1.0.10:5000", "weight": 18446744073709551616}]}',
      '{"updates": [{"endpoint": "10.1.0.10:5000", "weight": 4294967296}]}',
      '{"updates": [{"endpoint": "\u0000:1", "weight": 1}]}',
      '{"updates": [{"endpoint": "[::1:80", "weight": 1}]}',
      "[".repeat(100_000),
      '{"updates": ' + "[".repeat(100_000),
      '{"updates": [' + '{"endpoint": "10.9.9.9:1", "weight": 2},'.repeat(20_000) + '{"endpoint": "10.9.9.9:1", "weight": 2}]}',
      ...Array.from({ length: 30 }, (_, i) => randomBytes(next, i * 101)),
    ];
    for (const document of documents) {
      const response = vm.request([[":path", "/meshlb/update"], ["x-meshlb-update", document]]).localResponse;
      assert.ok(response && response.status >= 200 && response.status < 500, `${response?.status} ${response?.body}`);
    }
    for (const path of [new Uint8Array([0xff, 0x2f]), "", "/meshlb/update\u0000", "/".repeat(1 << 20), "/meshlb/update?" + "x".repeat(1 << 20)]) {
      const result = vm.request([[":path", path]]);
      assert.ok(routedTo(result) || result.localResponse?.status === 400);
    }
    // Still balancing as configured: no update above was valid and selected an endpoint.
    assert.equal(routedTo(vm.request({})), "10.1.0.10:5000");
  });
});

test("garbage in shared data is logged, never a trap", async () => {
  const envoy = new Envoy();
  const vm = await envoy.startVm(module, { configuration: { input: filterInput(FAILOVER), seed: 1 } });
  const next = rng(3);
  const documents = [
    new Uint8Array([0xff]),
    "",
    "null",
    "[".repeat(200_000),
    '{"updates": [' + '{"locality": "region9", "health": "HEALTHY"},'.repeat(50_000) + '{"locality": "region9", "health": "HEALTHY"}]}',
    new Uint8Array(8 << 20).fill(0x20),
    ...Array.from({ length: 30 }, (_, i) => randomBytes(next, i * 211)),
  ];
  for (const document of documents) {
    envoy.setSharedData("meshlb.updates", document);
    envoy.advance(1000);
    assert.equal(routedTo(vm.request({})), "10.1.0.10:5000");
  }
  assert.ok(vm.messages("error").length >= documents.length - 1);
});

describe("random and mutated configurations: on_configure answers true or false, never traps", () => {
  test("random bytes", async () => {
    const next = rng(11);
    for (let i = 0; i < 100; i++) {
      const vm = await new Envoy().startVm(module, { configuration: randomBytes(next, next() % 2000) });
      assert.equal(vm.configured, false);
      assert.equal(vm.request({}).localResponse?.status, 503);
    }
  });

  for (const file of [FAILOVER, "examples/default.yaml", "examples/envoy/spillover-panic.json", MAGLEV]) {
    test(`byte flips, cuts and splices of ${file}`, async () => {
      const next = rng(file.length * 131);
      const original = new TextEncoder().encode(filterInput(file));
      let accepted = 0;
      for (let i = 0; i < 150; i++) {
        const input = new Uint8Array(original);
        for (let flips = 1 + (next() % 4); flips > 0; flips--) {
          input[next() % input.length] = next() & 0xff;
        }
        let mutated = input;
        if (i % 3 === 1) mutated = input.subarray(0, next() % input.length);
        if (i % 3 === 2) {
          const at = next() % input.length;
          const piece = input.subarray(next() % input.length, next() % input.length);
          mutated = new Uint8Array([...input.subarray(0, at), ...piece, ...input.subarray(at)]);
        }
        // The input travels as a JSON string, so send it as text (invalid UTF-8 becomes U+FFFD).
        const text = new TextDecoder().decode(mutated);
        const vm = await new Envoy().startVm(module, {
          configuration: { input: text, name: file, seed: i, hash_header: "x-k", updates: { admin_path: "/a" } },
        });
        if (vm.configured) accepted++;
        for (let r = 0; r < 20; r++) vm.request({ "x-k": `k${r}` });
        vm.tick();
      }
      // Some mutations land in comments or values and still load; most do not.
      assert.ok(accepted < 150);
    });
  }

  test("deeply nested and huge inputs", async () => {
    const inputs = [
      "[".repeat(200_000),
      "{".repeat(200_000),
      "a: " + "[".repeat(200_000),
      "a:\n" + " - ".repeat(1000) + "x",
      `{"cluster_name": "c", "endpoints": ${"[".repeat(100_000)}`,
      "#".repeat(4 << 20),
      `{"cluster_name": "c", "endpoints": [{"lb_endpoints": [${Array.from({ length: 20_000 }, (_, i) => `{"endpoint": {"address": {"socket_address": {"address": "10.${(i >> 8) & 255}.${i & 255}.1", "port_value": 80}}}}`).join(",")}]}]}`,
    ];
    for (const input of inputs) {
      const vm = await new Envoy().startVm(module, { configuration: { input, seed: 1 } });
      vm.request({});
    }
  });

  // Block collections (indentation, not brackets) nested thousands deep: meshlb-formats refuses
  // documents nested more than 128 levels before building anything, so this is a clean
  // configuration error, not a stack overflow.
  test("block collections nested 10,000 deep", async () => {
    for (const input of ["a:\n" + " - ".repeat(10_000) + "x", Array.from({ length: 10_000 }, (_, i) => " ".repeat(i) + "k:").join("\n") + " x\n"]) {
      const vm = await new Envoy().startVm(module, { configuration: { input, seed: 1 } });
      assert.equal(vm.configured, false);
    }
  });
});
