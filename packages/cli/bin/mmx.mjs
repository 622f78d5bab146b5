#!/usr/bin/env node
// The `mmx` command's entry point: plain JavaScript, so that it exists before anything is built. npm links
// bins at install time and skips a target that does not exist yet, which dist/bin.js never does in a fresh
// clone. In the repository, a missing build is made once (the CLI and the packages it runs on); elsewhere
// (an installed package without its dist/) it says what is wrong instead of a module-not-found trace.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(pkg, "dist", "bin.js");
const repo = join(pkg, "..", "..");

if (!existsSync(built)) {
  if (!existsSync(join(repo, "turbo.json")) || !existsSync(join(pkg, "src", "bin.ts"))) {
    process.stderr.write(`mmx: ${built} is missing: this @mmx/cli has not been built\n`);
    process.exit(1);
  }
  process.stderr.write("mmx: first use in this clone: building @mmx/cli and the packages it runs on (npm run build rebuilds after changes)\n");
  const build = spawnSync("npx", ["turbo", "run", "build", "--filter=@mmx/cli...", "--filter=@mmx/onnx...", "--output-logs=errors-only"],
                          { cwd: repo, stdio: ["ignore", 2, 2] }); // build logs on stderr: stdout is the command's
  if (build.status !== 0 || !existsSync(built)) {
    process.stderr.write(`mmx: the build failed (${build.error?.message ?? `exit status ${build.status}`}); run \`npm run build\` in ${repo} to see why\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(built).href);
