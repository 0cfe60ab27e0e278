// One decision everywhere: the same inputs and seeds through the native CLI (`meshlb explain
// --format json`, `meshlb pick`), the wasm package under Node and the proxy-wasm filter in its
// test host, for every example and the generated scenarios (`cargo xtask test-cross` writes them
// to target/cross from tests/src/meshgen.rs). Compared:
//
// - the explanation: the wasm package's `explain` equals the CLI's JSON exactly; the filter has
//   no JSON explanation (it is built without serde's output and without the `topology` feature)
//   and logs it at debug level as text when configured, so its status, message, policy,
//   priorities, endpoints (locality, priority, health, weight, share to the 2 decimals of a
//   percent the log prints), drops and notes are compared with the CLI's, field by field;
// - the first 10,000 picks with seed 7 (and, for the hash policies, the keys `user-0`,
//   `user-1`, ...), as `address:port` or `-` for none: native, wasm and filter sequences equal.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { examples, meshlb as wasm, read, root } from "../../wasm/tests/helpers.mjs";
import { Envoy, WASM, explain, filterInput, pick, routedTo } from "../../filter/tests/host.mjs";

const REQUESTS = 10_000;
const SEED = 7;
const generatedDir = process.env.MESHLB_CROSS_DIR ?? join(root, "target", "cross");
const generated = readdirSync(generatedDir)
  .filter((f) => /^gen-\d+\.yaml$/.test(f))
  .sort()
  .map((f) => join(generatedDir, f).slice(root.length + 1));

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

test("every example and at least 20 generated scenarios are compared", () => {
  assert.ok(examples.length >= 15, examples.join(" "));
  assert.ok(generated.length >= 20, `${generated.length} generated scenarios in ${generatedDir}`);
});

/** `address:port`, IPv6 in brackets, as the filter and the CLI print it. */
const host = (address, port) => (address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`);

/** The filter's debug explanation, parsed back into its fields. */
function filterExplanation(messages) {
  const text = messages.find((m) => m.startsWith("meshlb: explanation: "));
  assert.ok(text, `no explanation logged:\n${messages.join("\n")}`);
  const [head, ...lines] = text.split("\n");
  const out = { head, priorities: [], endpoints: [], dropped: [], notes: [] };
  for (const line of lines) {
    let m;
    if ((m = /^ {2}P(\d+) load (\d+)% healthy \+ (\d+)% degraded, health (\d+)%(, PANIC)?$/.exec(line))) {
      out.priorities.push(m.slice(1, 5).map(Number).concat([m[5] !== undefined]));
    } else if ((m = /^ {2}dropped (\S+): (.*)$/.exec(line))) {
      out.dropped.push([m[1], m[2]]);
    } else if ((m = /^ {2}note: (.*)$/.exec(line))) {
      out.notes.push(m[1]);
    } else if ((m = /^ {2}(\S+) (.*) P(\d+) (\S+) w(\d+) ([0-9.]+)%$/.exec(line))) {
      out.endpoints.push({ host: m[1], locality: m[2], priority: Number(m[3]), health: m[4], weight: Number(m[5]), percent: Number(m[6]) });
    } else {
      assert.fail(`unparsed line of the filter's explanation: ${JSON.stringify(line)}`);
    }
  }
  return out;
}

function assertSameExplanation(file, native, logged) {
  assert.equal(logged.head, `meshlb: explanation: ${native.status}: ${native.message}; policy ${native.lb_policy}`, file);
  assert.deepEqual(
    logged.priorities,
    native.priorities.map((p) => [p.priority, p.healthy_load, p.degraded_load, p.health, p.panic]),
    `${file}: priorities`,
  );
  assert.equal(logged.endpoints.length, native.endpoints.length, `${file}: endpoints`);
  native.endpoints.forEach((e, i) => {
    const l = logged.endpoints[i];
    assert.deepEqual(
      [l.host, l.locality, l.priority, l.health, l.weight],
      [host(e.address, e.port), e.locality, e.priority, e.health, e.weight],
      `${file}: endpoint ${i}`,
    );
    assert.ok(Math.abs(l.percent - e.share * 100) <= 0.005 + 1e-9, `${file}: endpoint ${i} share ${l.percent}% vs ${e.share}`);
  });
  assert.deepEqual(logged.dropped, native.dropped.map((d) => [host(d.address, d.port), d.message]), `${file}: dropped`);
  assert.deepEqual(logged.notes, native.notes, `${file}: notes`);
}

const firstDifference = (a, b) => {
  const i = a.findIndex((x, k) => x !== b[k]);
  return i < 0 ? "none" : `request ${i}: ${a[i]} vs ${b[i]}`;
};

for (const file of [...examples, ...generated]) {
  describe(file, () => {
    const native = explain(file);
    const hashed = native.lb_policy === "RING_HASH" || native.lb_policy === "MAGLEV";
    const key = (i) => (hashed ? `user-${i}` : undefined);

    test("the wasm package's explanation is the CLI's JSON", () => {
      assert.deepStrictEqual(wasm.explain(read(file)), native);
    });

    test(`the first ${REQUESTS} picks and the explanation agree in the CLI, the wasm package and the filter`, async () => {
      const expected = pick(file, REQUESTS, SEED, ...(hashed ? ["--hash-prefix", "user-"] : []));
      assert.equal(expected.length, REQUESTS);

      const balancer = new wasm.Balancer(read(file), undefined, SEED);
      const fromWasm = [];
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const p = balancer.pick(key(i));
          fromWasm.push(p === null ? "-" : host(p.address, p.port));
        }
      } finally {
        balancer.free();
      }
      assert.ok(fromWasm.every((p, i) => p === expected[i]), `wasm: ${firstDifference(fromWasm, expected)}`);

      const configuration = { input: filterInput(file), name: file, seed: SEED };
      if (hashed) configuration.hash_header = "x-user";
      const vm = await new Envoy().startVm(module, { configuration });
      assert.equal(vm.configured, true, vm.messages().join("\n"));
      assertSameExplanation(file, native, filterExplanation(vm.messages("debug")));
      const fromFilter = [];
      for (let i = 0; i < REQUESTS; i++) {
        fromFilter.push(routedTo(vm.request(hashed ? { "x-user": key(i) } : {})) ?? "-");
      }
      assert.ok(fromFilter.every((p, i) => p === expected[i]), `filter: ${firstDifference(fromFilter, expected)}`);
    });
  });
}
