import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { brokenLinks, disposeCalls, documentationFiles, extractBlocks, ROOT } from "./check-docs.mjs";

const fence = "```";

describe("extractBlocks", () => {
  it("takes ts and typescript blocks with their mode and the line of the fence", () => {
    const md = ["# t", `${fence}ts`, "const a = 1;", fence, `${fence}sh`, "npm test", fence, "", `${fence}typescript no-run`, "x;", "y;", fence, `~~~ts fragment`, "z", "~~~"].join("\n");
    expect(extractBlocks(md, "a.md")).toEqual([
      { file: "a.md", line: 2, mode: "run", code: "const a = 1;" },
      { file: "a.md", line: 9, mode: "no-run", code: "x;\ny;" },
      { file: "a.md", line: 13, mode: "fragment", code: "z" },
    ]);
  });

  it("leaves a ts fence inside a longer fence alone (a Markdown example of Markdown)", () => {
    const md = ["````md", `${fence}ts`, "not code", fence, "````", `${fence}ts`, "code", fence].join("\n");
    expect(extractBlocks(md, "b.md")).toEqual([{ file: "b.md", line: 6, mode: "run", code: "code" }]);
  });

  it("rejects an unknown mode and an unclosed block, naming the file and line", () => {
    expect(() => extractBlocks(["", `${fence}ts norun`, "x", fence].join("\n"), "c.md")).toThrow(/^c\.md:2: unknown word "norun"/);
    expect(() => extractBlocks(["", "", `${fence}ts`, "x"].join("\n"), "d.md")).toThrow(/^d\.md:3: the ```ts block is never closed/);
  });

  it("lists the root README, docs/ and a README for every package (what a single-package user sees first)", () => {
    const files: string[] = documentationFiles();
    expect(files).toContain("README.md");
    expect(files.some((f) => f.startsWith("docs/"))).toBe(true);
    const packages = readdirSync(join(ROOT, "packages")).filter((p) => existsSync(join(ROOT, "packages", p, "package.json")));
    expect(packages.filter((p) => !files.includes(`packages/${p}/README.md`))).toEqual([]);
  });
});

describe("brokenLinks", () => {
  it("reports relative links to nothing, not URLs, anchors, code spans or fenced blocks", () => {
    const md = [
      "[ok](README.md) [gone](docs/nothing-here.md) ![img](missing.png)", // 1
      "[web](https://example.org/x) [anchor](#install) `[code](nothing.md)`", // 2
      `${fence}md`, // 3
      "[in a block](nothing.md)", // 4
      fence, // 5
      "[folder](packages/core) [with anchor](README.md#ci)", // 6
    ].join("\n");
    expect(brokenLinks(md, "x.md")).toEqual([
      "x.md:1: the link to docs/nothing-here.md points to nothing",
      "x.md:1: the link to missing.png points to nothing",
    ]);
  });
});

describe("disposeCalls", () => {
  it("reports a README example that frees arrays by hand, naming the file and line, and nothing else", () => {
    const md = [
      "# r",
      `${fence}ts`,
      "const x = np.ones([2]);",
      "x.dispose();",
      "dispose([x]); // a comment: dispose(y)",
      "const y = tidy(() => np.ones([2]));",
      "const e = { dispose: () => consts.forEach((c) => c.dispose()) };",
      "// dispose(x) in a comment",
      fence,
      `${fence}ts fragment`,
      "x.dispose();",
      fence,
    ].join("\n");
    expect(disposeCalls(extractBlocks(md, "packages/p/README.md")).map((m: string) => m.split(": a README")[0])).toEqual([
      "packages/p/README.md:4",
      "packages/p/README.md:5",
      "packages/p/README.md:6",
    ]);
    expect(disposeCalls(extractBlocks(md, "docs/ownership.md"))).toEqual([]); // docs/ may show the fast paths
  });

  it("finds none in this repository's READMEs (a new user never needs dispose)", () => {
    const blocks = documentationFiles().flatMap((f: string) => extractBlocks(readFileSync(join(ROOT, f), "utf8"), f));
    expect(disposeCalls(blocks)).toEqual([]);
  });
});

describe("check-docs.mjs", () => {
  const dir = join(ROOT, ".cache", "check-docs-test");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails on a type error and on a block that throws, naming the Markdown line; passes good blocks", () => {
    mkdirSync(dir, { recursive: true });
    const md = [
      "# doc", // 1
      `${fence}ts`, // 2
      "const n: number = 2 + 2;", // 3
      "if (n !== 4) throw new Error('arithmetic');", // 4
      fence, // 5
      `${fence}ts`, // 6
      "const s: string = 42;", // 7: a type error
      fence, // 8
      `${fence}ts`, // 9
      "throw new Error('the example is wrong');", // 10
      fence, // 11
      `${fence}ts fragment`, // 12
      "this is not TypeScript", // 13
      fence, // 14
      "[a link](no-such-file.md)", // 15
    ].join("\n");
    writeFileSync(join(dir, "doc.md"), md);
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "check-docs.mjs"), "--out", join(dir, "out"), join(dir, "doc.md")], { encoding: "utf8", timeout: 120_000 });
    const output = r.stdout + r.stderr;
    expect(r.status, output).toBe(1);
    expect(output).toMatch(/\.cache\/check-docs-test\/doc\.md:7:7 \(```ts block at line 6\): error TS2322/);
    expect(output).toMatch(/\.cache\/check-docs-test\/doc\.md:9: the ```ts block exited with status 1/);
    expect(output).toContain("the example is wrong");
    expect(output).toMatch(/ok {3}\.cache\/check-docs-test\/doc\.md:2 /);
    expect(output).toContain("1 fragment(s) skipped");
    expect(output).toMatch(/\.cache\/check-docs-test\/doc\.md:15: the link to no-such-file\.md points to nothing/);
    expect(output).toContain("3 problem(s)");
  });
});
