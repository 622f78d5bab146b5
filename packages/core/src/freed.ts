/**
 * Who freed an array, kept so that a later use can say so. The site is an Error made where the array was freed
 * (V8 formats its stack only when read), reduced to the first frame outside mmx's own sources.
 */
export interface FreedBy {
  /** "dispose()", "the tidy() that made it", "donated to jit(step)", ... */
  readonly by: string;
  readonly site: Error;
}

const MMX_SOURCE = /[\\/](?:packages|@mmx)[\\/](?:core|mixup)[\\/](?:src|dist)[\\/]/;
const isMmxSource = (frame: string) => MMX_SOURCE.test(frame) && !/\.test\.[cm]?[jt]s/.test(frame);

/** `file:line:col` of the first stack frame of `site` outside mmx (and outside Node's internals). */
export function siteOf(site: Error): string {
  const frames = (site.stack ?? "").split("\n").slice(1).map((l) => l.trim().replace(/^at /, ""));
  const outside = frames.find((f) => !isMmxSource(f) && !f.includes("node:internal") && !f.includes("node_modules") && f.includes(":"));
  const frame = outside ?? frames[0] ?? "an unknown place";
  // "fn (file:line:col)" -> "file:line:col"; a bare location stays as it is.
  return /\(([^)]+)\)$/.exec(frame)?.[1] ?? frame;
}

/** Thrown when a freed array is used: names its type and who freed it, and where. */
export class FreedArrayError extends Error {
  override readonly name = "FreedArrayError";
  constructor(what: string, aval: string, freedBy: FreedBy | undefined) {
    const who = freedBy
      ? `${freedBy.by.startsWith("donated") ? "was " : "was freed by "}${freedBy.by} at ${siteOf(freedBy.site)}`
      : "was freed outside mmx (its tensor was disposed by tfjs: tf.dispose or a tf.tidy)";
    super(`${what}: the array ${aval} ${who}; it can no longer be read or computed with`);
  }
}
