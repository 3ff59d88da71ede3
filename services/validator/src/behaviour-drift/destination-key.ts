import { destinationValue } from "../purpose-alignment/intent-values.js";

/**
 * The form a destination is remembered in. It is alignment's normalisation (a URL's host without
 * scheme, credentials, port or path; an e-mail address lowercased), so a destination compares
 * equal to the intent value alignment extracts from it and is not counted twice as new.
 */
export function destinationKey(destination: string | null): string | null {
  return destination === null ? null : (destinationValue(destination)?.value ?? null);
}
