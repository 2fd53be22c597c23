// What `npm pack` ships: exactly the runtime files, and declarations without `any`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const tarball = process.env.SEHATMU_TARBALL;

test("the tarball holds exactly the package's files", { skip: !tarball && "no SEHATMU_TARBALL" }, () => {
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((f) => f.replace(/^package\//, ""))
    .sort();
  assert.deepEqual(files, [
    "CHANGELOG.md",
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    "bin/cli.js",
    "bin/sehatmu-auth.js",
    "bin/sidecar.js",
    "js/axios.d.ts",
    "js/axios.js",
    "js/durable-object.d.ts",
    "js/durable-object.js",
    "js/errors.js",
    "js/file-store.d.ts",
    "js/file-store.js",
    "js/ky.d.ts",
    "js/ky.js",
    "js/node.cjs",
    "js/node.mjs",
    "js/otel.d.ts",
    "js/otel.js",
    "js/proxy-rules-workerd.js",
    "js/proxy-rules.mjs",
    "js/proxy.d.ts",
    "js/proxy.js",
    "js/redis.d.ts",
    "js/redis.js",
    "js/undici.d.ts",
    "js/undici.js",
    "js/web.js",
    "js/workerd.js",
    "mock/server.d.ts",
    "mock/server.js",
    "package.json",
    "pkg/index.d.cts",
    "pkg/index.d.ts",
    "pkg/sehatmu_auth.js",
    "pkg/sehatmu_auth_bg.wasm",
    "pkg/server/sehatmu_auth.cjs",
    "pkg/server/sehatmu_auth.js",
    "pkg/server/sehatmu_auth_bg.wasm",
  ]);
});

test("every file package.json points at is shipped", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url)));
  const targets = [];
  const walk = (value) => (typeof value === "string" ? targets.push(value) : Object.values(value).forEach(walk));
  walk(pkg.exports);
  targets.push(pkg.main, pkg.types);
  for (const target of targets) {
    if (target === "./package.json") continue; // npm always ships it
    const path = target.replace(/^\.\//, "");
    assert.ok(pkg.files.some((f) => path === f || path.startsWith(f)), `${target} is not in "files"`);
  }
});

test("the declarations have no `any`", () => {
  // pkg/index.d.ts is generated from the Rust by scripts/build.sh.
  for (const file of ["../../pkg/index.d.ts", "../../js/proxy.d.ts", "../../js/redis.d.ts", "../../js/file-store.d.ts", "../../js/durable-object.d.ts", "../../js/otel.d.ts", "../../js/axios.d.ts", "../../js/ky.d.ts", "../../js/undici.d.ts", "../../mock/server.d.ts"]) {
    const text = readFileSync(new URL(file, import.meta.url), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(text, /\bany\b/, file);
  }
});
