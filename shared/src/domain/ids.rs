//! Identifiers: time-ordered UUIDs (v7), one type per kind of thing so they cannot be mixed up.
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                Uuid::try_parse(raw)
                    .map(Self)
                    .map_err(|_| Invalid::new("must be a UUID"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

id_type!(
    /// A guest's account.
    UserId
);
id_type!(
    /// A member of a vendor's staff.
    StaffId
);
id_type!(
    /// A hotel or restaurant.
    VendorId
);
id_type!(
    /// A room type or table type of one vendor.
    ResourceId
);
id_type!(
    /// A booking (a hold until it is confirmed).
    BookingId
);
id_type!(
    /// One physical room or table of a vendor.
    UnitId
);
id_type!(
    /// A period a unit is out of order.
    BlockId
);

impl BookingId {
    /// The id a booking gets from its creator and their idempotency key: retrying the same
    /// request can only ever address the same booking, so the booking itself is the idempotency
    /// record and costs no extra write.
    pub fn from_idempotency_key(creator: &str, key: &str) -> Self {
        const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b8e_4a57_4d0e_9c1f_3e7a_5b2d_8c41);
        Self(Uuid::new_v5(
            &NAMESPACE,
            format!("{creator}\n{key}").as_bytes(),
        ))
    }
}
