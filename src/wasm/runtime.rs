//! What `std` would otherwise bring to the `.wasm`: the panic handler and the allocator.
//!
//! The module does without `std` because its panic handler formats every panic message
//! (`core::fmt`, the panic locations) though nothing on `wasm32-unknown-unknown` can show
//! it. Here a panic traps at once, as `panic = "abort"` does, and JS sees a `RuntimeError`.
//! Nothing in the crate is meant to panic; this is the last line, not a code path.

/// Traps: the message would have no reader.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// talc, which grows the wasm memory as it needs.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
