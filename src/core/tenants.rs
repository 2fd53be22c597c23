//! `TokenClients`' bookkeeping: which tenants' clients it holds, in the order they were last
//! used, and which it lets go of: every one unused for `idleMs`, then, past `maxClients`, the
//! least recently used. A client in the middle of a request is never let go (the caller says
//! which are), so that no second client of the same tenant starts a second token request
//! beside it. Generic over what is held, so the core holds no `JsValue`; every method takes
//! `now_ms` from the caller.
//!
//! ```
//! use sehatmu_auth::core::{tenant_settings, Tenants};
//! let mut tenants = Tenants::new(tenant_settings(Some(Some(2.0)), None).unwrap());
//! tenants.hold("a".into(), 'a', 0);
//! tenants.hold("b".into(), 'b', 1);
//! assert_eq!(tenants.use_held("a", 2), Some(&'a')); // "b" is now the least recently used
//! tenants.hold("c".into(), 'c', 3);
//! tenants.let_go(3, |_| false);
//! assert_eq!((tenants.len(), tenants.use_held("b", 4)), (2, None));
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;

use super::Error;

/// The default of `maxClients`.
pub const DEFAULT_MAX_CLIENTS: f64 = 1000.0;

/// The default of `idleMs`: an hour, a token's usual lifetime.
pub const DEFAULT_IDLE_MS: f64 = 3_600_000.0;

/// `TokenClients`' checked bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantSettings {
    /// At most this many clients are held once those in the middle of a request are done.
    pub max_clients: usize,
    /// A client unused for this many ms is let go (`i64::MAX`: never).
    pub idle_ms: i64,
}

/// `maxClients` and `idleMs` as given (`None` where absent, `Some(None)` where not a number),
/// checked.
///
/// # Errors
/// `invalid_argument` for `maxClients` that is not a whole number, 1 or more, and for `idleMs`
/// that is not a number of milliseconds over 0 (`Infinity`: never).
pub fn tenant_settings(
    max_clients: Option<Option<f64>>,
    idle_ms: Option<Option<f64>>,
) -> Result<TenantSettings, Error> {
    let max_clients = match max_clients {
        None => DEFAULT_MAX_CLIENTS,
        Some(Some(n)) if n >= 1.0 && libm::trunc(n) == n => n,
        Some(_) => {
            return Err(Error::invalid_argument(
                "maxClients",
                "a whole number, 1 or more",
            ))
        }
    };
    let idle_ms = match idle_ms {
        None => DEFAULT_IDLE_MS,
        Some(Some(ms)) if ms > 0.0 => ms,
        Some(_) => {
            return Err(Error::invalid_argument(
                "idleMs",
                "a number of milliseconds, more than 0",
            ))
        }
    };
    Ok(TenantSettings {
        // `as` saturates: an infinite cap is `usize::MAX`, an infinite wait `i64::MAX`.
        max_clients: max_clients as usize,
        idle_ms: libm::ceil(idle_ms) as i64,
    })
}

/// One tenant's held value and when it was last used.
struct Held<T> {
    value: T,
    /// Its key in `by_use`.
    use_stamp: u64,
    used_at_ms: i64,
}

/// The clients held, by tenant, and their order of last use.
pub struct Tenants<T> {
    settings: TenantSettings,
    held: BTreeMap<String, Held<T>>,
    /// Use stamp → tenant: the first entry is the least recently used.
    by_use: BTreeMap<u64, String>,
    next_stamp: u64,
}

impl<T> Tenants<T> {
    /// No tenant held yet.
    pub fn new(settings: TenantSettings) -> Self {
        Self {
            settings,
            held: BTreeMap::new(),
            by_use: BTreeMap::new(),
            next_stamp: 0,
        }
    }

    /// How many clients are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// A fresh use stamp: later than every one given before.
    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    /// `tenant`'s value, if it is held, marked as used at `now_ms`.
    pub fn use_held(&mut self, tenant: &str, now_ms: i64) -> Option<&T> {
        let stamp = self.next_stamp + 1;
        let held = self.held.get_mut(tenant)?;
        self.next_stamp = stamp;
        if let Some(name) = self.by_use.remove(&held.use_stamp) {
            self.by_use.insert(stamp, name);
        }
        held.use_stamp = stamp;
        held.used_at_ms = now_ms;
        Some(&held.value)
    }

    /// Holds `value` for `tenant`, used at `now_ms`, in place of any value held for it before.
    /// The bounds are the caller's to apply next, with [`let_go`](Self::let_go).
    pub fn hold(&mut self, tenant: String, value: T, now_ms: i64) {
        let use_stamp = self.stamp();
        self.by_use.insert(use_stamp, tenant.clone());
        let before = self.held.insert(
            tenant,
            Held {
                value,
                use_stamp,
                used_at_ms: now_ms,
            },
        );
        if let Some(before) = before {
            self.by_use.remove(&before.use_stamp);
        }
    }

    /// Lets go of `tenant`'s value; whether one was held.
    pub fn remove(&mut self, tenant: &str) -> bool {
        let Some(held) = self.held.remove(tenant) else {
            return false;
        };
        self.by_use.remove(&held.use_stamp);
        true
    }

    /// Lets go of every value unused since `now_ms - idleMs`, then of the least recently used
    /// while more than `maxClients` are held, passing over those that `busy` says are in the
    /// middle of a request (they count toward the cap); the cap never lets go of the most
    /// recently used, which its caller is about to use. It walks from the least recently used
    /// and stops at the first value that is neither idle nor past the cap: on most calls, the
    /// first.
    pub fn let_go(&mut self, now_ms: i64, busy: impl Fn(&T) -> bool) {
        let idle_since = now_ms.saturating_sub(self.settings.idle_ms);
        let mut from = 0;
        // Entries are removed while the order is walked: each step looks up the next stamp.
        while let Some((&stamp, name)) = self.by_use.range(from..).next() {
            from = stamp + 1;
            let over_cap = self.held.len() > self.settings.max_clients;
            let Some(held) = self.held.get(name) else {
                continue; // never: every stamp names a held tenant
            };
            // The most recently used is the one the caller is about to use: the cap never
            // lets go of it.
            let idle = held.used_at_ms <= idle_since;
            if !idle && (!over_cap || stamp == self.next_stamp) {
                return;
            }
            if !busy(&held.value) {
                if let Some(name) = self.by_use.remove(&stamp) {
                    self.held.remove(&name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn tenants(max: f64, idle: f64) -> Tenants<u32> {
        Tenants::new(tenant_settings(Some(Some(max)), Some(Some(idle))).unwrap())
    }

    fn held(t: &Tenants<u32>) -> Vec<&str> {
        t.by_use.values().map(String::as_str).collect()
    }

    #[test]
    fn checks_the_bounds() {
        let settings = tenant_settings(None, None).unwrap();
        assert_eq!((settings.max_clients, settings.idle_ms), (1000, 3_600_000));
        let settings = tenant_settings(Some(Some(f64::INFINITY)), Some(Some(f64::INFINITY)));
        let settings = settings.unwrap();
        assert_eq!(
            (settings.max_clients, settings.idle_ms),
            (usize::MAX, i64::MAX)
        );
        assert_eq!(tenant_settings(None, Some(Some(0.5))).unwrap().idle_ms, 1);
        for bad in [None, Some(0.0), Some(-1.0), Some(1.5), Some(f64::NAN)] {
            let error = tenant_settings(Some(bad), None).unwrap_err();
            assert_eq!(error.field, Some("maxClients"));
            assert_eq!(
                error.message,
                "Invalid maxClients: it must be a whole number, 1 or more."
            );
        }
        for bad in [None, Some(0.0), Some(-1.0), Some(f64::NAN)] {
            let error = tenant_settings(None, Some(bad)).unwrap_err();
            assert_eq!(error.field, Some("idleMs"));
        }
    }

    #[test]
    fn lets_go_of_the_least_recently_used_past_the_cap() {
        let mut t = tenants(3.0, f64::INFINITY);
        for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
            t.hold(name.into(), i as u32, 0);
            t.let_go(0, |_| false);
        }
        assert_eq!(held(&t), ["b", "c", "d"]);
        assert_eq!(t.use_held("b", 0), Some(&1));
        t.hold("e".into(), 4, 0);
        t.let_go(0, |_| false);
        assert_eq!(held(&t), ["d", "b", "e"]);
        assert_eq!((t.len(), t.use_held("c", 0)), (3, None));
    }

    #[test]
    fn lets_go_of_idle_clients_whatever_the_cap() {
        let mut t = tenants(10.0, 1_000.0);
        t.hold("a".into(), 0, 0);
        t.hold("b".into(), 1, 500);
        t.let_go(999, |_| false);
        assert_eq!(held(&t), ["a", "b"]);
        t.let_go(1_000, |_| false);
        assert_eq!(held(&t), ["b"]);
        t.use_held("b", 1_400);
        t.let_go(2_000, |_| false);
        assert_eq!(held(&t), ["b"]);
        t.let_go(2_400, |_| false);
        assert!(t.is_empty());
    }

    #[test]
    fn never_lets_go_of_a_busy_client() {
        let mut t = tenants(2.0, 1_000.0);
        t.hold("busy".into(), 0, 0);
        t.hold("b".into(), 1, 0);
        t.hold("c".into(), 2, 0);
        t.let_go(0, |&v| v == 0);
        assert_eq!(held(&t), ["busy", "c"]);
        t.let_go(5_000, |&v| v == 0);
        assert_eq!(held(&t), ["busy"]);
        // Every one busy: the cap waits until they are done.
        t.hold("d".into(), 3, 5_000);
        t.hold("e".into(), 4, 5_000);
        t.let_go(5_000, |_| true);
        assert_eq!(t.len(), 3);
        t.let_go(5_000, |_| false);
        assert_eq!(held(&t), ["d", "e"]);
        // The one just used stays, even past the cap, while the others are busy.
        t.hold("f".into(), 5, 5_000);
        t.let_go(5_000, |&v| v != 5);
        assert_eq!(held(&t), ["d", "e", "f"]);
    }

    #[test]
    fn holding_again_or_removing_keeps_the_order_exact() {
        let mut t = tenants(2.0, f64::INFINITY);
        t.hold("a".into(), 0, 0);
        t.hold("b".into(), 1, 0);
        t.hold("a".into(), 2, 0);
        assert_eq!((held(&t), t.len()), (alloc::vec!["b", "a"], 2));
        assert_eq!(t.use_held("a", 0), Some(&2));
        assert!(t.remove("b"));
        assert!(!t.remove("b"));
        assert_eq!((held(&t), t.len()), (alloc::vec!["a"], 1));
        t.hold("c".into(), 3, 0);
        t.hold("d".into(), 4, 0);
        t.let_go(0, |_| false);
        assert_eq!(held(&t), ["c", "d"]);
    }
}
