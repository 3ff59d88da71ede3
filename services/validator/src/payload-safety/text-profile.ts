/**
 * Which characters a string holds, gathered in one pass so that each detector can rule a string out
 * with a bit test before it pays for a regex. Most argument strings are ruled out by every detector.
 */
export interface TextProfile {
  flags: number;
  digits: number;
  /** Spaces and tabs. */
  spaces: number;
  newlines: number;
}

export const HAS_LOWER = 1 << 0;
export const HAS_UPPER = 1 << 1;
export const HAS_AT = 1 << 2;
export const HAS_PERCENT = 1 << 3;
export const HAS_SLASH = 1 << 4;
export const HAS_BACKSLASH = 1 << 5;
export const HAS_DOT_DOT = 1 << 6;
export const HAS_QUOTE = 1 << 7;
export const HAS_COLON = 1 << 8;
export const HAS_HYPHEN = 1 << 9;
/** C0 controls other than tab, line feed, carriage return and form feed, or DEL. */
export const HAS_CONTROL = 1 << 10;
/** A UTF-16 surrogate without its partner: no text encoding produces one. */
export const HAS_LONE_SURROGATE = 1 << 11;
export const HAS_NON_ASCII = 1 << 12;
/** Characters that can never appear in base64 text (beyond letters, digits, "+/=-_"). */
export const HAS_NON_BASE64_PUNCTUATION = 1 << 13;
/** ; | & ` $ < > ( ) ~ * */
export const HAS_SHELL_META = 1 << 14;
/** < [ # as in chat-template tokens ("<|im_start|>", "[INST]", "### system:"). */
export const HAS_MARKUP = 1 << 15;

export function profileText(text: string): TextProfile {
  let flags = 0;
  let digits = 0;
  let spaces = 0;
  let newlines = 0;
  let previous = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) flags |= HAS_LOWER;
    else if (c >= 0x41 && c <= 0x5a) flags |= HAS_UPPER;
    else if (c >= 0x30 && c <= 0x39) digits++;
    else {
      switch (c) {
        case 0x20:
        case 0x09:
          spaces++;
          break;
        case 0x0a:
          newlines++;
          break;
        case 0x0d:
        case 0x0c:
          break;
        case 0x2b:
        case 0x3d:
        case 0x5f:
          break;
        case 0x2d:
          flags |= HAS_HYPHEN;
          break;
        case 0x2f:
          flags |= HAS_SLASH;
          break;
        case 0x40:
          flags |= HAS_AT | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x25:
          flags |= HAS_PERCENT | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x5c:
          flags |= HAS_BACKSLASH | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x2e:
          flags |= previous === 0x2e ? HAS_DOT_DOT | HAS_NON_BASE64_PUNCTUATION : HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x22:
        case 0x27:
          flags |= HAS_QUOTE | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x3a:
          flags |= HAS_COLON | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x3b:
        case 0x7c:
        case 0x26:
        case 0x60:
        case 0x24:
        case 0x3e:
        case 0x28:
        case 0x29:
        case 0x7e:
        case 0x2a:
          flags |= HAS_SHELL_META | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x3c:
          flags |= HAS_SHELL_META | HAS_MARKUP | HAS_NON_BASE64_PUNCTUATION;
          break;
        case 0x5b:
        case 0x23:
          flags |= HAS_MARKUP | HAS_NON_BASE64_PUNCTUATION;
          break;
        default:
          if (c < 0x20 || c === 0x7f) flags |= HAS_CONTROL;
          else if (c < 0x80) flags |= HAS_NON_BASE64_PUNCTUATION;
          else if (c >= 0xd800 && c <= 0xdbff) {
            const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
            if (next >= 0xdc00 && next <= 0xdfff) {
              flags |= HAS_NON_ASCII;
              i++;
            } else flags |= HAS_LONE_SURROGATE;
          } else if (c >= 0xdc00 && c <= 0xdfff) flags |= HAS_LONE_SURROGATE;
          else flags |= HAS_NON_ASCII;
      }
    }
    previous = c;
  }
  return { flags, digits, spaces, newlines };
}
