// NOTE: the package's default entry imports the `.wasm` file as an ES module, which Node 20 cannot
// load without a flag; the `nodejs` build reads it synchronously with `fs` instead.
export * from "@cedar-policy/cedar-wasm/nodejs";
