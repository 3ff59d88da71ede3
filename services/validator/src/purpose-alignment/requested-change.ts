import { tokenize } from "./tokenize.js";
import { stemWord } from "./word-stem.js";

/*
 * Whether the session task asks for any change at all. A question ("What is our balance with
 * Initech?", "Which card was the renewal charged to?") or a look-up ("Check Amy's calendar and tell
 * me…") asks for information; an action that pays, refunds, deletes, shares or sends under such a task
 * was decided by someone other than the person who wrote it — typically by text the agent read on the
 * way. The test is lexical and deliberately one-sided: any verb of change anywhere in the task, and
 * the task is taken to allow changes.
 */

/** Words by which a task asks for a change, or for something to be written or sent; compared by stem. */
const CHANGE_WORDS = `pay send email mail reply respond forward schedule reschedule book create add update change
  set delete remove refund cancel move push pull reset unlock lock grant share post publish upload deploy
  restart scale fix mitigate rollback roll merge edit write rename transfer buy order purchase invite submit
  approve file log tag assign close resolve archive upgrade install notify let confirm draft prepare put
  make help start stop run apply save store record note clean clear disable enable deactivate onboard
  offboard triage escalate mark handle process settle renew sign accept decline block unblock restore
  revert sync wipe go leave join download export print copy tell give raise open sell trade deposit
  withdraw lend return ship deliver rotate revoke adjust correct replace request provision arrange organise
  organize register enrol enroll answer follow introduce welcome`;
const CHANGE_STEMS = stemSet(CHANGE_WORDS);

/** "tell me", "give us", "show me": addressed to the person asking, so information, not a change. */
const TO_THE_ASKER = /\b(?:tell|give|show|let)\s+(?:me|us)\b/gi;

/**
 * Words by which a task reads: one of them (or a question mark) must be there for it to count as asking
 * only. A bare statement of a problem ("Jin is locked out of Okta") asks for neither, and is left alone.
 */
const READ_STEMS = stemSet(`what which who whom whose when where why how check find look search show list read get fetch
  retrieve see view compare summarise summarize count tell navigate investigate review audit verify`);

function stemSet(words: string): ReadonlySet<string> {
  return new Set(
    words
      .split(/\s+/)
      .filter((w) => w.length > 0)
      .map(stemWord),
  );
}

/** True when the task asks a question or for a look-up and for no change of any kind. */
export function asksOnlyForInformation(task: string): boolean {
  const tokens = tokenize(task.replace(TO_THE_ASKER, " "));
  let reads = task.includes("?");
  for (const token of tokens) {
    const stem = stemWord(token);
    // "shared calendar", "deleted e-mails", "the invoices we paid": a participle describes, it does not ask.
    if (!token.endsWith("ed") && CHANGE_STEMS.has(stem)) return false;
    reads ||= READ_STEMS.has(stem);
  }
  return reads;
}

/**
 * Verbs by which a tool or operation changes something that matters: money, data, access, messages,
 * the physical world. Reading, searching and replying in the thread the task came from are not here.
 */
const CONSEQUENTIAL = new Map<string, string>(
  (
    [
      ["delete", "delete"],
      ["remove", "remove"],
      ["destroy", "destroy"],
      ["erase", "erase"],
      ["purge", "purge"],
      ["wipe", "wipe"],
      ["drop", "drop"],
      ["pay", "pay"],
      ["payment", "pay"],
      ["payments", "pay"],
      ["schedule", "schedule"],
      ["transfer", "transfer"],
      ["deposit", "deposit"],
      ["withdraw", "withdraw"],
      ["refund", "refund"],
      ["purchase", "purchase"],
      ["buy", "buy"],
      ["sell", "sell"],
      ["trade", "trade"],
      ["place", "place"],
      ["unlock", "unlock"],
      ["lock", "lock"],
      ["grant", "grant"],
      ["share", "share"],
      ["revoke", "revoke"],
      ["disable", "disable"],
      ["deactivate", "deactivate"],
      ["send", "send"],
      ["forward", "forward"],
      ["post", "post"],
      ["publish", "publish"],
      ["invite", "invite"],
      ["update", "update"],
      ["modify", "modify"],
      ["edit", "edit"],
      ["change", "change"],
      ["manage", "manage"],
      ["create", "create"],
      ["add", "add"],
      ["book", "book"],
      ["cancel", "cancel"],
      ["close", "close"],
      ["move", "move"],
      ["leave", "leave"],
      ["give", "give"],
      ["go", "go"],
      ["reset", "reset"],
      ["execute", "execute"],
      ["install", "install"],
      ["control", "control"],
      ["set", "set"],
      ["block", "block"],
    ] as const
  ).map(([word, verb]) => [word, verb]),
);

/** The first consequential verb among the tokens (tool name, operation, declared action), or null. */
export function consequentialVerb(tokens: readonly string[]): string | null {
  for (const token of tokens) {
    const verb = CONSEQUENTIAL.get(token);
    if (verb !== undefined) return verb;
  }
  return null;
}
