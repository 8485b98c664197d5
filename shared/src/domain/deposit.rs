//! Deposits against no-shows and what a cancellation costs. Both are a vendor's policy, copied onto
//! each booking when it is held, so a later edit of the policy never changes a booking already
//! made. All amounts are minor units of the booking's currency; percentages round half up.
use super::Invalid;
use super::money::Money;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A whole percentage from 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Percent(u8);

impl Percent {
    pub fn new(percent: i64) -> Result<Self, Invalid> {
        u8::try_from(percent)
            .ok()
            .filter(|p| (1..=100).contains(p))
            .map(Self)
            .ok_or_else(|| Invalid::new("must be a whole percentage from 1 to 100"))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// `percent` of `amount`, rounded half up to what a card payment can move: a minor unit,
    /// or ten of them in the three-decimal currencies (`Currency::payment_step`).
    fn of(self, amount: Money) -> Money {
        amount.share_payable(i64::from(self.0), 100)
    }
}

impl TryFrom<i64> for Percent {
    type Error = Invalid;

    fn try_from(percent: i64) -> Result<Self, Invalid> {
        Self::new(percent)
    }
}

impl From<Percent> for u8 {
    fn from(percent: Percent) -> u8 {
        percent.0
    }
}

/// An amount or a share of the booking's quoted price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Charge {
    Fixed { amount: Money },
    Percent { percent: Percent },
}

impl Charge {
    /// What it comes to on a booking of `total`: a whole number of payment steps (a deposit is
    /// charged, a fee kept out of a refund, so both must be amounts a card payment can move),
    /// never more than the total (rounded down to a step), and a fixed amount must be in the
    /// booking's currency.
    pub fn on(self, total: Money) -> Result<Money, Invalid> {
        let amount = match self {
            Self::Fixed { amount } if amount.currency != total.currency => {
                return Err(Invalid::new(format!(
                    "is in {} but the price is in {}",
                    amount.currency, total.currency
                )));
            }
            // Checked at save time to be payable; one saved before that is rounded.
            Self::Fixed { amount } => amount.share_payable(1, 1),
            Self::Percent { percent } => percent.of(total),
        };
        Ok(Money {
            amount_minor: amount.amount_minor.min(total.floor_payable().amount_minor),
            currency: total.currency,
        })
    }
}

/// What a guest pays when booking, held against a no-show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DepositPolicy {
    /// Nothing is charged: a hold is confirmed at once.
    #[default]
    None,
    Fixed {
        amount: Money,
    },
    Percent {
        percent: Percent,
    },
}

impl DepositPolicy {
    /// The deposit a booking of `total` takes; `None` when nothing is to be paid.
    pub fn deposit_for(self, total: Money) -> Result<Option<Money>, Invalid> {
        let charge = match self {
            Self::None => return Ok(None),
            Self::Fixed { amount } => Charge::Fixed { amount },
            Self::Percent { percent } => Charge::Percent { percent },
        };
        let deposit = charge.on(total)?;
        Ok((deposit.amount_minor > 0).then_some(deposit))
    }
}

/// Cancelling is free until `free_until_hours` before arrival; later it costs `late_fee` (none:
/// always free), kept out of the deposit. A guest not there `no_show_grace_minutes` after the
/// arrival time is a no-show (none: the platform's default for the kind, `terms::no_show_from`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationPolicy {
    pub free_until_hours: FreeHours,
    pub late_fee: Option<Charge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_show_grace_minutes: Option<GraceMinutes>,
}

/// How long after the arrival time a guest still counts as coming: at most a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u16")]
pub struct GraceMinutes(u16);

impl GraceMinutes {
    const MAX: u16 = 24 * 60;

    pub fn new(minutes: i64) -> Result<Self, Invalid> {
        u16::try_from(minutes)
            .ok()
            .filter(|m| *m <= Self::MAX)
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 0 and {}", Self::MAX)))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for GraceMinutes {
    type Error = Invalid;

    fn try_from(minutes: i64) -> Result<Self, Invalid> {
        Self::new(minutes)
    }
}

impl From<GraceMinutes> for u16 {
    fn from(minutes: GraceMinutes) -> u16 {
        minutes.0
    }
}

/// Hours before arrival, at most a year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct FreeHours(u32);

impl FreeHours {
    const MAX: u32 = 24 * 366;

    pub fn new(hours: i64) -> Result<Self, Invalid> {
        u32::try_from(hours)
            .ok()
            .filter(|h| *h <= Self::MAX)
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 0 and {}", Self::MAX)))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for FreeHours {
    type Error = Invalid;

    fn try_from(hours: i64) -> Result<Self, Invalid> {
        Self::new(hours)
    }
}

impl From<FreeHours> for u32 {
    fn from(hours: FreeHours) -> u32 {
        hours.0
    }
}

impl CancellationPolicy {
    /// The last instant a booking arriving at `arrival_at` can be cancelled for free.
    pub fn free_until(&self, arrival_at: DateTime<Utc>) -> DateTime<Utc> {
        arrival_at - Duration::hours(i64::from(self.free_until_hours.get()))
    }

    /// What goes back to the guest when they cancel at `at`: the whole deposit within the free
    /// window, else the deposit less the late fee (the fee can't take more than was paid).
    pub fn refund(
        &self,
        paid: Money,
        total: Money,
        arrival_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Money, Invalid> {
        let fee = match self.late_fee {
            Some(fee) if at > self.free_until(arrival_at) => fee.on(total)?,
            _ => Money {
                amount_minor: 0,
                currency: paid.currency,
            },
        };
        Ok(Money {
            amount_minor: (paid.amount_minor - fee.amount_minor).max(0),
            currency: paid.currency,
        })
    }
}

/// What was agreed about money when a booking was held: its deposit (none: nothing to pay, the
/// booking is confirmed at once) and what cancelling costs. Later policy edits don't change it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTerms {
    pub deposit: Option<Money>,
    pub cancellation: CancellationPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::price(minor, "EUR").unwrap()
    }

    fn percent(p: i64) -> Percent {
        Percent::new(p).unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
    }

    #[test]
    fn a_percentage_is_a_whole_number_from_one_to_a_hundred() {
        assert!(Percent::new(1).is_ok());
        assert!(Percent::new(100).is_ok());
        for bad in [0, 101, -5, 1_000] {
            assert!(Percent::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_deposit_policy_charges_nothing() {
        assert_eq!(DepositPolicy::None.deposit_for(eur(25_800)).unwrap(), None);
    }

    #[test]
    fn a_percentage_deposit_rounds_half_up_to_a_minor_unit() {
        let thirty = DepositPolicy::Percent {
            percent: percent(30),
        };
        // 30% of 258.00 is 77.40; of 0.05 it is 0.015, which rounds to 0.02.
        assert_eq!(thirty.deposit_for(eur(25_800)).unwrap(), Some(eur(7_740)));
        assert_eq!(thirty.deposit_for(eur(5)).unwrap(), Some(eur(2)));
        // 30% of 0.01 rounds to nothing: there is nothing to charge.
        assert_eq!(thirty.deposit_for(eur(1)).unwrap(), None);
    }

    #[test]
    fn a_fixed_deposit_never_exceeds_the_price_and_must_be_in_its_currency() {
        let fifty = DepositPolicy::Fixed { amount: eur(5_000) };
        assert_eq!(fifty.deposit_for(eur(25_800)).unwrap(), Some(eur(5_000)));
        assert_eq!(fifty.deposit_for(eur(3_000)).unwrap(), Some(eur(3_000)));
        let yen = Money::price(20_000, "JPY").unwrap();
        assert!(fifty.deposit_for(yen).is_err());
    }

    #[test]
    fn three_decimal_deposits_fees_and_refunds_are_whole_hundredths() {
        let kwd = |minor| Money::price(minor, "KWD").unwrap();
        let twenty = DepositPolicy::Percent {
            percent: percent(20),
        };
        let late = CancellationPolicy {
            free_until_hours: FreeHours::new(48).unwrap(),
            late_fee: Some(Charge::Percent {
                percent: percent(10),
            }),
            no_show_grace_minutes: None,
        };
        let arrival = at("2027-03-27T14:00:00Z");

        // 20% of 12.345 KWD is 2.469: 2.470 is charged.
        let deposit = twenty.deposit_for(kwd(12_345)).unwrap().unwrap();
        // A 10% fee is 1.2345: 1.230 is kept, so 1.240 goes back.
        let refund = late
            .refund(deposit, kwd(12_345), arrival, at("2027-03-27T10:00:00Z"))
            .unwrap();
        // A fixed 5.000 deposit on a 4.995 stay takes what a card can: 4.990.
        let capped = DepositPolicy::Fixed { amount: kwd(5_000) }
            .deposit_for(kwd(4_995))
            .unwrap();

        assert_eq!(deposit, kwd(2_470));
        assert_eq!(refund, kwd(1_240));
        assert_eq!(capped, Some(kwd(4_990)));
        assert!(refund.is_payable() && deposit.is_payable());
    }

    #[test]
    fn cancelling_inside_the_free_window_refunds_everything() {
        let policy = CancellationPolicy {
            free_until_hours: FreeHours::new(48).unwrap(),
            late_fee: Some(Charge::Percent {
                percent: percent(50),
            }),
            no_show_grace_minutes: None,
        };
        let arrival = at("2027-03-27T14:00:00Z");

        let refund = policy
            .refund(eur(7_740), eur(25_800), arrival, at("2027-03-25T14:00:00Z"))
            .unwrap();

        assert_eq!(refund, eur(7_740));
    }

    #[test]
    fn cancelling_late_keeps_the_fee_out_of_the_deposit_and_never_more_than_was_paid() {
        let arrival = at("2027-03-27T14:00:00Z");
        let late = at("2027-03-25T14:00:01Z");
        let half = CancellationPolicy {
            free_until_hours: FreeHours::new(48).unwrap(),
            late_fee: Some(Charge::Percent {
                percent: percent(20),
            }),
            no_show_grace_minutes: None,
        };
        let fixed = CancellationPolicy {
            late_fee: Some(Charge::Fixed {
                amount: eur(10_000),
            }),
            ..half
        };

        // 20% of 258.00 = 51.60 kept out of a 77.40 deposit: 25.80 back.
        assert_eq!(
            half.refund(eur(7_740), eur(25_800), arrival, late).unwrap(),
            eur(7_740 - 5_160)
        );
        // A 100.00 fee on a 77.40 deposit keeps all of it and no more.
        assert_eq!(
            fixed
                .refund(eur(7_740), eur(25_800), arrival, late)
                .unwrap(),
            eur(0)
        );
    }

    #[test]
    fn without_a_late_fee_cancelling_is_always_free() {
        let policy = CancellationPolicy::default();
        let arrival = at("2027-03-27T14:00:00Z");

        let refund = policy
            .refund(
                eur(7_740),
                eur(25_800),
                arrival,
                arrival + Duration::hours(1),
            )
            .unwrap();

        assert_eq!(refund, eur(7_740));
    }

    #[test]
    fn policies_read_and_write_as_tagged_json() {
        let deposit: DepositPolicy =
            serde_json::from_value(serde_json::json!({"kind": "percent", "percent": 30})).unwrap();
        assert_eq!(
            deposit,
            DepositPolicy::Percent {
                percent: percent(30)
            }
        );
        let policy: CancellationPolicy = serde_json::from_value(serde_json::json!({
            "free_until_hours": 24,
            "late_fee": {"kind": "fixed", "amount": {"amount_minor": 2_000, "currency": "EUR"}}
        }))
        .unwrap();
        assert_eq!(policy.free_until_hours.get(), 24);
        assert!(
            serde_json::from_value::<DepositPolicy>(
                serde_json::json!({"kind": "percent", "percent": 0})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<CancellationPolicy>(
                serde_json::json!({"free_until_hours": -1, "late_fee": null})
            )
            .is_err()
        );
    }
}
