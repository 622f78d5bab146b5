// Module hooks that let a child `node` process run mmx from its TypeScript sources, as the tests do in
// process: packages resolve through their "@mmx/source" export condition, a relative `./x.js` import
// finds `./x.ts`, and TypeScript is transpiled file by file (types are erased, nothing is checked).
// Used with: node --import <this folder>/register.mjs packages/cli/src/bin.ts ...
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export async function resolve(specifier, context, next) {
  const conditions = [...new Set(["@mmx/source", ...(context.conditions ?? [])])];
  try {
    return await next(specifier, { ...context, conditions });
  } catch (e) {
    if (specifier.startsWith(".") && specifier.endsWith(".js") && context.parentURL) {
      const asTs = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(asTs))) return { url: asTs.href, shortCircuit: true, format: "module" };
    }
    throw e;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const source = readFileSync(fileURLToPath(url), "utf8");
  const { outputText } = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false, inlineSourceMap: true },
  });
  return { format: "module", source: outputText, shortCircuit: true };
}
