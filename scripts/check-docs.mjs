#!/usr/bin/env node
/**
 * Checks every TypeScript code block of the documentation, so that the docs cannot rot.
 *
 * Files: README.md, packages/x/README.md, examples/README.md, examples/x/README.md, bench/README.md, docs/*.md.
 * Blocks: fenced with ```ts or ```typescript. The words after the language say what is done with it:
 *
 *   ```ts              typechecked, then run (the default, also `ts run`: a block is short and complete, it runs as
 *                      it is)
 *   ```ts no-run       typechecked only: it needs what CI lacks (a GPU), downloads, or runs for minutes
 *   ```ts fragment     neither: a deliberately partial snippet (keep these rare; prefer a complete block)
 *
 * Blocks in other languages (sh, json) are not checked. Each ts block is a module of its own: it imports what
 * it uses and defines its own data. Blocks are written to .cache/check-docs/ (inside the repository, so that
 * `@mmx/*` resolves to the workspace packages) and typechecked in one tsc run with the repository's
 * tsconfig.base.json, except that unused locals are allowed (an example may show a value without using it).
 * Packages resolve to their TypeScript sources (the "@mmx/source" export condition), so nothing needs building.
 * Blocks run with tsx under the same condition, one process per block, in .cache/check-docs/run/ (what a block
 * writes stays there), each within a time limit.
 *
 * Relative links (`[text](path)`, images too) outside code must point to a file or folder that exists.
 *
 * README examples never call `dispose` or `tidy`: arrays are freed once unreachable, and what a new user copies
 * must not suggest otherwise (docs/ may show them).
 *
 * Every error names the Markdown file and line. Exit status: 0 when every block passes, 1 otherwise, 2 on bad
 * usage.
 *
 *   node scripts/check-docs.mjs                     every documentation file
 *   node scripts/check-docs.mjs README.md docs/x.md only these files
 *   --no-run                                        typecheck only
 *   --timeout SECONDS                               the limit per run block (default 120)
 *   --out DIR                                       where blocks are written (default .cache/check-docs)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const MODES = ["run", "no-run", "fragment"];
const LANGUAGES = new Set(["ts", "typescript"]);

/** The documentation files, relative to the root: the ones the header lists that exist. */
export function documentationFiles(root = ROOT) {
  const files = [];
  const add = (path) => existsSync(join(root, path)) && files.push(path);
  const each = (dir, fn) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort().forEach(fn) : undefined);
  add("README.md");
  each("packages", (p) => add(`packages/${p}/README.md`));
  add("examples/README.md");
  each("examples", (p) => add(`examples/${p}/README.md`));
  add("bench/README.md");
  each("docs", (f) => f.endsWith(".md") && add(`docs/${f}`));
  return files;
}

/**
 * The TypeScript blocks of a Markdown text: `{ file, line, mode, code }`, `line` being the 1-based line of the
 * opening fence, so that line `line + i` of the file holds line i (1-based) of `code`. Fences follow CommonMark:
 * three or more backticks or tildes, closed by the same character, at least as many, with nothing after.
 * Throws on an unknown mode or an unclosed ts block, naming the file and line.
 */
export function extractBlocks(text, file) {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  let open = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (open) {
      const close = line.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
      if (close && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
        if (open.block) blocks.push({ ...open.block, code: open.body.join("\n") });
        open = null;
      } else open.body.push(line);
      continue;
    }
    const start = line.match(/^ {0,3}(`{3,}|~{3,})\s*(.*)$/);
    if (!start) continue;
    const [language = "", ...words] = start[2].trim().split(/\s+/);
    let block = null;
    if (LANGUAGES.has(language.toLowerCase())) {
      const unknown = words.filter((w) => !MODES.includes(w));
      if (unknown.length > 0) {
        throw new Error(`${file}:${i + 1}: unknown word ${JSON.stringify(unknown[0])} after \`\`\`${language}; use one of ${MODES.join(", ")} (or none: run)`);
      }
      if (words.length > 1) throw new Error(`${file}:${i + 1}: more than one mode after \`\`\`${language}: ${words.join(" ")}`);
      block = { file, line: i + 1, mode: words[0] ?? "run" };
    }
    open = { fence: start[1], block, body: [] };
  }
  if (open?.block) throw new Error(`${file}:${open.block.line}: the \`\`\`ts block is never closed`);
  return blocks;
}

/**
 * The relative links of a Markdown text that point to nothing: `file:line: ...` messages. Links inside fenced
 * blocks and code spans are not links; URLs with a scheme (https:, mailto:) and in-page anchors are not checked.
 */
export function brokenLinks(text, file, root = ROOT) {
  const problems = [];
  let fence = null;
  text.split(/\r?\n/).forEach((line, i) => {
    const f = line.match(/^ {0,3}(`{3,}|~{3,})/);
    if (fence) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && line.trim() === f[1]) fence = null;
      return;
    }
    if (f) {
      fence = f[1];
      return;
    }
    const prose = line.replace(/(`+)[\s\S]*?\1/g, "");
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
      const path = decodeURIComponent(target.split("#")[0]);
      if (!existsSync(resolve(root, dirname(file), path))) problems.push(`${file}:${i + 1}: the link to ${target} points to nothing`);
    }
  });
  return problems;
}

/**
 * The README examples that free arrays by hand: `file:line: ...` messages. mmx frees arrays once unreachable
 * (docs/ownership.md), so what a new user copies from a README must not teach `dispose(...)`, `x.dispose()` or
 * `tidy(...)`; docs/ may show them. Comments are ignored, and so is a `dispose` member being defined (an
 * executor's `dispose: () => ...`, a class's `dispose() {`), which implements rather than calls.
 */
export function disposeCalls(blocks) {
  const problems = [];
  for (const b of blocks) {
    if (!/(^|\/)README\.md$/i.test(b.file) || b.mode === "fragment") continue;
    b.code.split("\n").forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "");
      if (/\bdispose\s*:|^\s*dispose\s*\(\)\s*(:\s*\w+\s*)?\{/.test(code)) return; // defines a dispose member
      const call = code.match(/\b(dispose|tidy)\s*\(/);
      if (!call) return;
      problems.push(`${b.file}:${b.line + i + 1}: a README example calls ${call[1]}(): arrays are freed once unreachable (docs/ownership.md), so the examples a new user copies show code without it`);
    });
  }
  return problems;
}

/** The file name a block is written to: its Markdown path and line, readable in tsc's own messages. */
export function blockFileName(block) {
  return `${block.file.replace(/\.md$/i, "").replace(/[^A-Za-z0-9]+/g, "_")}_L${block.line}.ts`;
}

/**
 * Rewrites tsc's diagnostics (`--pretty false`, paths relative to `cwd`) that point into a block file so that
 * they point at the Markdown instead: `README.md:57:10 (```ts block at line 49): error TS2304: ...`. Other
 * lines pass through. Returns the lines and the blocks they name.
 */
export function mapDiagnostics(output, blocksByName, outDir, cwd = ROOT) {
  const at = /^(.*?)\((\d+),(\d+)\): (.*)$/;
  const failed = new Set();
  const lines = output
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const m = l.match(at);
      const block = m ? blocksByName.get(relative(outDir, resolve(cwd, m[1]))) : undefined;
      if (!block) return l;
      failed.add(block);
      return `${block.file}:${block.line + Number(m[2])}:${m[3]} (\`\`\`ts block at line ${block.line}): ${m[4]}`;
    });
  return { lines, failed };
}

function run(command, args, opts = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid, "SIGKILL"); // the block's whole process group (tsx starts a child node)
          } catch {}
        }, opts.timeoutMs)
      : null;
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      done({ code, output, timedOut });
    });
  });
}

const bin = (name) => join(ROOT, "node_modules", ".bin", name);

/** Typechecks the blocks in one tsc run; returns the error lines (none when all pass) and the failing blocks. */
export async function typecheck(blocks, outDir) {
  if (blocks.length === 0) return { lines: [], failed: new Set() };
  const byName = new Map(blocks.map((b) => [blockFileName(b), b]));
  for (const [name, b] of byName) writeFileSync(join(outDir, name), `${b.code}\nexport {};\n`);
  const tsconfig = {
    extends: relative(outDir, join(ROOT, "tsconfig.base.json")),
    compilerOptions: {
      noEmit: true,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      noUnusedLocals: false,
      noUnusedParameters: false,
      customConditions: ["@mmx/source"],
    },
    files: [...byName.keys()],
  };
  writeFileSync(join(outDir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  const { code, output } = await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(outDir, "tsconfig.json"), "--pretty", "false"]);
  if (code === 0) return { lines: [], failed: new Set() };
  const mapped = mapDiagnostics(output, byName, outDir);
  return mapped.lines.length > 0 ? mapped : { lines: [`tsc exited with status ${code} and printed nothing`], failed: mapped.failed };
}

/** Runs the blocks, two at a time; returns one failure message per failing block. */
export async function runBlocks(blocks, outDir, { timeoutMs = 120_000, concurrency = 2, onDone = () => {} } = {}) {
  const cwd = join(outDir, "run");
  mkdirSync(cwd, { recursive: true });
  const failures = [];
  const queue = [...blocks];
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const started = Date.now();
      const r = await run(bin("tsx"), ["--conditions=@mmx/source", join(outDir, blockFileName(b))], { cwd, timeoutMs });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (r.code !== 0 || r.timedOut) {
        const why = r.timedOut ? `did not finish within ${timeoutMs / 1000} s (mark it no-run if it must run long)` : `exited with status ${r.code}`;
        const tail = r.output.trimEnd().split(/\r?\n/).slice(-25).map((l) => `    ${l}`).join("\n");
        failures.push(`${b.file}:${b.line}: the \`\`\`ts block ${why} after ${seconds} s:\n${tail}`);
      }
      onDone(b, seconds, r.code === 0 && !r.timedOut);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, blocks.length)) }, worker));
  return failures;
}

function usage(message) {
  console.error(`check-docs: ${message}\nusage: node scripts/check-docs.mjs [--no-run] [--timeout SECONDS] [--out DIR] [file.md ...]`);
  process.exit(2);
}

async function main(argv) {
  let noRun = false;
  let timeoutMs = 120_000;
  let outDir = join(ROOT, ".cache", "check-docs");
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-run") noRun = true;
    else if (a === "--timeout") {
      const s = Number(argv[++i]);
      if (!(s > 0)) usage(`--timeout needs a positive number of seconds, got ${JSON.stringify(argv[i])}`);
      timeoutMs = s * 1000;
    } else if (a === "--out") {
      if (!argv[i + 1]) usage("--out needs a folder inside the repository");
      outDir = resolve(argv[++i]);
      if (relative(ROOT, outDir).startsWith("..")) usage(`--out must lie inside the repository (so that @mmx/* resolves), got ${argv[i]}`);
    } else if (a.startsWith("-")) usage(`unknown option ${JSON.stringify(a)}`);
    else {
      const path = relative(ROOT, resolve(a));
      if (!existsSync(join(ROOT, path))) usage(`no such file: ${a}`);
      files.push(path);
    }
  }
  const sources = files.length > 0 ? files : documentationFiles();
  const blocks = [];
  const problems = [];
  for (const file of sources) {
    const text = readFileSync(join(ROOT, file), "utf8");
    problems.push(...brokenLinks(text, file));
    try {
      blocks.push(...extractBlocks(text, file));
    } catch (e) {
      problems.push(e.message);
    }
  }
  problems.push(...disposeCalls(blocks));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const checked = blocks.filter((b) => b.mode !== "fragment");
  const toRun = noRun ? [] : blocks.filter((b) => b.mode === "run");
  console.log(`check-docs: ${blocks.length} TypeScript blocks in ${sources.length} files: typechecking ${checked.length}, running ${toRun.length}` + `${blocks.length > checked.length ? `, ${blocks.length - checked.length} fragment(s) skipped` : ""}`);
  let started = Date.now();
  const typeErrors = await typecheck(checked, outDir);
  console.log(`check-docs: typecheck ${typeErrors.lines.length === 0 ? "passed" : "FAILED"} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  problems.push(...typeErrors.lines);
  // A block that does not typecheck is not run: its type errors say what is wrong.
  const runnable = toRun.filter((b) => !typeErrors.failed.has(b));
  started = Date.now();
  const runFailures = await runBlocks(runnable, outDir, {
    timeoutMs,
    onDone: (b, seconds, ok) => console.log(`  ${ok ? "ok  " : "FAIL"} ${b.file}:${b.line} (${seconds} s)`),
  });
  if (runnable.length > 0) console.log(`check-docs: ran ${runnable.length} blocks (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  problems.push(...runFailures);
  if (problems.length > 0) {
    console.error(`\ncheck-docs: ${problems.length} problem(s):\n${problems.join("\n")}`);
    process.exit(1);
  }
  console.log("check-docs: every block passes");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
