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

use alloc::string::String;
use alloc::vec::Vec;

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
    tenant: String,
    value: T,
    /// Later for each use: the order of last use.
    use_stamp: u64,
    used_at_ms: i64,
}

/// The clients held, sorted by tenant, each with its last use. A sorted `Vec` rather than
/// `BTreeMap`s: a lookup is a binary search all the same, and the two maps' node code cost the
/// server `.wasm` 31 KB (12 KB gzipped).
pub struct Tenants<T> {
    settings: TenantSettings,
    held: Vec<Held<T>>,
    next_stamp: u64,
    /// No value held was last used before this: the idle rule has nothing to let go of
    /// until `now - idleMs` reaches it, so most calls look at no value but their own.
    oldest_use_ms: i64,
}

impl<T> Tenants<T> {
    /// No tenant held yet.
    pub fn new(settings: TenantSettings) -> Self {
        Self {
            settings,
            held: Vec::new(),
            next_stamp: 0,
            oldest_use_ms: i64::MAX,
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

    /// Where `tenant` is held (`Ok`), or where it would go (`Err`).
    fn find(&self, tenant: &str) -> Result<usize, usize> {
        self.held
            .binary_search_by(|held| held.tenant.as_str().cmp(tenant))
    }

    /// `tenant`'s value, if it is held, marked as used at `now_ms`.
    pub fn use_held(&mut self, tenant: &str, now_ms: i64) -> Option<&T> {
        let at = self.find(tenant).ok()?;
        let held = self.held.get_mut(at)?;
        self.next_stamp += 1;
        held.use_stamp = self.next_stamp;
        held.used_at_ms = now_ms;
        Some(&held.value)
    }

    /// Holds `value` for `tenant`, used at `now_ms`, in place of any value held for it before.
    /// The bounds are the caller's to apply next, with [`let_go`](Self::let_go).
    pub fn hold(&mut self, tenant: String, value: T, now_ms: i64) {
        self.next_stamp += 1;
        self.oldest_use_ms = self.oldest_use_ms.min(now_ms);
        let held = Held {
            tenant,
            value,
            use_stamp: self.next_stamp,
            used_at_ms: now_ms,
        };
        match self.find(&held.tenant) {
            Ok(at) => {
                if let Some(before) = self.held.get_mut(at) {
                    *before = held;
                }
            }
            Err(at) if at <= self.held.len() => self.held.insert(at, held),
            Err(_) => {}
        }
    }

    /// Lets go of `tenant`'s value; whether one was held.
    pub fn remove(&mut self, tenant: &str) -> bool {
        match self.find(tenant) {
            Ok(at) if at < self.held.len() => {
                self.held.remove(at);
                true
            }
            _ => false,
        }
    }

    /// Lets go of every value unused since `now_ms - idleMs`, then of the least recently used
    /// while more than `maxClients` are held, passing over those that `busy` says are in the
    /// middle of a request (they count toward the cap); the cap never lets go of the most
    /// recently used, which its caller is about to use.
    pub fn let_go(&mut self, now_ms: i64, busy: impl Fn(&T) -> bool) {
        let idle_since = now_ms.saturating_sub(self.settings.idle_ms);
        if self.oldest_use_ms <= idle_since {
            self.held
                .retain(|held| held.used_at_ms > idle_since || busy(&held.value));
            self.oldest_use_ms = self
                .held
                .iter()
                .map(|h| h.used_at_ms)
                .min()
                .unwrap_or(i64::MAX);
        }
        while self.held.len() > self.settings.max_clients {
            let newest = self.next_stamp;
            let least_recent = self
                .held
                .iter()
                .enumerate()
                .filter(|(_, held)| held.use_stamp != newest && !busy(&held.value))
                .min_by_key(|(_, held)| held.use_stamp)
                .map(|(at, _)| at);
            match least_recent {
                Some(at) if at < self.held.len() => {
                    self.held.remove(at);
                }
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants(max: f64, idle: f64) -> Tenants<u32> {
        Tenants::new(tenant_settings(Some(Some(max)), Some(Some(idle))).unwrap())
    }

    /// The tenants held, least recently used first.
    fn held(t: &Tenants<u32>) -> Vec<&str> {
        let mut held: Vec<_> = t.held.iter().collect();
        held.sort_by_key(|h| h.use_stamp);
        held.iter().map(|h| h.tenant.as_str()).collect()
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
