import type { IHeaders, Message } from "kafkajs";

/** Where a message failed, and why, in the stable vocabulary of reason codes. */
export interface DeadLetterCause {
  step: string;
  reason: string;
  detail: string;
}

/** The headers `deadLetterMessage` writes; anything else on a letter came from the original message. */
export const DEAD_LETTER_HEADERS = [
  "reason",
  "step",
  "timestamp",
  "detail",
  "source-topic",
  "source-partition",
  "source-offset",
] as const;

export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * A dead letter keeps the original key, bytes and headers untouched and says what happened in
 * headers of its own (which win over an original header of the same name), so it can be inspected
 * and replayed onto its source topic as it was.
 */
export function deadLetterMessage(
  original: { key: Buffer | null; value: Buffer | null; headers?: IHeaders | undefined },
  source: SourcePosition,
  cause: DeadLetterCause,
  now = Date.now(),
): Message {
  return {
    key: original.key,
    value: original.value,
    headers: {
      ...original.headers,
      reason: cause.reason,
      step: cause.step,
      timestamp: String(now),
      detail: cause.detail.slice(0, 1000),
      "source-topic": source.topic,
      "source-partition": String(source.partition),
      "source-offset": source.offset,
    },
  };
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
