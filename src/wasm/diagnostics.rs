//! Numbers for the memory tests and benchmarks: exported by the wasm-bindgen glue, not by
//! the package's entries, so not part of the public API.

use js_sys::{ArrayBuffer, WebAssembly};
use wasm_bindgen::prelude::*;

/// The size of the module's linear memory in bytes (it only ever grows).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    let memory: WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<ArrayBuffer>()
        .byte_length() as f64
}
