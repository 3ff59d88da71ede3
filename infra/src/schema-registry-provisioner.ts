import fs from "node:fs";
import path from "node:path";
import { infraConfig } from "./infra-config.js";
import { timedStep } from "./progress.js";
import { requireCommand } from "./prerequisites.js";
import { runCommand } from "./run-command.js";

const modulePath = "github.com/axonops/axonops-schema-registry";

/**
 * Builds AxonOps Schema Registry at a pinned version into `<cache>/bin`.
 *
 * NOTE: `go install <module>/cmd/schema-registry@<version>` fails behind a module proxy that
 * refuses the module's version list (`go install` reads it to check for deprecation). Downloading
 * the pinned version and building it inside the module cache needs only that version, so it works
 * through every proxy that serves the module at all; the result is the same binary.
 */
export async function provisionSchemaRegistry(): Promise<string> {
  const { MANDATE_CACHE_DIR, MANDATE_SCHEMA_REGISTRY_VERSION: version } = infraConfig();
  const binary = path.join(MANDATE_CACHE_DIR, "bin", `schema-registry-${version}`);
  if (fs.existsSync(binary)) return binary;
  requireCommand("go");
  await timedStep(`building AxonOps Schema Registry ${version} with Go into ${binary}`, async () => {
    const downloaded = await runCommand("go", ["mod", "download", "-json", `${modulePath}@${version}`]);
    const moduleDir = (JSON.parse(downloaded) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download did not report a directory for ${modulePath}@${version}`);
    const partial = `${binary}.partial`;
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    await runCommand("go", ["build", "-o", partial, "./cmd/schema-registry"], {
      cwd: moduleDir,
      env: { ...process.env, GOFLAGS: "-mod=mod -buildvcs=false" },
    });
    fs.renameSync(partial, binary);
  });
  return binary;
}
