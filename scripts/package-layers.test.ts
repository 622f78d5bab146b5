import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The packages' layering, read from their package.json files and sources: the executor package sits
 * beside the tracer, below every transform; layers know nothing of mixup; apps (cli, bench, examples)
 * sit on top. A runtime edge not in this table fails, and so does a package without a row.
 */
const ROOT = join(import.meta.dirname, "..");

type PackageName = "core" | "random" | "nn" | "losses" | "optim" | "data" | "attacks" | "metrics" | "mixup" | "onnx" | "testing" | "cli";

/** The @mmx packages each package may depend on at run time (dependencies and peerDependencies). */
const ALLOWED: Record<PackageName, readonly PackageName[]> = {
  core: [],
  random: ["core"],
  nn: ["core", "random"],
  losses: ["core"],
  optim: ["core"],
  data: ["core", "random"],
  attacks: ["core", "random"],
  metrics: ["core", "random"],
  mixup: ["core", "random", "losses", "optim"],
  onnx: ["core"],
  testing: ["core", "random", "nn"],
  cli: ["core", "random", "nn", "losses", "optim", "data", "attacks", "metrics", "mixup", "onnx"],
};

interface Manifest {
  dir: string;
  name: string;
  runtime: string[];
  dev: string[];
}

const mmx = (deps: Record<string, string> | undefined) => Object.keys(deps ?? {}).filter((d) => d.startsWith("@mmx/"));

function manifests(parent: string): Manifest[] {
  return readdirSync(join(ROOT, parent))
    .map((d) => join(ROOT, parent, d))
    .filter((d) => existsSync(join(d, "package.json")))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      return { dir, name: pkg.name, runtime: [...mmx(pkg.dependencies), ...mmx(pkg.peerDependencies)], dev: mmx(pkg.devDependencies) };
    });
}

interface Uses {
  /** Imported by library code (import statements and dynamic imports of a literal). */
  library: Set<string>;
  /** Imported by tests and test-only helpers. */
  tests: Set<string>;
  /** Named in quotes by library code: imports, and packages imported by a computed specifier (the cli's optional backends). */
  named: Set<string>;
}

/** The @mmx packages a folder's TypeScript sources use. */
function uses(dir: string): Uses {
  const found: Uses = { library: new Set(), tests: new Set(), named: new Set() };
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (entry === "node_modules" || entry === "dist") continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(entry)) {
        const text = readFileSync(p, "utf8");
        const testOnly = /\.test\.tsx?$/.test(entry) || relative(dir, p).split("/").includes("testing-only");
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](@mmx\/[a-z-]+)["']/g)) (testOnly ? found.tests : found.library).add(m[1]!);
        if (!testOnly) for (const m of text.matchAll(/["'](@mmx\/[a-z-]+)["']/g)) found.named.add(m[1]!);
      }
    }
  };
  walk(join(dir, "src"));
  return found;
}

const packages = manifests("packages");
const short = (name: string) => name.replace(/^@mmx\//, "") as PackageName;

describe("package layering", () => {
  it("every package has a row, and every row a package", () => {
    expect(packages.map((p) => short(p.name)).sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  for (const p of packages) {
    it(`${p.name}: its run-time @mmx dependencies are among ${JSON.stringify(ALLOWED[short(p.name)])}`, () => {
      const extra = p.runtime.map(short).filter((d) => !ALLOWED[short(p.name)].includes(d));
      expect(extra, `${p.name} depends on ${extra.join(", ")} at run time; the layering allows ${ALLOWED[short(p.name)].join(", ") || "none"}`).toEqual([]);
    });

    it(`${p.name}: each declared @mmx dependency is imported where it is declared (no stale edge), and each import is declared`, () => {
      const { library, tests, named } = uses(p.dir);
      const unusedRuntime = p.runtime.filter((d) => !named.has(d));
      expect(unusedRuntime, `${p.name} declares ${unusedRuntime.join(", ")} as a dependency, but only its tests (or nothing) import it`).toEqual([]);
      const undeclared = [...library].filter((d) => d !== p.name && !p.runtime.includes(d));
      expect(undeclared, `${p.name}'s sources import ${undeclared.join(", ")} without a dependency`).toEqual([]);
      const undeclaredInTests = [...tests].filter((d) => d !== p.name && !p.runtime.includes(d) && !p.dev.includes(d));
      expect(undeclaredInTests, `${p.name}'s tests import ${undeclaredInTests.join(", ")} without a devDependency`).toEqual([]);
    });
  }

  it("test-only edges close no cycle with the run-time graph", () => {
    const runtime = new Map(packages.map((p) => [p.name, p.runtime]));
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      from === to || (!seen.has(from) && (seen.add(from), (runtime.get(from) ?? []).some((d) => reaches(d, to, seen))));
    const cycles = packages.flatMap((p) => p.dev.filter((d) => reaches(d, p.name)).map((d) => `${p.name} -dev-> ${d} -> ... -> ${p.name}`));
    expect(cycles).toEqual([]);
  });

  it("apps on top: no package depends on the bench or an example", () => {
    const apps = [...manifests("examples"), ...manifests(".").filter((m) => m.dir.endsWith("bench"))].map((m) => m.name);
    const onApps = packages.flatMap((p) => [...p.runtime, ...p.dev].filter((d) => apps.includes(d)).map((d) => `${p.name} -> ${d}`));
    expect(onApps).toEqual([]);
  });
});
