//! The fields of a token endpoint's JSON body that the client reads, whatever their types.
//!
//! The host parses the JSON (`JSON.parse` in wasm, `serde_json` in native tests) and serde reads
//! only the fields named here into [`Loose`] values, so a body with a field of the wrong type is
//! still read (and judged) rather than rejected as a whole, and nesting deeper than the client
//! looks is skipped without recursion.

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// How deep a field's value is read: `issue[i].details.text` is the deepest path the client uses.
const FIELD_DEPTH: u8 = 3;

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

struct LooseSeed(u8);

impl<'de> DeserializeSeed<'de> for LooseSeed {
    type Value = Loose;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Loose, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LooseSeed {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        self.deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::Num(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::Num(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::Num(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        if self.0 == 0 {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        } else {
            while let Some(item) = seq.next_element_seed(LooseSeed(self.0 - 1))? {
                items.push(item);
            }
        }
        Ok(Loose::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        let mut members = Vec::new();
        if self.0 == 0 {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        } else {
            while let Some(key) = map.next_key::<String>()? {
                members.push((key, map.next_value_seed(LooseSeed(self.0 - 1))?));
            }
        }
        Ok(Loose::Object(members))
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        LooseSeed(FIELD_DEPTH).deserialize(deserializer)
    }
}

/// The members of a token endpoint's JSON object that the client reads. Each documented
/// spelling is its own field; [`ResponseBody::pick`] chooses between them.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct ResponseBody {
    #[serde(rename = "accessToken")]
    pub access_token_camel: Option<Loose>,
    pub access_token: Option<Loose>,
    #[serde(rename = "accessTokenExpiresAt")]
    pub access_token_expires_at: Option<Loose>,
    pub expires_in: Option<Loose>,
    pub issued_at: Option<Loose>,
    #[serde(rename = "tokenType")]
    pub token_type_camel: Option<Loose>,
    pub token_type: Option<Loose>,
    #[serde(rename = "clientId")]
    pub client_id_camel: Option<Loose>,
    pub client_id: Option<Loose>,
    #[serde(rename = "userId")]
    pub user_id: Option<Loose>,
    pub client: Option<Loose>,
    pub user: Option<Loose>,
    pub developer: Option<Loose>,
    pub issue: Option<Loose>,
    pub error: Option<Loose>,
    pub error_description: Option<Loose>,
}

impl ResponseBody {
    /// The first of two spellings that is present and not `null`.
    pub fn pick<'a>(first: &'a Option<Loose>, second: &'a Option<Loose>) -> Option<&'a Loose> {
        [first, second]
            .into_iter()
            .flatten()
            .find(|v| !matches!(v, Loose::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> ResponseBody {
        serde_json::from_str(json).unwrap()
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
}
