export * from "./meshlb_wasm.js";
export { default } from "./meshlb_wasm.js";
export { BalancerWithCalls as Balancer } from "./calls.js";
