// Runs the repository's TypeScript as it is, with no build step: `node --import @mandate/common/loader
// <file.ts>`. tsx compiles the TypeScript; the hook beside this file makes every `@mandate/*` import
// resolve to the package's `src/` (the `mandate-source` export condition) instead of its built `dist/`.
import { register } from "node:module";
import { register as registerTypeScript } from "tsx/esm/api";

registerTypeScript();
register("./source-condition.mjs", import.meta.url);
