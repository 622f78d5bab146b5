import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { jit, np, type NDArray } from "./index.js";

describe("console.log of an array", () => {
  it("shows its type and values, not its tensor's fields", () => {
    expect(inspect(np.array([1, 2]))).toBe("Array(f32[2], [1, 2])");
    expect(inspect({ w: np.array([3], { dtype: "int32" }) })).toBe("{ w: Array(i32[1], [3]) }");
    const freed = np.ones([2]);
    freed.dispose();
    expect(inspect(freed)).toBe("Array(f32[2], freed)");
  });

  it("shows a traced array as traced", () => {
    let seen = "";
    jit((x: NDArray) => {
      seen = inspect(x);
      return x;
    })(np.ones([3]));
    expect(seen).toBe("Traced<f32[3]>");
  });
});
