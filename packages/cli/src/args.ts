import { didYouMean, listChoices, UsageError } from "./errors.js";

/** How an option's text is read. `list` is comma-separated (`--layers 0,1,2`). */
export type OptionKind = "string" | "number" | "int" | "flag" | "list";

export interface OptionSpec {
  /** The long name, without the dashes. */
  readonly name: string;
  readonly kind: OptionKind;
  readonly help: string;
  /** For `string` options: the only values accepted. */
  readonly choices?: readonly string[];
  /** Shown in the help: `--epochs N`. */
  readonly placeholder?: string;
  /** Shown in the help only; defaults are applied by the command. */
  readonly defaultText?: string;
  /** For `number` and `int` options: the valid range, checked as the arguments are read. */
  readonly min?: number;
  /** `min` itself is not valid (a learning rate > 0). */
  readonly minExclusive?: boolean;
  readonly max?: number;
  /** `max` itself is not valid (a momentum < 1). */
  readonly maxExclusive?: boolean;
}

export type OptionValue = string | number | boolean | string[];

export interface ParsedArgs {
  /** The options given, by name, already converted (flags are true or false). */
  readonly values: Readonly<Record<string, OptionValue>>;
  /** Arguments that are not options, in order. */
  readonly positionals: readonly string[];
  /** Whether `--help` (or `-h`) was given. */
  readonly help: boolean;
}

/**
 * Reads `argv` against a command's option table: `--name value`, `--name=value`, `--flag`, `--no-flag`.
 * Every mistake is a UsageError naming the option: an unknown option lists the valid ones, a value
 * outside `choices` lists the choices, a number that does not parse says so. An option given twice is
 * an error rather than a silent override.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string, opts: { maxPositionals?: number } = {}): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, OptionValue> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`mmx ${command}: options take two dashes: '${arg}' is not an option; valid options: ${optionList(specs)}`);
    const eq = arg.indexOf("=");
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (!spec && name.startsWith("no-") && byName.get(name.slice(3))?.kind === "flag" && inline === undefined) {
      name = name.slice(3);
      spec = byName.get(name);
      inline = "false";
    }
    if (!spec) {
      throw new UsageError(`mmx ${command}: unknown option '--${name}'${didYouMean(name, specs.map((s) => s.name))}; valid options: ${optionList(specs)}`);
    }
    if (name in values) throw new UsageError(`mmx ${command}: option --${name} is given twice`);
    let text: string;
    if (spec.kind === "flag") {
      if (inline !== undefined && inline !== "true" && inline !== "false") throw new UsageError(`mmx ${command}: --${name} is a flag; it takes no value (got '${inline}')`);
      values[name] = inline !== "false";
      continue;
    }
    if (inline !== undefined) text = inline;
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`mmx ${command}: option --${name} needs a value (${describeKind(spec)})`);
      text = next;
      i++;
    }
    values[name] = convert(text, spec, command);
  }
  const max = opts.maxPositionals ?? 0;
  if (positionals.length > max) {
    const extra = positionals.slice(max).map((p) => `'${p}'`).join(", ");
    throw new UsageError(`mmx ${command}: unexpected argument${positionals.length - max > 1 ? "s" : ""} ${extra}${max === 0 ? " (this command takes only --options)" : ""}; valid options: ${optionList(specs)}`);
  }
  return { values, positionals, help };
}

function convert(text: string, spec: OptionSpec, command: string): OptionValue {
  const where = `mmx ${command}: --${spec.name}`;
  switch (spec.kind) {
    case "string":
      if (text === "") throw new UsageError(`${where} needs a non-empty value`);
      if (spec.choices && !spec.choices.includes(text)) {
        throw new UsageError(`${where}: unknown value '${text}'${didYouMean(text, spec.choices)}; valid values: ${listChoices(spec.choices)}`);
      }
      return text;
    case "number": {
      const v = decimal(text);
      if (!Number.isFinite(v)) throw new UsageError(`${where} must be a number, got '${text}'`);
      return inRange(v, text, spec, where);
    }
    case "int": {
      const v = decimal(text);
      if (!Number.isInteger(v)) throw new UsageError(`${where} must be a whole number, got '${text}'`);
      if (!Number.isSafeInteger(v)) throw new UsageError(`${where} must be a whole number of at most ${Number.MAX_SAFE_INTEGER} in size, got '${text}'`);
      return inRange(v, text, spec, where);
    }
    case "list": {
      const items = text.split(",").map((s) => s.trim());
      if (items.some((s) => s === "")) throw new UsageError(`${where} must be a comma-separated list without empty items, got '${text}'`);
      return items;
    }
    case "flag":
      return true;
  }
}

/** A decimal number ("0.1", "-2", "1e-3", "  5 "), or NaN for anything else: Number() would also read "0x10", "0b1" and "" (as 16, 1 and 0). */
export function decimal(text: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text) ? Number(text) : Number.NaN;
}

function inRange(v: number, text: string, spec: OptionSpec, where: string): number {
  const low = spec.min === undefined ? true : spec.minExclusive ? v > spec.min : v >= spec.min;
  const high = spec.max === undefined || (spec.maxExclusive ? v < spec.max : v <= spec.max);
  if (!(low && high)) throw new UsageError(`${where} must be ${describeRange(spec)}, got '${text}'`);
  return v;
}

/** "> 0", ">= 1", "in [0, 1)": the range of a numeric option, for its error and its help. */
export function describeRange(spec: OptionSpec): string {
  const { min, max, minExclusive, maxExclusive } = spec;
  if (min !== undefined && max !== undefined) return `in ${minExclusive ? "(" : "["}${min}, ${max}${maxExclusive ? ")" : "]"}`;
  if (min !== undefined) return `${minExclusive ? ">" : ">="} ${min}`;
  if (max !== undefined) return `${maxExclusive ? "<" : "<="} ${max}`;
  return "a number";
}

function describeKind(spec: OptionSpec): string {
  switch (spec.kind) {
    case "number":
      return "a number";
    case "int":
      return "a whole number";
    case "list":
      return "a comma-separated list";
    default:
      return spec.choices ? `one of ${listChoices(spec.choices)}` : "a value";
  }
}

function optionList(specs: readonly OptionSpec[]): string {
  return specs.map((s) => `--${s.name}`).join(", ");
}

/** The option table as help text, one option a line. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const left = specs.map((s) => `  --${s.name}${s.kind === "flag" ? "" : ` ${s.placeholder ?? (s.choices ? s.choices.join("|") : s.kind === "list" ? "A,B" : "X")}`}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => `${left[i]!.padEnd(width)}${s.help}${s.defaultText !== undefined ? ` (default: ${s.defaultText})` : ""}`).join("\n");
}

/** Typed accessors over parsed values (each throws a UsageError if the value has the wrong kind). */
export function getString(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}
export function getNumber(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  return typeof v === "number" ? v : undefined;
}
export function getFlag(args: ParsedArgs, name: string): boolean | undefined {
  const v = args.values[name];
  return typeof v === "boolean" ? v : undefined;
}
/** An option as the user gave it, for errors: `--no-name` for a flag turned off, else `--name`. */
export function typedOption(args: ParsedArgs, name: string): string {
  return args.values[name] === false ? `--no-${name}` : `--${name}`;
}
export function getList(args: ParsedArgs, name: string): string[] | undefined {
  const v = args.values[name];
  return globalThis.Array.isArray(v) ? v : undefined;
}
