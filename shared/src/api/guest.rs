//! The guest a desk or channel booking names without an account, as its body sends it
//! (`guest`: `name`, `email`, `phone`, `locale`), read the same way by every endpoint.
use crate::domain::FieldErrors;
use crate::domain::account::{Email, Locale, Phone};
use crate::domain::desk::DeskGuest;
use crate::domain::text::PersonName;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestBody {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
}

impl GuestBody {
    /// The guest, or each bad member named under `/guest`.
    pub fn parse(self, errors: &mut FieldErrors) -> Option<DeskGuest> {
        let name = errors.require("/guest/name", self.name, |v| PersonName::parse(&v));
        let email = errors.check_opt("/guest/email", self.email, |v| Email::parse(&v));
        let phone = errors.check_opt("/guest/phone", self.phone, |v| Phone::parse(&v));
        let locale = errors.check_opt("/guest/locale", self.locale, |v| Locale::parse(&v));
        Some(DeskGuest {
            name: name?,
            email: email?,
            phone: phone?,
            locale: locale?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_member_is_named_under_guest_and_only_the_name_is_required() {
        let body: GuestBody =
            serde_json::from_value(serde_json::json!({"email": "not an email", "locale": "??"}))
                .unwrap();
        let mut errors = FieldErrors::default();
        assert!(body.parse(&mut errors).is_none());
        let mut named: Vec<String> = errors
            .into_vec()
            .into_iter()
            .map(|e| format!("{:?}", e.location))
            .collect();
        named.sort();
        assert_eq!(
            named,
            vec![
                r#"Pointer("/guest/email")"#,
                r#"Pointer("/guest/locale")"#,
                r#"Pointer("/guest/name")"#
            ]
        );
        let body: GuestBody =
            serde_json::from_value(serde_json::json!({"name": "Ada Lovelace"})).unwrap();
        let mut errors = FieldErrors::default();
        assert!(body.parse(&mut errors).is_some_and(|g| g.email.is_none()));
        assert!(errors.is_empty());
    }
}
