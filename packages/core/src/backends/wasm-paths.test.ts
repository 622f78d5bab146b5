import { describe, expect, it } from "vitest";
import { setWasmPaths } from "../index.js";

describe("setWasmPaths", () => {
  it("refuses a prefix that is not a directory, naming it", () => {
    expect(() => setWasmPaths("/tfjs-wasm")).toThrow(`setWasmPaths: a prefix must end with "/" (the directory holding the .wasm files), got "/tfjs-wasm"`);
  });
});
