import { setFlagsFromString } from "node:v8";

// NOTE: the package's default entry imports the `.wasm` file as an ES module, which Node 20 cannot
// load without a flag; the `nodejs` build reads it synchronously with `fs` instead.
export * from "@cedar-policy/cedar-wasm/nodejs";

// NOTE: every Cedar export returns an `externref`. V8 11.3 (Node 20) lets TurboFan inline such a
// JS-to-Wasm call into optimised JS, but its deoptimizer cannot rebuild the frame around one: if
// that JS is deoptimised while Cedar runs (a pretenuring decision or a map change made by the
// JSON.parse Cedar calls back into), the process dies with "Fatal error ... unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation. Turning that inlining off before any Cedar call can
// get hot avoids the crash; the generic wrapper costs about 2 ns per call. The flag only matters
// when TurboFan compiles, so setting it after start-up is safe (NODE_OPTIONS refuses it).
setFlagsFromString("--no-turbo-inline-js-wasm-calls");
