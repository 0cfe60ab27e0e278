// Shared by the wasm package's Node tests: the package under test, the native CLI it must agree
// with, the bundled examples, and a small JSON Schema checker for the shipped schemas.
//
// `cargo xtask test-wasm` sets MESHLB_WASM_NODE (target/dist/node), MESHLB_WASM_WEB
// (target/dist/web/pkg) and MESHLB_BIN (target/release/meshlb); they default to those paths
// under the workspace.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const packageDir = process.env.MESHLB_WASM_NODE ?? join(root, "target", "dist", "node");
export const cli = process.env.MESHLB_BIN ?? join(root, "target", "release", "meshlb");

/** The package under test (`--target nodejs`, CommonJS). */
export const meshlb = createRequire(import.meta.url)(packageDir);

/** Every bundled example, relative to the workspace root. */
export const examples = [
  ...readdirSync(join(root, "examples"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => `examples/${f}`),
  ...readdirSync(join(root, "examples", "envoy"))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => `examples/envoy/${f}`),
];

export const read = (file) => readFileSync(join(root, file), "utf8");

/** Runs the CLI in `cwd`; returns { status, stdout, stderr }. */
export function runCli(args, cwd = root) {
  const r = spawnSync(cli, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `JSON.parse` of the CLI's stdout, failing on a non-zero exit. */
export function cliJson(args) {
  return JSON.parse(execFileSync(cli, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 }));
}

/**
 * Writes `text` to a file named `input` in a fresh directory, so the CLI names it as the
 * package does, runs `fn(dir)` and removes the directory.
 */
export function withInputFile(text, fn) {
  const dir = mkdtempSync(join(tmpdir(), "meshlb-wasm-"));
  try {
    writeFileSync(join(dir, "input"), text);
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The CLI's message for bad input `text`, without its `meshlb: error: ` prefix (or null). */
export function cliError(text, extraArgs = []) {
  return withInputFile(text, (dir) => {
    const r = runCli(["explain", "input", "--format", "json", ...extraArgs], dir);
    if (r.status === 0) return null;
    return r.stderr.replace(/^meshlb: error: /, "").replace(/\n$/, "");
  });
}

/** A small seeded generator (xorshift32): tests never use unseeded randomness. */
export function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/**
 * Calls `fn` expecting a thrown JavaScript `Error` that is not a WebAssembly trap
 * (`WebAssembly.RuntimeError`, e.g. "unreachable" from a Rust panic). Returns the error.
 */
export function throwsCleanly(assert, fn, what) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `${what}: expected an exception`);
  assert.ok(thrown instanceof Error, `${what}: threw a non-Error ${String(thrown)}`);
  assert.ok(
    !(thrown instanceof WebAssembly.RuntimeError),
    `${what}: the module trapped: ${thrown.message}`,
  );
  return thrown;
}

/**
 * Checks `value` against the subset of JSON Schema the shipped schemas use (`$ref` into the
 * root's `$defs`, `additionalProperties` false or a schema included); returns errors.
 */
export function validate(schema, value, path = "$", root = schema) {
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace(/^#\/\$defs\//, "");
    const target = root.$defs?.[name];
    if (!target) return [`${path}: unresolved $ref ${schema.$ref}`];
    return validate(target, value, path, root);
  }
  const errors = [];
  const typeOf = (v) =>
    v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
  if (schema.type !== undefined) {
    const types = [].concat(schema.type);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) {
      errors.push(`${path}: ${t} is not ${types.join(" or ")}`);
      return errors;
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: < minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: > maximum`);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const key of schema.required ?? []) {
      if (!(key in value)) errors.push(`${path}: missing ${key}`);
    }
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in value) errors.push(...validate(sub, value[key], `${path}.${key}`, root));
    }
    if (schema.additionalProperties !== undefined) {
      for (const key of Object.keys(value).filter((k) => !(k in (schema.properties ?? {})))) {
        if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
        else errors.push(...validate(schema.additionalProperties, value[key], `${path}.${key}`, root));
      }
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) => errors.push(...validate(schema.items, item, `${path}[${i}]`, root)));
  }
  return errors;
}

export const schemas = {
  explain: JSON.parse(read("schema/explain.schema.json")),
  simulate: JSON.parse(read("schema/simulate.schema.json")),
  report: JSON.parse(read("schema/report.schema.json")),
};
