// The `wasm-` and `filter-` entries of docs/errors.md, triggered in the wasm package and in the
// filter's test host, each message checked (the parts between `…`, in order). An entry without
// a trigger here fails, and so does a trigger without an entry.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";

import { meshlb as wasm, read, root } from "../../wasm/tests/helpers.mjs";
import { Envoy, WASM } from "../../filter/tests/host.mjs";

/** [id, message] of the catalogue's wasm and filter entries. */
const entries = readFileSync(join(root, "docs", "errors.md"), "utf8")
  .split("\n")
  .map((line) => /^\| `([a-z0-9-]+)` \| `` (.*) `` \| .* \|$/.exec(line))
  .filter((m) => m && /^(wasm|filter)-/.test(m[1]))
  .map((m) => [m[1], m[2]]);

function matches(message, actual) {
  let rest = actual;
  for (const part of message.split("…")) {
    const i = rest.indexOf(part);
    if (i < 0) return false;
    rest = rest.slice(i + part.length);
  }
  return true;
}

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e.message;
  }
  assert.fail("no error");
}

let module;
before(async () => {
  module = await Envoy.compile(WASM);
});

async function filterError(configuration) {
  const vm = await new Envoy().startVm(module, { configuration });
  assert.equal(vm.configured, false);
  return vm.messages("error").join("\n");
}

const example = read("examples/default.yaml");
const maglev = read("examples/envoy/maglev.json");
const triggers = {
  "wasm-input-type": () => thrown(() => wasm.explain(42)),
  "wasm-unknown-option": () => thrown(() => wasm.explain(example, { seed: 1 })),
  "wasm-lb-policy": () => thrown(() => wasm.explain(example, { lbPolicy: "round_robin" })),
  "wasm-panic-threshold": () => thrown(() => wasm.explain(example, { panicThreshold: -1 })),
  "wasm-file-error": () => thrown(() => wasm.explain(example.replace(/cluster: (\S+), address/, "cluster: nowhere, address"))),
  "filter-empty-configuration": () => filterError(""),
  "filter-missing-input": () => filterError({}),
  "filter-unknown-field": () => filterError({ input: maglev, hash_heder: "x" }),
  "filter-yaml": () => filterError({ input: example, name: "default.yaml" }),
  "filter-header": () => filterError({ input: maglev, header: "x dst" }),
};

test("the catalogue has wasm and filter entries, each with a trigger", () => {
  assert.ok(entries.length >= 10, JSON.stringify(entries));
  assert.deepEqual(entries.map(([id]) => id).sort(), Object.keys(triggers).sort());
});

for (const [id, message] of entries) {
  test(id, async () => {
    const actual = await triggers[id]();
    assert.ok(matches(message, actual), `${id}: expected ${JSON.stringify(message)}\n got ${JSON.stringify(actual)}`);
  });
}
