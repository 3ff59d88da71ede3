/**
 * A copy of `value` that shares no memory with the string it came from. V8 represents a substring
 * of a long string as a slice that keeps the whole parent alive, and a concatenation as a tree of
 * its parts: a remembered value cut from a 256 KB `arguments_json` would pin all of it for as long
 * as the agent's state lives. A JSON round trip returns a fresh flat string and, unlike a UTF-8
 * Buffer round trip, keeps lone surrogates as they were, so the copy always equals the original.
 */
export function ownedString(value: string): string {
  return JSON.parse(JSON.stringify(value)) as string;
}
