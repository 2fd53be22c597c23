//! The JavaScript platform, as every runtime has it: the global `fetch`, the timers,
//! property access and promises, and the executor that runs the crate's futures as promises
//! ([`promise`], [`wait`]). The globals are bound directly, never through `window`, so one
//! module runs in Node, Deno, Bun, workerd and browsers alike.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::sync::Arc;
use alloc::task::Wake;
use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU8, Ordering};
use core::task::{Context, Poll, Waker};

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

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

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// The members of `object` named in `names`, then the bits of those present (glue.js).
    #[wasm_bindgen(js_name = members)]
    fn members_of(object: &JsValue, names: &str) -> JsValue;
}

/// Members of an object, read in one call by [`members`].
pub struct Members {
    values: Array,
    /// Bit `i` set where member `i` may be there (is not `undefined`).
    pub present: u32,
    /// How many were read: all, unless reading one threw (the one at this index).
    read: u32,
}

impl Members {
    /// What glue.js's `members` gave for `names`, `values` (`None` where that is no array).
    pub fn of(values: JsValue, names: &str) -> Option<Members> {
        if !values.is_object() {
            return None;
        }
        let values: Array = values.unchecked_into();
        let count = names.split(',').count() as u32;
        let length = values.length();
        // After the members, the bits of those present; none where a reading threw.
        let (present, read) = if length > count {
            (values.get(count).as_f64().unwrap_or(0.0) as u32, count)
        } else {
            (((1u64 << length.min(32)) - 1) as u32, length)
        };
        Some(Members {
            values,
            present,
            read,
        })
    }

    /// Member `index`'s value; `Err` where it was not read, because reading it (or one before
    /// it) threw.
    pub fn get(&self, index: u32) -> Result<JsValue, ()> {
        if index < self.read {
            Ok(self.values.get(index))
        } else {
            Err(())
        }
    }
}

/// The members of `object` named in `names` (joined by `,`; at most 31 names), read in one
/// call where a read of each would cost a call and a name made anew; `names` crosses once and
/// glue.js keeps it split. `undefined` and `null` have no members; `None` for any other value
/// that is not an object.
pub fn members(object: &JsValue, names: &str) -> Option<Members> {
    Members::of(members_of(object, names), names)
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

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// The promise of a task that `poll(resolve, reject)` polls (glue.js): first in a
    /// microtask, then each time a promise it [`wait`]s on settles.
    fn spawn(poll: &JsValue) -> Promise;

    /// `[state, value]` of `promise`, filled in when it settles (1 fulfilled, 2 rejected), when
    /// the task polling now is polled again (glue.js).
    #[wasm_bindgen(js_name = wait)]
    fn outcome_of(promise: &Promise) -> Array;
}

/// A future boxed as the one type every task has.
type Task = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// A task's poll, `(resolve, reject)`: the one closure type of the executor.
type Poller = Closure<dyn FnMut(Function, Function)>;

/// The waker of every task: unused, since a task is polled again by the promise it waits on
/// (glue.js's `wait`), and the only futures the crate awaits are [`wait`]s.
struct Unused;

impl Wake for Unused {
    fn wake(self: Arc<Self>) {}
}

/// A future as a JS `Promise`: polled as a task of glue.js's `spawn`, through one boxed type
/// (each distinct future type would otherwise get its own copy of the task's code).
///
/// The executor is this and [`wait`]: a task is polled again only when a promise it waits on
/// settles, so the futures a task awaits are [`wait`]s (or made of them). wasm-bindgen-futures'
/// executor (a queue, a waker per task and two closures per `JsFuture`) cost the browser
/// bundle 3.2 KB gzipped more.
pub fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    spawn_task(Box::pin(future))
}

fn spawn_task(task: Task) -> Promise {
    // The task's poll is owned here, not by JavaScript, so that it is freed as soon as the
    // task is done rather than whenever the collector finalises it: the task drops it in its
    // last poll (wasm-bindgen frees a closure dropped while it runs once that call returns).
    let own: Rc<Cell<Option<Poller>>> = Rc::default();
    let slot = Rc::clone(&own);
    let mut task = Some(task);
    let waker = Waker::from(Arc::new(Unused));
    let poll = Poller::new(move |resolve: Function, reject: Function| {
        let Some(running) = &mut task else {
            return;
        };
        let Poll::Ready(result) = running.as_mut().poll(&mut Context::from_waker(&waker)) else {
            return;
        };
        task = None;
        let _ = match result {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(reason) => reject.call1(&JsValue::UNDEFINED, &reason),
        };
        drop(own.take());
    });
    let promise = spawn(poll.as_ref());
    slot.set(Some(poll));
    promise
}

/// `promise`'s outcome, awaited: `Ok` of its value, or `Err` of its reason.
pub fn wait(promise: Promise) -> Wait {
    Wait {
        promise,
        outcome: None,
    }
}

/// The future of [`wait`].
pub struct Wait {
    promise: Promise,
    outcome: Option<Array>,
}

impl Future for Wait {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let outcome = this
            .outcome
            .get_or_insert_with(|| outcome_of(&this.promise));
        match outcome.get(0).as_f64() {
            Some(1.0) => Poll::Ready(Ok(outcome.get(1))),
            Some(2.0) => Poll::Ready(Err(outcome.get(1))),
            _ => Poll::Pending,
        }
    }
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
    let _ = wait(done).await;
    drop(timer);
}
