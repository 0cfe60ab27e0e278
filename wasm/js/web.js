// The web package's entry (its `module`): wasm-bindgen's module, its default `init()` included,
// its `Balancer` with the calls of calls.js.
import { Balancer as Generated } from "./meshlb_wasm.js";
import { withCalls } from "./calls.js";

export * from "./meshlb_wasm.js";
export { default } from "./meshlb_wasm.js";
export const Balancer = withCalls(Generated);
