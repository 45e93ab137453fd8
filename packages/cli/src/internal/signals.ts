/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: string) => {
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.once('SIGINT', () => first('SIGINT'));
    process.once('SIGTERM', () => first('SIGTERM'));
  });
}
