// Takes `reference-types` out of a .wasm's `target_features` section:
// `node scripts/no-reference-types.mjs in.wasm out.wasm`, for the server build (scripts/build.sh).
// - The crate is compiled without the feature (`-Ctarget-feature=-reference-types`), but Rust's
//   prebuilt `core` still declares it in the section, and wasm-bindgen reads the section to
//   choose how JS values cross: as `externref`s, or as indices into a table of the glue's.
//   Without the feature in the section, it writes the second.
// - Why the server build wants that: V8 11 (Node 20) aborts the process when it deoptimises a
//   function in the middle of an inlined call to a wasm export that returns an `externref`
//   (docs/runtimes.md). With the table, no export returns one.
// - wasm-opt reads the same section for the features it may use, so its validation fails the
//   build if any reference type is left in the module.
// Fails where the section, or the feature in it, is not there.
import { readFileSync, writeFileSync } from "node:fs";

const [input, output] = process.argv.slice(2);
const bytes = readFileSync(input);
const FEATURE = "reference-types";

/** The unsigned LEB128 at `at`: `[value, the offset after it]`. */
function leb(at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
}

/** `value` as unsigned LEB128 bytes. */
function encode(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

const text = (from, to) => bytes.subarray(from, to).toString("utf8");
let at = 8; // the magic number and version
while (at < bytes.length) {
  const start = at;
  const id = bytes[at++];
  const [size, payload] = leb(at);
  const end = payload + size;
  if (id === 0) {
    const [nameLength, name] = leb(payload);
    if (text(name, name + nameLength) === "target_features") {
      // A count, then for each feature a prefix byte ('+', '-' or '=') and its name.
      const [count, first] = leb(name + nameLength);
      const kept = [];
      let entry = first;
      for (let i = 0; i < count; i++) {
        const [length, from] = leb(entry + 1);
        if (text(from, from + length) !== FEATURE) kept.push(bytes.subarray(entry, from + length));
        entry = from + length;
      }
      if (kept.length === count) throw new Error(`${input}: no ${FEATURE} in its target_features`);
      const sectionName = bytes.subarray(payload, name + nameLength);
      const body = Buffer.concat([sectionName, Buffer.from(encode(kept.length)), ...kept]);
      const section = Buffer.concat([Buffer.from([0]), Buffer.from(encode(body.length)), body]);
      writeFileSync(output, Buffer.concat([bytes.subarray(0, start), section, bytes.subarray(end)]));
      process.exit(0);
    }
  }
  at = end;
}
throw new Error(`${input}: no target_features section`);
