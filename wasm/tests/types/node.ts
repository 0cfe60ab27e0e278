// The Node package's declarations as a TypeScript caller uses them: `cargo xtask test-wasm`
// copies this file into target/dist/types/ and compiles it (no output) with `--strict`.
import { Balancer, explain, type Picked } from "../node/meshlb.js";

const balancer = new Balancer("input", { from: "east/bookinfo" }, 7n);
const picked: Picked | null = balancer.pick("user-42");
const index: number = balancer.pickIndex(new Uint8Array([1, 2]));
const next: number = balancer.pickNext();
const started = balancer.start();
if (started !== null) balancer.finish(started);
balancer.finish(3);
const endpoints = explain("input").endpoints.length + balancer.explain().endpoints.length;
// @ts-expect-error: a hash key is a string or bytes
balancer.pick(7);
// @ts-expect-error: the calls' wasm-side halves are not part of the package's surface
balancer.__pick();
balancer.free();
export const used = [picked, index, next, endpoints];
