/** The command line was wrong: the message says how to call it right. Exit code 2. */
export class UsageError extends Error {}
