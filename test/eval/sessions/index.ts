import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EvalSession } from "../eval-session.js";
import { loadAttackerCases, loadInjecAgentSessions } from "./injecagent.js";
import { loadToolkitCatalogue, type ToolkitCatalogue } from "./injecagent-toolkits.js";
import { plantInjections } from "./plant-injections.js";
import { loadPrivacyLensSessions } from "./privacylens.js";
import { loadTauAirlineSessions } from "./tau-bench-airline.js";
import { loadToolEmuSessions } from "./toolemu.js";
import { loadToolTalkSessions } from "./tooltalk.js";
import { loadTraceSafeBfclSessions } from "./tracesafe-bfcl.js";

/**
 * Whole sessions for the eval, built at run time from the public datasets in `datasetsDir` (nothing is
 * copied into the repository): benign sessions of τ-bench airline, ToolTalk, TraceSafe/BFCL and
 * PrivacyLens, each with as many attack sessions planted from InjecAgent's attacker goals; ToolEmu's
 * labelled runs; InjecAgent's own sessions.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** `MANDATE_DATASETS_DIR`, else `../shared/datasets` beside the repository. */
export const DATASETS_DIR = process.env.MANDATE_DATASETS_DIR ?? path.resolve(repoRoot, "../shared/datasets");

interface BenignSource {
  folder: string;
  /** Null when the source cannot be read without the InjecAgent tool catalogue. */
  load: (dir: string, catalogue: ToolkitCatalogue | null) => EvalSession[] | null;
}

const BENIGN_SOURCES: BenignSource[] = [
  { folder: "tau-bench-airline", load: loadTauAirlineSessions },
  { folder: "tooltalk", load: loadToolTalkSessions },
  { folder: "tracesafe-bfcl", load: loadTraceSafeBfclSessions },
  // PrivacyLens's Gmail, Slack, Facebook and Calendar tools are described by InjecAgent's tools.json.
  { folder: "privacylens", load: (dir, catalogue) => catalogue && loadPrivacyLensSessions(dir, catalogue) },
];

/**
 * Every session of every source found. A missing source folder is skipped (named in `skipped`, with a
 * line on stderr); the InjecAgent folder is needed by PrivacyLens, ToolEmu and every attack session,
 * since it holds the tool catalogue and the attacker goals.
 */
export function loadAllSessions(datasetsDir: string = DATASETS_DIR): { sessions: EvalSession[]; skipped: string[] } {
  const skipped: string[] = [];
  const skip = (name: string, why: string): void => {
    skipped.push(name);
    process.stderr.write(`eval sessions: skipping ${name}: ${why}\n`);
  };
  const present = (folder: string): string | null => {
    const dir = path.join(datasetsDir, folder);
    if (existsSync(dir)) return dir;
    skip(folder, `${dir} not found`);
    return null;
  };

  const injecagentDir = present("injecagent");
  const catalogue = injecagentDir === null ? null : loadToolkitCatalogue(injecagentDir);
  const attackers =
    injecagentDir === null
      ? null
      : { dh: loadAttackerCases(injecagentDir, "dh"), ds: loadAttackerCases(injecagentDir, "ds") };

  const sessions: EvalSession[] = [];
  for (const source of BENIGN_SOURCES) {
    const dir = present(source.folder);
    if (dir === null) continue;
    const benign = source.load(dir, catalogue);
    if (benign === null) {
      skip(source.folder, "needs injecagent/tools.json");
      continue;
    }
    sessions.push(...benign);
    if (catalogue !== null && attackers !== null) sessions.push(...plantInjections(benign, attackers, catalogue));
  }

  const toolemuDir = present("toolemu-trajectories");
  if (toolemuDir !== null && catalogue === null) skip("toolemu-trajectories", "needs injecagent/tools.json");
  else if (toolemuDir !== null && catalogue !== null) sessions.push(...loadToolEmuSessions(toolemuDir, catalogue));

  if (injecagentDir !== null && catalogue !== null) {
    sessions.push(...loadInjecAgentSessions(injecagentDir, "dh", catalogue));
    sessions.push(...loadInjecAgentSessions(injecagentDir, "ds", catalogue));
  }
  return { sessions, skipped };
}

/** FNV-1a, 32 bits: a stable hash that needs no dependency. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Which half a session falls in, by a stable hash of its id: about half each. An attack session planted
 * into a benign one (`<id>#attack`) falls in the same half as that one, since it replays the same steps
 * up to the injection.
 */
export function halfOf(session: Pick<EvalSession, "session_id">): "calibration" | "held-out" {
  const origin = session.session_id.replace(/#attack$/, "");
  return fnv1a(origin) % 2 === 0 ? "calibration" : "held-out";
}
