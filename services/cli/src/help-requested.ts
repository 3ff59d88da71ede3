/**
 * Not a failure: `--help` was given. A command throws it with its usage, and the entry point prints
 * that usage on stdout and exits 0, so no command has to stop half-way through its own parsing.
 */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super("help requested");
  }
}
