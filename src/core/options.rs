//! The checks of a `TokenClient`'s own options (those of each token request are in
//! [`request`](super::build_request)'s module): `refreshSkewMs` and `retries`.
//!
//! ```
//! use sehatmu_auth::core::client_settings;
//! let settings = client_settings(None, Some(Some(0.0))).unwrap();
//! assert_eq!((settings.refresh_skew_ms, settings.retries), (60_000, 0));
//! ```

use super::{Error, DEFAULT_RETRIES, MAX_RETRIES};

/// The default of `refreshSkewMs`: a token with less than this left is refreshed.
pub const DEFAULT_REFRESH_SKEW_MS: f64 = 60_000.0;

/// A `TokenClient`'s checked settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientSettings {
    /// A token with less than this left is refreshed, in whole ms.
    pub refresh_skew_ms: i64,
    /// Extra tries after a transient failure.
    pub retries: u32,
}

/// `refreshSkewMs` and `retries` as given (`None` where absent, `Some(None)` where not a
/// number), checked.
///
/// # Errors
/// `invalid_argument` for a negative or non-finite skew, or retries that are not a whole
/// number from 0 to [`MAX_RETRIES`].
pub fn client_settings(
    refresh_skew_ms: Option<Option<f64>>,
    retries: Option<Option<f64>>,
) -> Result<ClientSettings, Error> {
    let skew = match refresh_skew_ms {
        None => DEFAULT_REFRESH_SKEW_MS,
        Some(Some(ms)) if ms.is_finite() && ms >= 0.0 => ms,
        Some(_) => {
            return Err(Error::invalid_argument(
                "refreshSkewMs",
                "a number of milliseconds, 0 or more",
            ))
        }
    };
    let retries = match retries {
        None => DEFAULT_RETRIES,
        Some(Some(n)) if libm::trunc(n) == n && (0.0..=MAX_RETRIES).contains(&n) => n,
        Some(_) => {
            return Err(Error::invalid_argument(
                "retries",
                "a whole number from 0 to 10",
            ))
        }
    };
    Ok(ClientSettings {
        refresh_skew_ms: libm::ceil(skew) as i64,
        retries: retries as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_skew_and_retries() {
        let settings =
            |skew, retries| client_settings(skew, retries).map(|s| (s.refresh_skew_ms, s.retries));
        assert_eq!(settings(None, None).unwrap(), (60_000, 2));
        assert_eq!(settings(Some(Some(0.0)), Some(Some(0.0))).unwrap(), (0, 0));
        assert_eq!(settings(Some(Some(0.5)), None).unwrap(), (1, 2));
        for bad in [None, Some(-1.0), Some(f64::NAN), Some(f64::INFINITY)] {
            assert_eq!(
                client_settings(Some(bad), None).unwrap_err().field,
                Some("refreshSkewMs")
            );
        }
        for bad in [None, Some(-1.0), Some(1.5), Some(11.0)] {
            assert_eq!(
                client_settings(None, Some(bad)).unwrap_err().field,
                Some("retries")
            );
        }
    }
}
