import fs from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * Where a validator's CPU went, from a V8 CPU profile (`MANDATE_BENCH_CPU_PROFILE_DIR`): each sample's
 * time goes to the function it was taken in (self time), and functions are put in the few groups the
 * README's sizing section names. Idle samples are left out of the active time.
 *
 *   node --import @mandate/common/loader test/bench/cpu-profile-summary.ts <file.cpuprofile>
 *
 * NOTE: V8 samples on wall-clock ticks, so a thread the OS has descheduled is charged to where it
 * stopped: on a machine whose cores are busy, read the shares as rough.
 */

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export type CpuGroup = "signing" | "kafka client" | "decision checks" | "garbage collection" | "other";

export interface CpuProfileSummary {
  activeMs: number;
  groups: Array<{ group: CpuGroup; ms: number; share: number }>;
  /** The functions with the most self time, most first. */
  top: Array<{ fn: string; ms: number; share: number }>;
}

/** The group a function belongs to, by its name and the file it is in. */
export function cpuGroupOf(functionName: string, url: string): CpuGroup {
  if (url.includes("internal/crypto/sig")) return "signing";
  if (url.includes("/node_modules/kafkajs/") || functionName === "writeBuffer") return "kafka client";
  if (functionName === "(garbage collector)") return "garbage collection";
  const ownService = [
    "validator-service.ts",
    "/validator-state/",
    "action-intake.ts",
    "validator-config.ts",
    "/main.ts",
  ];
  if (url.includes("/services/validator/src/") && !ownService.some((part) => url.includes(part))) {
    return "decision checks";
  }
  return "other";
}

export function summariseCpuProfile(profile: CpuProfile, topCount = 15): CpuProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const groups = new Map<CpuGroup, number>();
  const functions = new Map<string, number>();
  let activeUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id);
    if (frame === undefined || frame.functionName === "(idle)") continue;
    activeUs += us;
    const group = cpuGroupOf(frame.functionName, frame.url);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const file = frame.url.split("/").slice(-2).join("/");
    const fn = `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const share = (us: number) => (activeUs === 0 ? 0 : us / activeUs);
  return {
    activeMs: activeUs / 1000,
    groups: [...groups].sort((a, b) => b[1] - a[1]).map(([group, us]) => ({ group, ms: us / 1000, share: share(us) })),
    top: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topCount)
      .map(([fn, us]) => ({ fn, ms: us / 1000, share: share(us) })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: cpu-profile-summary.ts <file.cpuprofile>\n");
    process.exit(2);
  }
  const summary = summariseCpuProfile(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile);
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  process.stdout.write(`${file}: ${(summary.activeMs / 1000).toFixed(1)} s active\n`);
  console.table(summary.groups.map((g) => ({ group: g.group, ms: Math.round(g.ms), share: percent(g.share) })));
  console.table(summary.top.map((f) => ({ function: f.fn, ms: Math.round(f.ms), share: percent(f.share) })));
}
