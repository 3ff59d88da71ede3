import fs from "node:fs";

/**
 * User plus system CPU milliseconds a process (or, given a task's stat file, one thread) has used so
 * far, from /proc; undefined where it cannot be read (not Linux, the process gone).
 */
export function cpuMs(pid: number | undefined, thread?: number): number | undefined {
  if (pid === undefined) return undefined;
  const file = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
    const fields = fs.readFileSync(file, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
