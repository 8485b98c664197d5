//! The caller of an endpoint, as proven by the claims the JWT authorizer verified.
use crate::domain::account::Role;
use crate::domain::ids::{StaffId, UserId, VendorId};
use crate::http::Problem;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Guest(UserId),
    Staff {
        id: StaffId,
        vendor_id: VendorId,
        manager: bool,
    },
    /// A vendor's housekeeper: units and their statuses only, never guests or bookings.
    Housekeeping {
        id: StaffId,
        vendor_id: VendorId,
    },
    Admin(String),
}

impl Caller {
    /// The verified caller; 401 when the route was reached without verified claims.
    pub fn from_request(req: &Request) -> Result<Self, Problem> {
        let claims = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| &jwt.claims),
            _ => None,
        };
        claims
            .ok_or_else(|| {
                Problem::unauthorized("sign in and send the token as Authorization: Bearer")
            })
            .and_then(Self::from_claims)
    }

    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, Problem> {
        let invalid = || Problem::unauthorized("the token's claims are not ours");
        let sub = claims.get("sub").ok_or_else(invalid)?;
        let role: Role = claims
            .get("role")
            .and_then(|r| serde_json::from_value(serde_json::Value::String(r.clone())).ok())
            .ok_or_else(invalid)?;
        let staff_id = || StaffId::parse(sub).map_err(|_| invalid());
        let vendor_id = || {
            claims
                .get("vendor_id")
                .and_then(|v| VendorId::parse(v).ok())
                .ok_or_else(invalid)
        };
        Ok(match role {
            Role::Guest => Self::Guest(UserId::parse(sub).map_err(|_| invalid())?),
            Role::Staff => Self::Staff {
                id: staff_id()?,
                vendor_id: vendor_id()?,
                manager: claims.get("manager").is_some_and(|m| m == "true"),
            },
            Role::Housekeeping => Self::Housekeeping {
                id: staff_id()?,
                vendor_id: vendor_id()?,
            },
            Role::Admin => Self::Admin(sub.clone()),
            // Refused here, once, for every guest and staff endpoint (`auth::ChannelCaller`).
            Role::Channel => {
                return Err(Problem::forbidden(
                    "a channel's token may call only the channel endpoints",
                ));
            }
        })
    }

    /// How records name who acted: `guest:<id>`, `staff:<id>` (housekeepers too), `admin:<id>`.
    pub fn acting_as(&self) -> String {
        match self {
            Self::Guest(id) => format!("guest:{id}"),
            Self::Staff { id, .. } | Self::Housekeeping { id, .. } => format!("staff:{id}"),
            Self::Admin(id) => format!("admin:{id}"),
        }
    }

    /// The guest themself, or an admin.
    pub fn may_act_for_guest(&self, user: UserId) -> bool {
        match self {
            Self::Guest(id) => *id == user,
            Self::Admin(_) => true,
            Self::Staff { .. } | Self::Housekeeping { .. } => false,
        }
    }

    /// A manager or the front desk of the vendor, or an admin: may see and act on its bookings.
    /// Not its housekeepers.
    pub fn is_staff_of(&self, vendor: VendorId) -> bool {
        match self {
            Self::Staff { vendor_id, .. } => *vendor_id == vendor,
            Self::Admin(_) => true,
            Self::Guest(_) | Self::Housekeeping { .. } => false,
        }
    }

    /// Anyone who may see the vendor's units and set their housekeeping statuses: its
    /// housekeepers, its desk and managers, and admins.
    pub fn may_keep_house(&self, vendor: VendorId) -> bool {
        match self {
            Self::Housekeeping { vendor_id, .. } => *vendor_id == vendor,
            other => other.is_staff_of(vendor),
        }
    }

    /// A manager of the vendor, or an admin: may edit the property, its rooms/tables and staff.
    pub fn manages(&self, vendor: VendorId) -> bool {
        match self {
            Self::Staff {
                vendor_id, manager, ..
            } => *vendor_id == vendor && *manager,
            Self::Admin(_) => true,
            Self::Guest(_) | Self::Housekeeping { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn staff_claims_carry_their_vendor_and_manager_flag() {
        let vendor = VendorId::generate();
        let staff = StaffId::generate();
        let caller = Caller::from_claims(&claims(&[
            ("sub", &staff.to_string()),
            ("role", "staff"),
            ("vendor_id", &vendor.to_string()),
            ("manager", "true"),
        ]))
        .unwrap();
        assert!(caller.manages(vendor));
        assert!(!caller.manages(VendorId::generate()));
        assert!(!caller.may_act_for_guest(UserId::generate()));
    }

    #[test]
    fn a_housekeeper_keeps_house_and_nothing_else() {
        let vendor = VendorId::generate();
        let housekeeper = StaffId::generate();
        let caller = Caller::from_claims(&claims(&[
            ("sub", &housekeeper.to_string()),
            ("role", "housekeeping"),
            ("vendor_id", &vendor.to_string()),
            // A forged manager flag means nothing to this role.
            ("manager", "true"),
        ]))
        .unwrap();
        assert_eq!(
            caller,
            Caller::Housekeeping {
                id: housekeeper,
                vendor_id: vendor
            }
        );
        assert!(caller.may_keep_house(vendor));
        assert!(!caller.may_keep_house(VendorId::generate()));
        assert!(!caller.is_staff_of(vendor));
        assert!(!caller.manages(vendor));
        assert!(!caller.may_act_for_guest(UserId::generate()));
    }

    #[test]
    fn the_desk_managers_and_admins_may_keep_house_too() {
        let vendor = VendorId::generate();
        let staff = |manager| Caller::Staff {
            id: StaffId::generate(),
            vendor_id: vendor,
            manager,
        };
        assert!(staff(false).may_keep_house(vendor));
        assert!(staff(true).may_keep_house(vendor));
        assert!(!staff(false).may_keep_house(VendorId::generate()));
        assert!(Caller::Admin("ops".into()).may_keep_house(vendor));
        assert!(!Caller::Guest(UserId::generate()).may_keep_house(vendor));
    }

    #[test]
    fn a_guest_acts_only_for_themself() {
        let me = UserId::generate();
        let caller =
            Caller::from_claims(&claims(&[("sub", &me.to_string()), ("role", "guest")])).unwrap();
        assert!(caller.may_act_for_guest(me));
        assert!(!caller.may_act_for_guest(UserId::generate()));
        assert!(!caller.is_staff_of(VendorId::generate()));
    }

    #[test]
    fn claims_without_a_known_role_are_rejected() {
        let result = Caller::from_claims(&claims(&[("sub", "x"), ("role", "root")]));
        assert_eq!(result.unwrap_err().status(), http::StatusCode::UNAUTHORIZED);
        let staff_without_vendor = Caller::from_claims(&claims(&[
            ("sub", &StaffId::generate().to_string()),
            ("role", "staff"),
        ]));
        assert!(staff_without_vendor.is_err());
        let housekeeper_without_vendor = Caller::from_claims(&claims(&[
            ("sub", &StaffId::generate().to_string()),
            ("role", "housekeeping"),
        ]));
        assert!(housekeeper_without_vendor.is_err());
    }
}
