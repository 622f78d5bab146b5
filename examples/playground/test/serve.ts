import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build, preview, type PreviewServer } from "vite";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The production build, as `npm run build` makes it (the Fashion-MNIST subset, then vite build), served by vite preview. */
export async function serveProductionBuild(): Promise<{ url: string; close(): Promise<void> }> {
  execFileSync(process.execPath, ["scripts/fashion-subset.mjs"], { cwd: ROOT, stdio: "inherit" });
  await build({ root: ROOT, logLevel: "warn" });
  const server: PreviewServer = await preview({ root: ROOT, logLevel: "warn", preview: { host: "127.0.0.1", port: 0, strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("vite preview gave no local URL");
  return { url, close: () => server.close() };
}
