//! Numbers for the memory tests and benchmarks: exported by the wasm-bindgen glue, not by
//! the package's entries, so not part of the public API.

use wasm_bindgen::prelude::*;

/// The size of the module's linear memory in bytes (it only ever grows).
#[wasm_bindgen(js_name = wasmMemoryBytes, skip_typescript)]
pub fn wasm_memory_bytes() -> f64 {
    // A wasm page is 64 KiB.
    (core::arch::wasm32::memory_size::<0>() * 65_536) as f64
}
