"use strict";
// The Node package's entry (its `main`): wasm-bindgen's module, its `Balancer` with the calls
// of calls.js. Written so that Node's reading of CommonJS exports for `import` (the spread of
// a `require`, the shorthand `Balancer`) finds every name: `import { explain } from ...` works.
const { withCalls } = require("./calls.js");
const Balancer = withCalls(require("./meshlb_wasm.js").Balancer);

module.exports = { ...require("./meshlb_wasm.js"), Balancer };
