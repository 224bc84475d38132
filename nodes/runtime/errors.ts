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
