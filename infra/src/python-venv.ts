import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { infraConfig } from "./infra-config.js";
import { hasCommand, MissingPrerequisiteError } from "./prerequisites.js";
import { timedStep } from "./progress.js";
import { runCommand } from "./run-command.js";

const PYTHON_HINT =
  "Install Python 3.9 or newer with its venv module (Debian: apt-get install python3 python3-venv); " +
  "the Python example agent runs in a virtual environment in the cache.";

/**
 * A Python virtual environment in the cache (`<cache>/python-<name>-<hash>`) with the packages a
 * requirements file pins, installed from PyPI with pip on first use and reused after. The directory
 * is named after the file's hash, so changing a pin makes a new one; a marker written last means an
 * interrupted install is redone instead of trusted. Returns the environment's python.
 */
export async function provisionPythonVenv(name: string, requirementsFile: string): Promise<string> {
  const { MANDATE_CACHE_DIR } = infraConfig();
  const requirements = fs.readFileSync(requirementsFile);
  const hash = crypto.createHash("sha256").update(requirements).digest("hex").slice(0, 12);
  const home = path.join(MANDATE_CACHE_DIR, `python-${name}-${hash}`);
  const python = path.join(home, "bin", "python");
  const marker = path.join(home, ".complete");
  if (fs.existsSync(marker)) return python;
  if (!hasCommand("python3")) throw new MissingPrerequisiteError("python3", PYTHON_HINT);
  await timedStep(`creating the Python environment ${home} (pip, from PyPI)`, async () => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(MANDATE_CACHE_DIR, { recursive: true });
    await createVenv(home);
    await runCommand(python, [
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "-r",
      requirementsFile,
    ]);
    fs.writeFileSync(marker, new Date().toISOString());
  });
  return python;
}

/**
 * `python3 -m venv`, or where that module is missing (Debian's python3 without python3-venv) but pip
 * is there, virtualenv from PyPI, installed beside the environment with `pip install --target`:
 * virtualenv brings its own pip, so it needs neither venv nor ensurepip.
 */
async function createVenv(home: string): Promise<void> {
  try {
    await runCommand("python3", ["-m", "venv", home]);
    return;
  } catch (venvError) {
    fs.rmSync(home, { recursive: true, force: true });
    const bootstrap = `${home}.virtualenv`;
    try {
      await runCommand("python3", ["-m", "pip", "install", "--quiet", "--target", bootstrap, "virtualenv"]);
      await runCommand("python3", ["-m", "virtualenv", home], { env: { ...process.env, PYTHONPATH: bootstrap } });
    } catch (virtualenvError) {
      throw new MissingPrerequisiteError(
        "python3 -m venv",
        `${PYTHON_HINT}\n${(venvError as Error).message}\n${(virtualenvError as Error).message}`,
      );
    } finally {
      fs.rmSync(bootstrap, { recursive: true, force: true });
    }
  }
}
