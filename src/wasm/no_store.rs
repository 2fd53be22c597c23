//! The browser build's stand-in for `store.rs`: no token stores. A store shares one token
//! between processes (Redis, a file on one machine), which a browser page has none of; leaving
//! the store and its lock protocol out makes the `.wasm` every front end downloads about 3 KB
//! (gzipped) smaller. [`Store`] has no values, so every store step of a refresh is dead code
//! the compiler removes.

use wasm_bindgen::JsValue;

use super::args::Args;
use crate::core::{Error, Event, StoreKind};

/// No store can be made in this build.
pub enum Store {}

impl Store {
    /// The `store` option: `None` where absent.
    ///
    /// # Errors
    /// `invalid_argument` for any store: this build has none.
    pub fn read(target: JsValue, _: &Args, _: &str, _: u32) -> Result<Option<Store>, Error> {
        if target.is_undefined() {
            return Ok(None);
        }
        Err(Error::invalid_argument(
            "store",
            "left out: the browser build has no token stores (they are for servers)",
        ))
    }

    /// What the store can do.
    pub fn kind(&self) -> StoreKind {
        match *self {}
    }

    /// How long the fetching client holds the lock.
    pub fn lock_ttl_ms(&self) -> u64 {
        match *self {}
    }

    /// The token entry.
    pub async fn read_token(&self, _: Option<&str>) -> (JsValue, Event) {
        match *self {}
    }

    /// The server's wait another process was told.
    pub async fn read_wait(&self) -> Event {
        match *self {}
    }

    /// Tries to take the lock.
    pub async fn lock(&self) -> (Option<js_sys::Function>, Event) {
        match *self {}
    }

    /// Puts a token in the store.
    pub async fn write_token(&self, _: &JsValue, _: u64) {
        match *self {}
    }

    /// Tells the other processes of the server's wait.
    pub async fn write_wait(&self, _: i64, _: u64) {
        match *self {}
    }

    /// Calls the lock's release function.
    pub async fn release(&self, _: Option<js_sys::Function>) {
        match *self {}
    }

    /// `store.delete(key)`.
    pub async fn delete(&self) -> Result<JsValue, JsValue> {
        match *self {}
    }
}
