/**
 * Bad configuration: refused at start-up. The message names where the value came from (a file or
 * the command line), the key, what is wrong and how to fix it.
 */
export class ConfigError extends Error {
  readonly source: string;
  readonly key: string;
  readonly problem: string;
  readonly fix: string;

  constructor(args: { source: string; key: string; problem: string; fix: string }) {
    super(`${args.source}: ${args.key}: ${args.problem}. Fix: ${args.fix}`);
    this.name = 'ConfigError';
    this.source = args.source;
    this.key = args.key;
    this.problem = args.problem;
    this.fix = args.fix;
  }
}

/** A message does not match its type: thrown synchronously from publish() (local graph and rclnodejs alike). */
export class MessageValidationError extends Error {
  constructor(
    readonly topic: string,
    readonly type: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`publish on ${topic} (${type}): ${path ? `field "${path}"` : 'message'}: ${problem}`);
    this.name = 'MessageValidationError';
  }
}

/** Bytes a subscription could not decode as its topic's type: the message is left out, counted and logged. */
export class MessageDecodeError extends Error {
  constructor(
    readonly topic: string,
    readonly type: string,
    readonly path: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`message on ${topic} (${type}) is not valid CDR: ${path ? `field "${path}"` : 'message'} at byte ${offset}: ${problem}`);
    this.name = 'MessageDecodeError';
  }
}
