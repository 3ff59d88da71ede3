/**
 * A deliberately crude suffix stripper, so `secrets` meets `secret` and `disabled` meets
 * `disable` when the words of an action are compared with those of a counter-example. Both
 * sides go through the same rules, so what matters is that inflections of one word collapse
 * together, not that the stems are linguistic roots. Expects a lowercase token.
 */
export function stemWord(word: string): string {
  let stem = word;
  if (stem.length > 5 && stem.endsWith("ing")) stem = stem.slice(0, -3);
  else if (stem.length > 4 && (stem.endsWith("ed") || stem.endsWith("es"))) stem = stem.slice(0, -2);
  else if (stem.length > 3 && stem.endsWith("s") && !stem.endsWith("ss")) stem = stem.slice(0, -1);
  // `delete` / `deleted`, `update` / `updating`: the silent e goes whichever suffix came off.
  if (stem.length > 4 && stem.endsWith("e")) stem = stem.slice(0, -1);
  return stem;
}
