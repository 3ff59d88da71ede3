/** One visible line per provisioning step, so a slow first run never looks hung. */
export function progress(step: string): void {
  process.stderr.write(`[mandate] ${step}\n`);
}

export async function timedStep<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  progress(`${step} …`);
  const result = await work();
  progress(`${step} done (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return result;
}
