//! A `TokenClient`'s lifecycle events, the web platform's way: `addEventListener(type,
//! listener)` and `removeEventListener`, each event a `CustomEvent` with its `detail`. The listeners are kept here rather than in an `EventTarget`, so
//! that one that throws never breaks the client nor, in Node, the process (an `EventTarget`
//! there reports a listener's exception as uncaught).

use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::platform::{call_method, set};

#[wasm_bindgen(typescript_custom_section)]
const EVENTS: &str = r#"
/** The events of a {@link TokenClient}, by type: each fires once per occurrence, however many callers share it. */
export interface TokenClientEventMap {
  /** A token was taken in: fetched, or read from the store. */
  token: CustomEvent<{ source: "network" | "store"; expiresAt: number }>;
  /** A refresh ahead started: the old token, which expires at `expiresAt`, is still served. */
  refresh: CustomEvent<{ expiresAt: number }>;
  /** Retry number `attempt` of a token request is due in `delayMs`, after an error of `code`. */
  retry: CustomEvent<{ attempt: number; delayMs: number; code: SehatmuErrorCode }>;
  /** A token request failed for good, after its retries (a local refusal fires none). */
  error: CustomEvent<{ error: SehatmuError }>;
}

/** A listener of {@link TokenClientEventMap}'s `K` events: a function, or an object with `handleEvent`. */
export type TokenClientListener<K extends keyof TokenClientEventMap> =
  | ((event: TokenClientEventMap[K]) => void)
  | { handleEvent(event: TokenClientEventMap[K]): void };

export interface TokenClient {
  /** Calls `listener` for each event of `type`; a listener that throws never breaks the client. */
  addEventListener<K extends keyof TokenClientEventMap>(type: K, listener: TokenClientListener<K>): void;
  /** Stops calling `listener` for `type`. */
  removeEventListener<K extends keyof TokenClientEventMap>(type: K, listener: TokenClientListener<K>): void;
}
"#;

/// The listeners of one client, each with its event type, in the order they were added.
#[derive(Default)]
pub struct Listeners(RefCell<Vec<(JsValue, JsValue)>>);

impl Listeners {
    /// Adds (`add`) or removes `listener` for `kind`; adding one twice changes nothing.
    pub fn change(&self, add: bool, kind: JsValue, listener: JsValue) {
        let mut listeners = self.0.borrow_mut();
        let found = listeners
            .iter()
            .position(|(k, l)| *k == kind && *l == listener);
        match (add, found) {
            (true, None) => listeners.push((kind, listener)),
            (false, Some(at)) => {
                listeners.remove(at);
            }
            _ => {}
        }
    }

    /// Fires an event of `kind` whose `detail` has these members, made only where someone
    /// listens. Each listener is called outside any borrow (it may add or remove listeners, or
    /// call the client), and what one throws is dropped.
    pub fn fire(&self, kind: &str, members: &[(&str, &JsValue)]) {
        let kind = JsValue::from_str(kind);
        let mut event = None;
        let mut at = 0;
        loop {
            let Some((k, listener)) = self.0.borrow().get(at).cloned() else {
                return;
            };
            at += 1;
            if k != kind {
                continue;
            }
            let event = event.get_or_insert_with(|| custom_event(&kind, members));
            let _ = match listener.dyn_ref::<Function>() {
                Some(function) => function.call1(&JsValue::UNDEFINED, event),
                None => call_method(&listener, "handleEvent", &[event]),
            };
        }
    }
}

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// `new CustomEvent(kind, { detail })` (glue.js), `Err` where that threw.
    #[wasm_bindgen(catch, js_name = customEvent)]
    fn new_custom_event(kind: &JsValue, detail: &Object) -> Result<JsValue, JsValue>;
}

/// `new CustomEvent(kind, { detail })` with these members in `detail` (`undefined` where that
/// fails). Every runtime this package supports has `CustomEvent` (Node since 19).
fn custom_event(kind: &JsValue, members: &[(&str, &JsValue)]) -> JsValue {
    let detail = Object::new();
    for (name, value) in members {
        set(&detail, name, *value);
    }
    new_custom_event(kind, &detail).unwrap_or_default()
}
