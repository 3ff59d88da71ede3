#!/usr/bin/env node
// The `mandate` command: runs the TypeScript CLI from source (tsx, and the packages' `mandate-source`
// condition), so there is no build step. Resolved from this file, so it works from any directory.
import "@mandate/common/loader";

await import("../src/main.ts");
