// Module resolve hook (registered by register-source.mjs): resolves every import with the
// `mandate-source` condition first, so the workspace packages load from their TypeScript sources.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: ["mandate-source", ...context.conditions] });
}
