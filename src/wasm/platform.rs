//! The JavaScript platform, as every runtime has it: the global `fetch`, the timers,
//! property access and promises. The globals are bound directly, never through
//! `window`, so one module runs in Node, Deno, Bun, workerd and browsers alike.

use alloc::boxed::Box;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU8, Ordering};

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::Runtime;

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout(handler, ms, argument)`: its handle is a number in browsers and
    /// an object in Node.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64, argument: &JsValue) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);

}

/// What [`runtime`] found, once: 0 not yet looked, 1 a browser, 2 a server.
static RUNTIME: AtomicU8 = AtomicU8::new(0);

/// Where the module runs: a browser page or worker, or a server runtime. Read once from the
/// globals each runtime is known by; the decision made of it is the core's.
pub fn runtime() -> Runtime {
    let known = RUNTIME.load(Ordering::Relaxed);
    if known != 0 {
        return Runtime {
            browser_like: known == 1,
        };
    }
    let found = look_at_globals();
    RUNTIME.store(if found.browser_like { 1 } else { 2 }, Ordering::Relaxed);
    found
}

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// The globals runtimes are known by, one bit each (glue.js), with workerd known by its
    /// `navigator.userAgent`: read in JS, where a missing member costs a line, not a binding
    /// call and a string per step.
    #[wasm_bindgen(js_name = runtimeGlobals)]
    fn runtime_globals(workerd_agent: &str) -> u32;
}

fn look_at_globals() -> Runtime {
    let found = runtime_globals("Cloudflare-Workers");
    let has = |bit: u32| found & (1 << bit) != 0;
    // Node (`process.versions.node`), workerd (its user agent, not read where Node is found:
    // glue.js says why), Deno, Bun.
    let server = has(0) || has(1) || has(2) || has(3);
    // `window`, `WorkerGlobalScope`.
    Runtime {
        browser_like: !server && (has(4) || has(5)),
    }
}

/// `target[key] = value` on an object this module made: that cannot fail.
pub fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    set_value(target, key, &value.into());
}

/// [`set`]'s work, once: not written out again for each type of value it is given.
fn set_value(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// `target[key]`, or `Err` where reading it threw (a getter or a proxy). `undefined` for a
/// target that is not an object, without asking JS: `Reflect.get` would throw, and a thrown
/// error costs tens of microseconds (it captures a stack).
pub fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !target.is_object() && !target.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(target, &JsValue::from_str(key))
}

/// `target.method(...args)`: a store's `get`, a signal's
/// `addEventListener`. `Err` where it is no function or throws.
pub fn call_method(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = get(target, method)?.dyn_into()?;
    // A call per arity where there is a binding for it, not `apply` with an array made for it.
    match *args {
        [] => function.call0(target),
        [first] => function.call1(target, first),
        [first, second] => function.call2(target, first, second),
        _ => function.apply(target, &args.iter().copied().collect::<Array>()),
    }
}

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// `fetch(input, init)` with the caller's `fetch` where one was given, else the global one
    /// (glue.js's `send`, which `authorisedFetch` sends through too): its promise, or `Err`
    /// where calling it threw.
    #[wasm_bindgen(catch, js_name = send)]
    pub fn fetch(
        custom: Option<&Function>,
        input: &JsValue,
        init: &JsValue,
    ) -> Result<Promise, JsValue>;
}

/// A future as a JS `Promise`, through one boxed type: each distinct future type would
/// otherwise get its own copy of the executor's glue in the `.wasm`.
pub fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// A timer that calls `handler(argument)` after `ms`; [`Timer::clear`] (or dropping it)
/// cancels it. No Rust closure is made: the handler is a JS function (a promise's `resolve`,
/// a bound `abort`).
pub struct Timer(JsValue);

impl Timer {
    /// Starts the timer; where `keep_alive` is false, it does not keep a Node process alive
    /// (the work of a background refresh must not hold a process that has nothing else to do).
    pub fn start(handler: &Function, ms: f64, argument: &JsValue, keep_alive: bool) -> Self {
        let handle = set_timeout(handler, ms, argument);
        if !keep_alive && handle.is_object() {
            let _ = call_method(&handle, "unref", &[]);
        }
        Self(handle)
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// A new promise and the function that settles it with `value` (glue.js):
    /// `[promise, settle]`.
    #[wasm_bindgen(js_name = settler)]
    fn new_settler(value: &JsValue, rejects: bool) -> Array;
}

/// A new promise, and the JS function that fulfils it with `value` (rejects it, where
/// `rejects`) when called: for a timer or a listener, without the Rust closure that
/// `Promise::new`'s executor would be (and its shims in the `.wasm`).
pub fn settler(value: &JsValue, rejects: bool) -> (Promise, Function) {
    let parts = new_settler(value, rejects);
    (parts.get(0).unchecked_into(), parts.get(1).unchecked_into())
}

/// A pause of `ms` (see [`Timer::start`] for `keep_alive`).
pub async fn sleep(ms: u64, keep_alive: bool) {
    let (done, resolve) = settler(&JsValue::UNDEFINED, false);
    let timer = Timer::start(&resolve, ms as f64, &JsValue::UNDEFINED, keep_alive);
    let _ = JsFuture::from(done).await;
    drop(timer);
}
