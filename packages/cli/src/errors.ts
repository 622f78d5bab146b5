/**
 * A mistake in how mmx was called (an unknown option, dataset, model or backend, a bad value): the
 * message says what is wrong and lists what would be valid. `mmx` prints it without a stack trace and
 * exits with status 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** "'a', 'b' or 'c'": a list of valid choices for an error message. */
export function listChoices(choices: readonly string[]): string {
  const quoted = choices.map((c) => `'${c}'`);
  return quoted.length <= 1 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
}

/** Suggests the closest choice when a name is one or two edits away ("did you mean 'mnist'?"). */
export function didYouMean(name: string, choices: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of choices) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best === undefined ? "" : ` (did you mean '${best}'?)`;
}

function editDistance(a: string, b: string): number {
  let prev = globalThis.Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** Throws a UsageError unless `value` is one of `choices`. */
export function oneOf<T extends string>(value: string, choices: readonly T[], what: string): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`unknown ${what} '${value}'${didYouMean(value, choices)}; valid ${what}s: ${listChoices(choices)}`);
}
