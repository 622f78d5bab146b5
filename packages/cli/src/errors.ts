/**
 * The one error type for the user's mistakes: how mmx was called (an unknown option, dataset, model or
 * backend, a bad value), a file it was given or reads back (a run folder, a checkpoint, metrics.json),
 * or settings that make training diverge. The message is one line that names the culprit (the flag,
 * file, field or layer) and what would be valid. `mmx` prints it without a stack trace and exits with
 * status 2; any other error is a bug in mmx (status 1, with the trace and a request to report it).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The file-system failures that come from the user's machine, not from mmx: a full disk, a read-only folder. */
const ENVIRONMENT_CODES: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EISDIR: "is a folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links (a link that points back to itself)",
};

/**
 * The user-facing error for `e`, or undefined when `e` is a bug: a UsageError as it is, and a Node
 * file-system error from the user's environment (ENOSPC, EACCES on a path) as a UsageError naming the path.
 */
export function asUserError(e: unknown): UsageError | undefined {
  if (e instanceof UsageError) return e;
  const err = e as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (err instanceof Error && typeof err.code === "string" && ENVIRONMENT_CODES[err.code] && typeof err.path === "string") {
    return new UsageError(`cannot ${err.syscall ?? "use"} ${err.dest ?? err.path}: ${ENVIRONMENT_CODES[err.code]} (${err.code})`);
  }
  return undefined;
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

/** Runs `f`; a UsageError it throws is re-thrown with `source` (the file a bad value came from) in front. */
export function blame<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${source}: ${e.message}`);
    throw e;
  }
}

/** {@link blame} for an async `f`. */
export async function blameAsync<T>(source: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${source}: ${e.message}`);
    throw e;
  }
}
