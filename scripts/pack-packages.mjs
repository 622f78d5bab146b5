#!/usr/bin/env node
// The library packages, built and packed as npm would publish them, for a project of your own to install from the
// tarballs (mmx is not on the npm registry): `npm run pack:packages -- DIR` in the clone, then
// `npm install DIR/*.tgz` in the project, as the README's "Your own model, in your own project" shows.
// scripts/check-install.mjs packs through this too, so the route the README documents is the one CI installs.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(import.meta.dirname, "..");

/** What a user project installs: every library package (the CLI and the test helpers run from the clone). */
export const LIBRARY_PACKAGES = ["core", "random", "nn", "mixup", "losses", "optim", "onnx", "attacks", "metrics", "data"];

/** Builds the library packages and packs each into `dir` (emptied of older tarballs first); returns the tarball paths. */
export function packPackages(dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (/^mmx-.*\.tgz$/.test(f)) rmSync(join(dir, f));
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  run("npx", ["turbo", "run", "build", ...LIBRARY_PACKAGES.map((p) => `--filter=@mmx/${p}`), "--output-logs=errors-only"]);
  for (const p of LIBRARY_PACKAGES) run("npm", ["pack", "-w", `@mmx/${p}`, "--pack-destination", dir, "--silent"]);
  const tarballs = readdirSync(dir).filter((f) => /^mmx-.*\.tgz$/.test(f)).map((f) => join(dir, f));
  if (tarballs.length !== LIBRARY_PACKAGES.length) throw new Error(`pack-packages: expected ${LIBRARY_PACKAGES.length} tarballs in ${dir}, found ${tarballs.length}`);
  return tarballs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [target, ...rest] = process.argv.slice(2);
  if (!target || target.startsWith("-") || rest.length > 0) {
    console.error("pack-packages: needs one folder to write the tarballs to\nusage: npm run pack:packages -- DIR");
    process.exit(2);
  }
  // npm runs scripts in the repository's root; a relative DIR means the folder the user typed it in.
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), target);
  try {
    const tarballs = packPackages(dir);
    console.log(`packed ${tarballs.length} packages into ${dir}; in your project:\n  npm install ${join(dir, "*.tgz")}`);
  } catch (e) {
    console.error(e.stderr ? `pack-packages: ${e.message.split("\n")[0]}\n${e.stdout ?? ""}${e.stderr}` : e.message);
    process.exit(1);
  }
}
