//! The fields of a token endpoint's JSON body that the client reads, whatever their types.
//!
//! The host parses the JSON (`JSON.parse` in wasm, `serde_json` in native tests) and hands over
//! only the members named here, each as a [`Loose`] value read to [`FIELD_DEPTH`]: a body with
//! a field of the wrong type is still read (and judged) rather than rejected as a whole, and
//! nesting deeper than the client looks is never walked. Doing this without serde keeps serde's
//! error formatting (and with it Rust's float printing) out of the `.wasm`.

use alloc::{string::String, vec::Vec};

/// How deep a field's value is read: `issue[i].details.text` is the deepest path the client uses.
pub const FIELD_DEPTH: u8 = 3;

/// A JSON value of any type, read to a bounded depth: objects and arrays below it are empty.
#[derive(Clone, Debug, PartialEq)]
pub enum Loose {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number.
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Loose>),
    /// An object, its members in order.
    Object(Vec<(String, Loose)>),
}

impl Loose {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Loose> {
        match self {
            Self::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Self::Object(_))
    }
}

/// The members of a token endpoint's JSON object that the client reads. Each documented
/// spelling is its own field; [`ResponseBody::pick`] chooses between them.
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(missing_docs)]
pub struct ResponseBody {
    pub access_token_camel: Option<Loose>,
    pub access_token: Option<Loose>,
    pub access_token_expires_at: Option<Loose>,
    pub expires_in: Option<Loose>,
    pub issued_at: Option<Loose>,
    pub token_type_camel: Option<Loose>,
    pub token_type: Option<Loose>,
    pub client_id_camel: Option<Loose>,
    pub client_id: Option<Loose>,
    pub user_id: Option<Loose>,
    pub client: Option<Loose>,
    pub user: Option<Loose>,
    pub developer: Option<Loose>,
    pub issue: Option<Loose>,
    pub error: Option<Loose>,
    pub error_description: Option<Loose>,
}

/// The names of the members that [`ResponseBody::from_members`] reads, in its order, joined by
/// `,`: for a host that reads them all in one call.
pub const MEMBER_NAMES: &str = "accessToken,access_token,accessTokenExpiresAt,expires_in,issued_at,tokenType,token_type,clientId,client_id,userId,client,user,developer,issue,error,error_description";

impl ResponseBody {
    /// Reads the body through `member`, which returns the JSON object's member of that name
    /// (read to [`FIELD_DEPTH`]) or `None` where the object has none.
    pub fn read(mut member: impl FnMut(&'static str) -> Option<Loose>) -> Self {
        let mut names = MEMBER_NAMES.split(',');
        Self::from_members(|_| member(names.next().unwrap_or_default()))
    }

    /// Reads the body through `member`, which returns the member named at that index of
    /// [`MEMBER_NAMES`] as [`ResponseBody::read`]'s `member` would; called for each index in
    /// order.
    pub fn from_members(mut member: impl FnMut(usize) -> Option<Loose>) -> Self {
        Self {
            access_token_camel: member(0),
            access_token: member(1),
            access_token_expires_at: member(2),
            expires_in: member(3),
            issued_at: member(4),
            token_type_camel: member(5),
            token_type: member(6),
            client_id_camel: member(7),
            client_id: member(8),
            user_id: member(9),
            client: member(10),
            user: member(11),
            developer: member(12),
            issue: member(13),
            error: member(14),
            error_description: member(15),
        }
    }

    /// The first of two spellings that is present and not `null`.
    pub fn pick<'a>(first: &'a Option<Loose>, second: &'a Option<Loose>) -> Option<&'a Loose> {
        [first, second]
            .into_iter()
            .flatten()
            .find(|v| !matches!(v, Loose::Null))
    }
}

/// The native stand-in for the host: a JSON text read as `JSON.parse` and the facade would.
/// For tests and fuzzing (feature `serde_json`).
#[cfg(any(test, feature = "serde_json"))]
pub mod json {
    use alloc::vec::Vec;

    use super::{Loose, ResponseBody, FIELD_DEPTH};
    use serde_json::Value;

    /// `value` read to `depth`.
    pub fn loose(value: &Value, depth: u8) -> Loose {
        match value {
            Value::Null => Loose::Null,
            Value::Bool(b) => Loose::Bool(*b),
            Value::Number(n) => Loose::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Loose::Str(s.clone()),
            Value::Array(_) | Value::Object(_) if depth == 0 => match value {
                Value::Array(_) => Loose::Array(Vec::new()),
                _ => Loose::Object(Vec::new()),
            },
            Value::Array(items) => {
                Loose::Array(items.iter().map(|v| loose(v, depth - 1)).collect())
            }
            Value::Object(members) => Loose::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), loose(v, depth - 1)))
                    .collect(),
            ),
        }
    }

    /// The body of `text` where it is a JSON object.
    pub fn body(text: &str) -> Option<ResponseBody> {
        let value: Value = serde_json::from_str(text).ok()?;
        let object = value.as_object()?;
        Some(ResponseBody::read(|name| {
            object.get(name).map(|v| loose(v, FIELD_DEPTH))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> ResponseBody {
        json::body(text).unwrap()
    }

    #[test]
    fn reads_fields_of_any_type() {
        let b =
            body(r#"{"accessToken": 42, "expires_in": "3600", "client": {"name": "x"}, "x": [1]}"#);
        assert_eq!(b.access_token_camel, Some(Loose::Num(42.0)));
        assert_eq!(b.expires_in, Some(Loose::Str("3600".into())));
        assert_eq!(
            b.client.as_ref().and_then(|c| c.get("name")),
            Some(&Loose::Str("x".into()))
        );
    }

    #[test]
    fn reads_issue_details_text() {
        let b = body(r#"{"issue": [{"severity": "invalid", "details": {"text": "t"}}]}"#);
        let Some(Loose::Array(issues)) = b.issue else {
            panic!("issue not an array")
        };
        let text = issues[0].get("details").and_then(|d| d.get("text"));
        assert_eq!(text.and_then(Loose::as_str), Some("t"));
    }

    #[test]
    fn stops_reading_below_the_depth_it_needs() {
        let b = body(r#"{"client": {"a": {"b": {"c": {"d": 1}}}}}"#);
        let c = b.client.unwrap();
        let deepest = c.get("a").and_then(|a| a.get("b")).and_then(|b| b.get("c"));
        assert_eq!(deepest, Some(&Loose::Object(vec![])));
    }

    #[test]
    fn pick_prefers_the_first_present_non_null_spelling() {
        let a = Some(Loose::Null);
        let b = Some(Loose::Str("b".into()));
        assert_eq!(ResponseBody::pick(&a, &b), b.as_ref());
        assert_eq!(ResponseBody::pick(&None, &None), None);
    }

    #[test]
    fn each_member_name_is_read_into_its_own_field() {
        // A body whose every member holds its own name: each field must hold its spelling.
        let every = ResponseBody::read(|name| Some(Loose::Str(name.into())));
        let text = |field: &Option<Loose>| field.as_ref().and_then(Loose::as_str).map(String::from);
        assert_eq!(
            text(&every.access_token_camel).as_deref(),
            Some("accessToken")
        );
        assert_eq!(text(&every.access_token).as_deref(), Some("access_token"));
        assert_eq!(
            text(&every.error_description).as_deref(),
            Some("error_description")
        );
        assert_eq!(MEMBER_NAMES.split(',').count(), 16);
        let by_index = ResponseBody::from_members(|i| {
            MEMBER_NAMES
                .split(',')
                .nth(i)
                .map(|name| Loose::Str(name.into()))
        });
        assert_eq!(by_index, every);
    }
}
