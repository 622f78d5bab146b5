/**
 * What `node:*` imports resolve to in the page (vite.config.ts): the names the library packages import from Node,
 * each a function that says it is not available here. The playground calls none of them.
 */
function unavailable(name: string): () => never {
  return () => {
    throw new Error(`${name} is a Node API, not available in the browser`);
  };
}

export const existsSync = unavailable("fs.existsSync");
export const readFileSync = unavailable("fs.readFileSync");
export const writeFileSync = unavailable("fs.writeFileSync");
export const mkdirSync = unavailable("fs.mkdirSync");
export const renameSync = unavailable("fs.renameSync");
export const rmSync = unavailable("fs.rmSync");
export const readFile = unavailable("fs/promises.readFile");
export const createRequire = unavailable("module.createRequire");
export const join = unavailable("path.join");
export const dirname = unavailable("path.dirname");
export const homedir = unavailable("os.homedir");
export const randomBytes = unavailable("crypto.randomBytes");
export const crc32 = unavailable("zlib.crc32");
