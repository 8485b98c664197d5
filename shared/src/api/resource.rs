//! A room type or table type as clients send it, for create (all required) and update (any).
use crate::domain::calendar::{CheckInTime, SlotGrid};
use crate::domain::deposit::{
    CancellationPolicy, Charge, DepositPolicy, FreeHours, GraceMinutes, Percent,
};
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::inventory::OverbookingAllowance;
use crate::domain::money::{Currency, Money};
use crate::domain::pricing::{PricePlan, PriceRule};
use crate::domain::resource::{Capacity, Resource, ResourceKind, ShardCount, UnitCount};
use crate::domain::text::{self, Description, Title};
use crate::domain::window::BookingWindow;
use crate::domain::{FieldErrors, Invalid};
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRuleInput {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub weekdays: Option<Vec<Weekday>>,
    pub amount_minor: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowInput {
    pub max_days_ahead: Option<i64>,
    pub min_notice_minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatingInput {
    pub slot_minutes: Option<i64>,
    pub seating_minutes: Option<i64>,
}

/// A deposit or a late-cancellation fee: `{"kind": "none" | "fixed" | "percent", "amount": {...},
/// "percent": n}` (`none` only for deposits).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargeInput {
    pub kind: Option<String>,
    pub amount: Option<PriceInput>,
    pub percent: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationInput {
    pub free_until_hours: Option<i64>,
    /// `null`: cancelling is always free.
    pub late_fee: Option<ChargeInput>,
    /// Left out: the platform's default grace for the kind (rooms: to the end of the arrival
    /// day, so the night audit closing it marks the no-show; tables: 30 minutes).
    pub no_show_grace_minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub capacity: Option<i64>,
    pub units: Option<i64>,
    pub base_price: Option<PriceInput>,
    pub amenities: Option<Vec<String>>,
    pub price_rules: Option<Vec<PriceRuleInput>>,
    pub overbooking_percent: Option<i64>,
    /// Counter items per bucket (1 to 16); may be raised, never lowered.
    pub shards: Option<i64>,
    pub booking_window: Option<WindowInput>,
    /// Room types only, `HH:MM` local.
    pub check_in_time: Option<String>,
    /// Table types only.
    pub seating: Option<SeatingInput>,
    pub deposit: Option<ChargeInput>,
    pub cancellation: Option<CancellationInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ResourceChanges {
    pub name: Option<Title>,
    pub description: Option<Description>,
    pub capacity: Option<Capacity>,
    pub units: Option<UnitCount>,
    pub base_price: Option<Money>,
    pub amenities: Option<Vec<String>>,
    /// Checked against the base price once both are known (see `apply`).
    pub price_rules: Option<Vec<PriceRule>>,
    pub overbooking_percent: Option<OverbookingAllowance>,
    pub shards: Option<ShardCount>,
    /// Members not sent keep their current value (their default on create).
    pub booking_window: Option<WindowInput>,
    pub check_in_time: Option<CheckInTime>,
    /// Members not sent keep their current value (their default on create).
    pub seating: Option<SeatingInput>,
    pub deposit: Option<DepositPolicy>,
    pub cancellation: Option<CancellationPolicy>,
}

fn price_rules(input: Vec<PriceRuleInput>, errors: &mut FieldErrors) -> Option<Vec<PriceRule>> {
    let mut rules = Vec::with_capacity(input.len());
    for (i, rule) in input.into_iter().enumerate() {
        let at = format!("/price_rules/{i}");
        let from = errors.require(&format!("{at}/from"), rule.from, Ok);
        let to = errors.require(&format!("{at}/to"), rule.to, Ok);
        let amount = errors.require(&format!("{at}/amount_minor"), rule.amount_minor, Ok);
        if let (Some(from), Some(to), Some(amount)) = (from, to, amount) {
            rules.extend(errors.check(&at, PriceRule::new(from, to, rule.weekdays, amount)));
        }
    }
    Some(rules)
}

fn price(
    at: &str,
    input: PriceInput,
    vendor_currency: Currency,
    errors: &mut FieldErrors,
) -> Option<Money> {
    let amount = errors.require(&format!("{at}/amount_minor"), input.amount_minor, Ok);
    // The currency may be left out; if given it must be the vendor's.
    let currency = errors.check(
        &format!("{at}/currency"),
        match input.currency {
            None => Ok(vendor_currency),
            Some(code) => Currency::parse(&code).and_then(|c| {
                if c == vendor_currency {
                    Ok(c)
                } else {
                    Err(Invalid::new(format!(
                        "must be the vendor's currency, {vendor_currency}"
                    )))
                }
            }),
        },
    );
    errors.check(
        &format!("{at}/amount_minor"),
        Money::price(amount?, currency?.code()),
    )
}

/// A charge's input, checked: `Ok(None)` for `none` where allowed.
fn charge(
    at: &str,
    input: ChargeInput,
    vendor_currency: Currency,
    allow_none: bool,
    errors: &mut FieldErrors,
) -> Option<Option<Charge>> {
    let kinds = if allow_none {
        "none, fixed or percent"
    } else {
        "fixed or percent"
    };
    match input.kind.as_deref() {
        Some("none") if allow_none => Some(None),
        Some("fixed") => {
            let amount = errors.require(&format!("{at}/amount"), input.amount, Ok)?;
            let amount = price(&format!("{at}/amount"), amount, vendor_currency, errors)?;
            Some(Some(Charge::Fixed { amount }))
        }
        Some("percent") => {
            let percent = errors.require(&format!("{at}/percent"), input.percent, Percent::new)?;
            Some(Some(Charge::Percent { percent }))
        }
        Some(_) => {
            errors.push(&format!("{at}/kind"), format!("must be {kinds}"));
            None
        }
        None => {
            errors.push(&format!("{at}/kind"), format!("is required: {kinds}"));
            None
        }
    }
}

impl ResourceInput {
    pub fn validate(
        self,
        vendor_currency: Currency,
        kind: ResourceKind,
        creating: bool,
        errors: &mut FieldErrors,
    ) -> ResourceChanges {
        if creating {
            for (pointer, missing) in [
                ("/name", self.name.is_none()),
                ("/capacity", self.capacity.is_none()),
                ("/units", self.units.is_none()),
                ("/base_price", self.base_price.is_none()),
            ] {
                if missing {
                    errors.push(pointer, "is required");
                }
            }
        }
        ResourceChanges {
            name: self
                .name
                .and_then(|v| errors.check("/name", Title::parse(&v))),
            description: self
                .description
                .and_then(|v| errors.check("/description", Description::parse(&v))),
            capacity: self
                .capacity
                .and_then(|v| errors.check("/capacity", Capacity::new(v))),
            units: self
                .units
                .and_then(|v| errors.check("/units", UnitCount::new(v))),
            base_price: self
                .base_price
                .and_then(|v| price("/base_price", v, vendor_currency, errors)),
            amenities: self
                .amenities
                .and_then(|v| errors.check("/amenities", text::tags(&v, 50))),
            price_rules: self.price_rules.and_then(|v| price_rules(v, errors)),
            overbooking_percent: self
                .overbooking_percent
                .and_then(|v| errors.check("/overbooking_percent", OverbookingAllowance::new(v))),
            shards: self
                .shards
                .and_then(|v| errors.check("/shards", ShardCount::new(v))),
            booking_window: self.booking_window.map(|w| {
                // Each member on its own, so the error names it; they are combined in `apply`.
                let defaults = BookingWindow::default();
                let max =
                    errors.check_opt("/booking_window/max_days_ahead", w.max_days_ahead, |v| {
                        BookingWindow::new(v, i64::from(defaults.min_notice_minutes())).map(|_| v)
                    });
                let notice = errors.check_opt(
                    "/booking_window/min_notice_minutes",
                    w.min_notice_minutes,
                    |v| BookingWindow::new(i64::from(defaults.max_days_ahead()), v).map(|_| v),
                );
                WindowInput {
                    max_days_ahead: max.flatten(),
                    min_notice_minutes: notice.flatten(),
                }
            }),
            check_in_time: match (self.check_in_time, kind) {
                (None, _) => None,
                (Some(_), ResourceKind::TableType) => {
                    errors.push("/check_in_time", "only room types have a check-in time");
                    None
                }
                (Some(v), ResourceKind::RoomType) => {
                    errors.check("/check_in_time", CheckInTime::parse(&v))
                }
            },
            seating: match (self.seating, kind) {
                (None, _) => None,
                (Some(_), ResourceKind::RoomType) => {
                    errors.push("/seating", "only table types have seatings");
                    None
                }
                (Some(v), ResourceKind::TableType) => Some(v),
            },
            deposit: self.deposit.and_then(|v| {
                let policy =
                    charge("/deposit", v, vendor_currency, true, errors).map(|c| match c {
                        None => DepositPolicy::None,
                        Some(Charge::Fixed { amount }) => DepositPolicy::Fixed { amount },
                        Some(Charge::Percent { percent }) => DepositPolicy::Percent { percent },
                    })?;
                // A deposit nobody could pay would leave every hold unpayable.
                if policy != DepositPolicy::None
                    && let Err(reason) = crate::payments::chargeable(vendor_currency)
                {
                    errors.push("/deposit", format!("cannot be taken: {reason}"));
                    return None;
                }
                Some(policy)
            }),
            cancellation: self.cancellation.and_then(|v| {
                let hours = errors.require(
                    "/cancellation/free_until_hours",
                    v.free_until_hours,
                    FreeHours::new,
                );
                let late_fee = match v.late_fee {
                    None => Some(None),
                    Some(fee) => charge(
                        "/cancellation/late_fee",
                        fee,
                        vendor_currency,
                        false,
                        errors,
                    ),
                };
                let grace = errors.check_opt(
                    "/cancellation/no_show_grace_minutes",
                    v.no_show_grace_minutes,
                    GraceMinutes::new,
                );
                Some(CancellationPolicy {
                    free_until_hours: hours?,
                    late_fee: late_fee?,
                    no_show_grace_minutes: grace?,
                })
            }),
        }
    }
}

impl ResourceChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.capacity.is_none()
            && self.units.is_none()
            && self.base_price.is_none()
            && self.amenities.is_none()
            && self.price_rules.is_none()
            && self.overbooking_percent.is_none()
            && self.shards.is_none()
            && self.booking_window.is_none()
            && self.check_in_time.is_none()
            && self.seating.is_none()
            && self.deposit.is_none()
            && self.cancellation.is_none()
    }

    /// A new room or table type from a create request's changes (validated with `creating`):
    /// the required fields, then everything else given, with the defaults for the rest.
    pub fn into_resource(
        self,
        vendor_id: VendorId,
        kind: ResourceKind,
        now: DateTime<Utc>,
    ) -> Result<Resource, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.require("/name", self.name.clone(), Ok);
        let capacity = errors.require("/capacity", self.capacity, Ok);
        let units = errors.require("/units", self.units, Ok);
        let base_price = errors.require("/base_price", self.base_price, Ok);
        let (Some(name), Some(capacity), Some(units), Some(base_price)) =
            (name, capacity, units, base_price)
        else {
            return Err(errors);
        };
        let mut resource = Resource {
            id: ResourceId::generate(),
            vendor_id,
            kind,
            name,
            description: Description::empty(),
            capacity,
            units,
            shards: Default::default(),
            units_in_service: None,
            base_price,
            amenities: Vec::new(),
            price_rules: Vec::new(),
            overbooking_percent: Default::default(),
            booking_window: Default::default(),
            check_in_time: None,
            seating: None,
            deposit: DepositPolicy::default(),
            cancellation: CancellationPolicy::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.apply(&mut resource)?;
        if kind == ResourceKind::TableType && resource.seating.is_none() {
            // Stored explicitly, so the grid its bookings are counted on can never shift.
            resource.seating = Some(resource.seating_grid());
        }
        Ok(resource)
    }

    /// Writes the given fields over the resource's current ones. The price rules must fit the
    /// resulting base price (same currency, amounts in range): a 422 on `/price_rules` if not.
    pub fn apply(self, resource: &mut Resource) -> Result<(), FieldErrors> {
        if let Some(v) = self.name {
            resource.name = v;
        }
        if let Some(v) = self.description {
            resource.description = v;
        }
        if let Some(v) = self.capacity {
            resource.capacity = v;
        }
        if let Some(v) = self.units {
            // Registered rooms or tables set the count: it moves with them, in their transaction.
            if let Some(in_service) = resource.units_in_service
                && v.get() != in_service
            {
                let mut errors = FieldErrors::default();
                errors.push(
                    "/units",
                    format!(
                        "follows this type's {in_service} rooms or tables in service: register, \
                         or take in or out of service, a unit instead"
                    ),
                );
                return Err(errors);
            }
            resource.units = v;
        }
        if let Some(v) = self.base_price {
            resource.base_price = v;
        }
        if let Some(v) = self.amenities {
            resource.amenities = v;
        }
        if let Some(v) = self.price_rules {
            resource.price_rules = v;
        }
        if let Some(v) = self.overbooking_percent {
            resource.overbooking_percent = v;
        }
        if let Some(v) = self.shards {
            // Readers sum the shards the type has now: a removed shard's sales would go uncounted.
            if v < resource.shards {
                let mut errors = FieldErrors::default();
                errors.push(
                    "/shards",
                    format!(
                        "may be raised, never lowered (it is {})",
                        resource.shards.get()
                    ),
                );
                return Err(errors);
            }
            resource.shards = v;
        }
        if let Some(v) = self.deposit {
            resource.deposit = v;
        }
        if let Some(v) = self.cancellation {
            resource.cancellation = v;
        }
        let mut errors = FieldErrors::default();
        if let Some(w) = self.booking_window {
            let current = resource.booking_window;
            let max = w
                .max_days_ahead
                .unwrap_or(i64::from(current.max_days_ahead()));
            let notice = w
                .min_notice_minutes
                .unwrap_or(i64::from(current.min_notice_minutes()));
            if let Some(window) = errors.check("/booking_window", BookingWindow::new(max, notice)) {
                resource.booking_window = window;
            }
        }
        if let Some(v) = self.check_in_time {
            resource.check_in_time = Some(v);
        }
        if let Some(seating) = self.seating {
            let current = resource.seating_grid();
            let slot = seating
                .slot_minutes
                .unwrap_or(i64::from(current.slot_minutes()));
            // Bookings are counted per slot: moving the grid under them would let a new seating
            // miss an old one that overlaps it. The seating length may change.
            if resource.seating.is_some() && slot != i64::from(current.slot_minutes()) {
                errors.push(
                    "/seating/slot_minutes",
                    "is fixed once set; create a new table type for another grid",
                );
            } else {
                let length = seating
                    .seating_minutes
                    .unwrap_or(i64::from(current.seating_minutes()));
                if let Some(grid) = errors.check("/seating", SlotGrid::new(slot, length)) {
                    resource.seating = Some(grid);
                }
            }
        }
        errors.check(
            "/price_rules",
            PricePlan::new(resource.base_price, resource.price_rules.clone()),
        );
        payable_charges(resource, &mut errors);
        errors.finish()
    }
}

/// What the type's deposit and fee come to must be something a card payment can move: fixed
/// amounts in whole payment steps (tens of minor units in the three-decimal currencies), and a
/// deposit never below Stripe's minimum charge. A deposit is at its smallest on the cheapest
/// booking the type can have (one unit for one night or one seating at the lowest price among
/// the base price and the price rules; free nights are left out, a booking of only those takes
/// no deposit), so that one is checked: every other booking's deposit is at least as large.
fn payable_charges(resource: &Resource, errors: &mut FieldErrors) {
    let step_rule = |money: Money| {
        format!(
            "must be a whole number of {} minor units: card payments in {} move in those",
            money.currency.payment_step(),
            money.currency
        )
    };
    if let DepositPolicy::Fixed { amount } = resource.deposit
        && !amount.is_payable()
    {
        errors.push("/deposit/amount/amount_minor", step_rule(amount));
    }
    if let Some(Charge::Fixed { amount }) = resource.cancellation.late_fee
        && !amount.is_payable()
    {
        errors.push(
            "/cancellation/late_fee/amount/amount_minor",
            step_rule(amount),
        );
    }
    let Some(minimum) = crate::payments::minimum_charge(resource.base_price.currency) else {
        return;
    };
    let lowest = std::iter::once(resource.base_price.amount_minor)
        .chain(resource.price_rules.iter().map(|r| r.amount_minor()))
        .filter(|amount| *amount > 0)
        .min()
        .map(|amount| resource.base_price.with_amount(amount));
    let smallest =
        lowest.and_then(|price| Some((price, resource.deposit.deposit_for(price).ok()??)));
    if let Some((price, deposit)) = smallest
        && deposit.amount_minor < minimum.amount_minor
    {
        errors.push(
            "/deposit",
            format!(
                "would be {} minor units on the cheapest booking (one unit at {}), below the \
                 {} Stripe charges at least in {}",
                deposit.amount_minor, price.amount_minor, minimum.amount_minor, minimum.currency
            ),
        );
    }
}
