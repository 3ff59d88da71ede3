import { isAscii } from "./normalise-text.js";

/*
 * "Ignore the previous instructions" in the languages an attacker is most likely to switch to when the
 * English phrase is filtered. Each pattern reads normalised text (see foldText), in any case, and
 * needs the verb, the word for instructions and a word for "previous" (or a label such as "new
 * instructions:"), so "ignora las instrucciones del fabricante" (ignore the maker's instructions) in a
 * product review is not one. Gaps are bounded, and the look-aheads stop at the end of a sentence.
 */

/** A bounded stretch of the same sentence. */
const SAME_SENTENCE = "[^.!?。！？\\n]{0,80}?";

function overrideIn(verbs: string, nouns: string, earlier: string): RegExp {
  return new RegExp(
    `(?<!\\p{L})(?:${verbs})(?!\\p{L})(?=${SAME_SENTENCE}(?<!\\p{L})(?:${nouns}))(?=${SAME_SENTENCE}(?<!\\p{L})(?:${earlier}))`,
    "iu",
  );
}

export interface OverridePhrase {
  language: string;
  pattern: RegExp;
}

export const OVERRIDE_PHRASES: readonly OverridePhrase[] = [
  {
    language: "es",
    pattern: overrideIn(
      "ignora|ignore|ignorad|ignoren|olvida|olvide|olvidad|olviden|descarta|descarte|omite|omita",
      "instrucci[oó]n|indicaciones|[oó]rdenes|reglas|directrices",
      "anterior|previa|previo|de arriba|precedente|todas? las|original",
    ),
  },
  {
    language: "fr",
    pattern: overrideIn(
      "ignore|ignorez|ignorer|oublie|oubliez|oublier|n[eé]glige|n[eé]gligez",
      "instructions?|consignes?|directives?|r[eè]gles",
      "pr[eé]c[eé]dentes|ant[eé]rieures|ci-dessus|initiales|toutes les|tes |vos ",
    ),
  },
  {
    language: "de",
    pattern: overrideIn(
      "ignoriere|ignorieren|ignoriert|vergiss|vergessen|vergesst|missachte|missachten",
      "anweisung|instruktion|befehle|vorgaben|regeln",
      "vorherig|bisherig|vorig|obig|fr[uü]her|alle|urspr[uü]nglich",
    ),
  },
  {
    language: "pt",
    pattern: overrideIn(
      "ignore|ignora|ignorem|esque[cç]a|esque[cç]am|esquece|desconsidere|desconsidera",
      "instru[cç][oõ]es|instru[cç][aã]o|ordens|regras|diretrizes",
      "anterior|pr[eé]via|acima|todas as|original",
    ),
  },
  {
    language: "it",
    pattern: overrideIn(
      "ignora|ignorate|ignori|dimentica|dimenticate|dimentichi|trascura",
      "istruzion[ei]|indicazioni|regole|direttive",
      "precedent[ei]|sopra|tutte le|original[ei]",
    ),
  },
  {
    language: "ru",
    pattern: overrideIn(
      "игнорируй|игнорируйте|игнорировать|забудь|забудьте|проигнорируй|проигнорируйте|не обращай внимания на",
      "инструкци|указани|правил|команд",
      "предыдущ|прежн|вышеуказанн|все|изначальн",
    ),
  },
  {
    language: "zh",
    pattern:
      /(?:忽略|无视|無視|忽视|忽視|忘记|忘記|不要理会|不要理會)[^。！？\n]{0,12}?(?:之前|以前|先前|上面|上述|前面|所有|全部|原来|原來)[^。！？\n]{0,12}?(?:指令|指示|说明|說明|提示|规则|規則|命令)/iu,
  },
  {
    language: "ja",
    pattern:
      /(?:以前|前|上記|これまで|今まで|先ほど|最初)の[^。！？\n]{0,12}?(?:指示|命令|指令|ルール|プロンプト)[^。！？\n]{0,12}?(?:無視|忘れ)/iu,
  },
  {
    language: "ko",
    pattern:
      /(?:이전|앞의|위의|기존|모든)[^.!?\n]{0,12}?(?:지시|지침|명령|규칙|프롬프트)[^.!?\n]{0,12}?(?:무시|잊어)/iu,
  },
  {
    language: "ar",
    pattern:
      /(?:تجاهل|تجاهلي|تجاهلوا|انس|انسى|اِنسَ)[^.!?؟\n]{0,40}?(?:التعليمات|الأوامر|التوجيهات|القواعد)[^.!?؟\n]{0,40}?(?:السابقة|الأصلية|أعلاه)|(?:تجاهل|انس)[^.!?؟\n]{0,12}?(?:جميع|كل)[^.!?؟\n]{0,12}?(?:التعليمات|الأوامر)/iu,
  },
  {
    // "New instructions:" as a label, in each language.
    language: "any",
    pattern:
      /(?:^|[\n.!?。！？:]\s{0,4})(?:nuevas instrucciones|nouvelles (?:instructions|consignes)|neue anweisungen|novas instru[cç][oõ]es|nuove istruzioni|новые инструкции|新的?指令|新しい指示|새로운 지시|تعليمات جديدة)\s{0,2}[:：]/iu,
  },
];

/**
 * Literals of which one must occur before a pattern in a Latin script can match: every verb above and
 * every Latin label holds one. Case-folded like the patterns ("u"), so that it never misses what they match.
 */
export const OVERRIDE_HINT =
  /ignor|olvid|descart|omit|oubli|n[eé]glig|vergiss|vergess|missacht|esque[cç]|desconsider|dimentic|trascur|nuevas|nouvelles|neue|novas|nuove/iu;

const NON_LATIN_LANGUAGES: ReadonlySet<string> = new Set(["ru", "zh", "ja", "ko", "ar"]);

/** The languages whose override phrasing the text holds, or an empty list. */
export function overrideLanguages(text: string): string[] {
  const ascii = isAscii(text);
  const latinHint = OVERRIDE_HINT.test(text);
  if (ascii && !latinHint) return [];
  const found: string[] = [];
  for (const { language, pattern } of OVERRIDE_PHRASES) {
    // Phrases in non-Latin scripts cannot match ASCII text, nor phrases in Latin ones text without a hint.
    // "any" holds labels in both.
    if (NON_LATIN_LANGUAGES.has(language) ? ascii : language !== "any" && !latinHint) continue;
    if (pattern.test(text)) found.push(language);
  }
  return found;
}
