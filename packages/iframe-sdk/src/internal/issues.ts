/** The parts of a zod issue this package reports. */
interface IssueLike {
  readonly code?: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: unknown;
  readonly values?: readonly unknown[];
  readonly keys?: readonly string[];
  readonly maximum?: unknown;
  readonly minimum?: unknown;
}

// zod/mini ships no locale, so its own messages are a bare "Invalid input": say what was expected.
function explain(issue: IssueLike): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${String(issue.expected)}`;
    case 'invalid_value':
      return `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys && issue.keys.length > 1 ? 's' : ''} ${(issue.keys ?? []).join(', ')}`;
    case 'too_big':
      return issue.message === 'Invalid input'
        ? `must be at most ${String(issue.maximum)}`
        : issue.message;
    case 'too_small':
      return issue.message === 'Invalid input'
        ? `must be at least ${String(issue.minimum)}`
        : issue.message;
    default:
      return issue.message;
  }
}

/** `colors.primary: must be a CSS colour...; mode: must be one of "light", "dark"`: every issue with its path. */
export function describeIssues(issues: readonly IssueLike[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${explain(issue)}` : explain(issue);
    })
    .join('; ');
}
