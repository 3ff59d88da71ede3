/*
 * Text as a reader sees it, not as its code points spell it: "ig\u200Bnore", "АKIA…" with a Cyrillic А,
 * or "ｉｇｎｏｒｅ" in full-width letters all read as plain Latin words, and a pattern written for the
 * plain word must match them. Invisible and format characters are removed, compatibility forms are
 * folded by NFKC, and Cyrillic or Greek letters that look like Latin ones are folded inside words that
 * also hold Latin letters or digits.
 *
 * NOTE: a word written wholly in Cyrillic or Greek is left alone, so that Russian and Greek text still
 * reads as itself and the override phrases written in those languages still match. A homoglyph attack
 * needs at least one letter with no look-alike (g, n, r…), so its words are always mixed.
 */

/**
 * Characters that render as nothing: the format category (zero-width space and joiners, bidi controls,
 * soft hyphen, word joiner, byte-order mark, tag characters) and the other default-ignorable code points
 * (combining grapheme joiner, variation selectors, Hangul fillers that display as blank).
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/** Look-alikes of Latin letters, by code point; case is kept so that secret patterns still match. */
const LOOK_ALIKES: ReadonlyMap<number, string> = new Map(
  Object.entries({
    // Cyrillic
    а: "a",
    в: "b",
    е: "e",
    ё: "e",
    к: "k",
    м: "m",
    н: "h",
    о: "o",
    р: "p",
    с: "c",
    т: "t",
    у: "y",
    х: "x",
    ѕ: "s",
    і: "i",
    ї: "i",
    ј: "j",
    һ: "h",
    ԁ: "d",
    ԛ: "q",
    ԝ: "w",
    ӏ: "l",
    ɡ: "g",
    А: "A",
    В: "B",
    Е: "E",
    К: "K",
    М: "M",
    Н: "H",
    О: "O",
    Р: "P",
    С: "C",
    Т: "T",
    Х: "X",
    У: "Y",
    Ѕ: "S",
    І: "I",
    Ј: "J",
    Ԁ: "D",
    Ԛ: "Q",
    Ԝ: "W",
    // Greek
    α: "a",
    ο: "o",
    ν: "v",
    ρ: "p",
    τ: "t",
    ι: "i",
    κ: "k",
    υ: "u",
    χ: "x",
    Α: "A",
    Β: "B",
    Ε: "E",
    Ζ: "Z",
    Η: "H",
    Ι: "I",
    Κ: "K",
    Μ: "M",
    Ν: "N",
    Ο: "O",
    Ρ: "P",
    Τ: "T",
    Υ: "Y",
    Χ: "X",
    // Armenian
    օ: "o",
    ս: "u",
    հ: "h",
    ց: "g",
  }).map(([from, to]) => [from.codePointAt(0) as number, to]),
);

const WORD_CHARACTER = /[\p{L}\p{N}\p{M}]/u;

/**
 * The text with invisible characters removed, NFKC applied and look-alike letters folded to Latin, case
 * kept. Linear in the text's length; returns the same string when nothing changed.
 */
export function foldText(text: string): string {
  if (isAscii(text)) return text;
  const visible = text.replace(INVISIBLE, "").normalize("NFKC");
  return foldLookAlikes(visible);
}

/** `foldText`, lower-cased: the form in which two values that read the same compare equal. */
export function normaliseText(text: string): string {
  return foldText(text).toLowerCase();
}

function foldLookAlikes(text: string): string {
  let out = "";
  let changed = false;
  let wordStart = -1;
  let hasLatin = false;
  let hasLookAlike = false;
  const flush = (end: number): void => {
    const word = text.slice(wordStart, end);
    if (hasLatin && hasLookAlike) {
      changed = true;
      for (const character of word) out += LOOK_ALIKES.get(character.codePointAt(0) as number) ?? character;
    } else out += word;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ascii = c < 0x80;
    const latin = ascii && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a));
    const inWord = latin || (!ascii && isWordCharacter(text, i, c));
    if (!inWord) {
      if (wordStart !== -1) flush(i);
      wordStart = -1;
      out += text[i];
      continue;
    }
    if (wordStart === -1) {
      wordStart = i;
      hasLatin = false;
      hasLookAlike = false;
    }
    if (latin) hasLatin = true;
    else if (LOOK_ALIKES.has(c)) hasLookAlike = true;
  }
  if (wordStart !== -1) flush(text.length);
  return changed ? out : text;
}

function isWordCharacter(text: string, i: number, c: number): boolean {
  // Surrogate halves: letters beyond the BMP are rare in words a pattern reads; treat them as word parts.
  if (c >= 0xd800 && c <= 0xdfff) return true;
  return WORD_CHARACTER.test(text[i] as string);
}

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
