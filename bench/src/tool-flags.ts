/**
 * The flags of the bench's small command-line tools (bench:onnx, profile:onnx, ab:onnx): each option
 * is a key of the tool's options object, spelled as a flag in kebab case (`sessionB` is `--session-b`),
 * and read by a `Flag` that checks its value, so a tool states its flags once, as a typed table.
 */

/** How one flag is read: `--flag VALUE` through `read`, or a bare `--flag` (a switch) where there is no `hint`. */
export interface Flag<V> {
  /** What the usage line shows after the flag: "N", "mlp|cnn"; absent for a switch. */
  readonly hint?: string;
  read(value: string, flag: string): V;
}

/** Each option of `T` as a flag, with its reader: a missing or misspelt option fails to compile. */
export type Flags<T> = { readonly [K in keyof T]-?: Flag<T[K]> };

/** A whole number of at least `min`. */
export const wholeNumber = (min: number): Flag<number> => ({
  hint: "N",
  read(v, flag) {
    const n = Number(v);
    if (!(v.trim() !== "" && Number.isInteger(n) && n >= min)) throw new Error(`${flag}: expected an integer >= ${min}, got '${v}'`);
    return n;
  },
});

/** A finite number. */
export const finiteNumber: Flag<number> = {
  hint: "X",
  read(v, flag) {
    const n = Number(v);
    if (!(v.trim() !== "" && Number.isFinite(n))) throw new Error(`${flag}: expected a number, got '${v}'`);
    return n;
  },
};

/** One of `choices`. */
export const oneOf = <C extends string>(choices: readonly C[]): Flag<C> => ({
  hint: choices.join("|"),
  read(v, flag) {
    if (!(choices as readonly string[]).includes(v)) throw new Error(`${flag}: expected one of ${choices.join(", ")}, got '${v}'`);
    return v as C;
  },
});

/** Comma-separated values, each one of `choices`. */
export const someOf = <C extends string>(choices: readonly C[]): Flag<C[]> => ({
  hint: choices.join(","),
  read: (v, flag) => v.split(",").map((item) => oneOf(choices).read(item, flag)),
});

/** Any text (a path). */
export const text = (hint: string): Flag<string> => ({ hint, read: (v) => v });

/** A value with a reader of the tool's own. */
export const parsed = <V>(hint: string, read: (value: string, flag: string) => V): Flag<V> => ({ hint, read });

/** A bare flag that turns an option on. */
export const switchOn: Flag<boolean> = { read: () => true };

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The flags as a usage line: `--workload mlp|cnn --rounds N --keep-env`. */
export function flagsUsage<T>(flags: Flags<T>): string {
  return Object.entries<Flag<unknown>>(flags).map(([key, f]) => (f.hint === undefined ? flagOf(key) : `${flagOf(key)} ${f.hint}`)).join(" ");
}

/** `defaults` with the options `argv` gives; an unknown flag, a missing value or a bad one throws a line that names it. */
export function parseFlags<T extends object>(argv: readonly string[], defaults: T, flags: NoInfer<Flags<T>>): T {
  const byFlag = new Map(Object.entries<Flag<unknown>>(flags).map(([key, f]) => [flagOf(key), { key, f }]));
  const out = { ...defaults } as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const found = byFlag.get(arg);
    if (!found) throw new Error(`unknown option ${arg}; options: ${flagsUsage(flags)}`);
    if (found.f.hint === undefined) {
      out[found.key] = found.f.read("", arg);
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${arg} needs a value (${found.f.hint})`);
    out[found.key] = found.f.read(v, arg);
  }
  return out as T;
}
