import { createServer } from "node:net";

/** A tiny grid of spirals cells: seconds on wasm. */
export const TINY_GRID = ["--methods", "none,input,manifold", "--seeds", "0,1", "--models", "mlp", "--train-sizes", "256", "--test-size", "200", "--batch", "16", "--hidden", "32,32", "--lr", "0.5", "--epochs", "3", "--backend", "wasm"];

/** A loopback port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
