/** Flags every bench file understands (`npm run bench -- --quick`). */
export interface BenchArgs {
  /** Fewer iterations: the whole suite in under two minutes once fixtures are built. */
  readonly quick: boolean;
}

/** Reads the bench flags from the command line. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  return { quick: argv.includes('--quick') };
}

/** `full` or `quick`, by the run's mode. */
export function pick<T>(args: BenchArgs, full: T, quick: T): T {
  return args.quick ? quick : full;
}
