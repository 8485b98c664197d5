//! Invoices and credit notes: what a completed booking is billed, taxed by the vendor's
//! [`TaxRules`], and how a credit note reverses part or all of it without touching it.
//!
//! Rounding: every amount is in integer minor units. VAT is computed once per line with
//! [`TaxRules::split`] (rounded half up) and never again: the VAT total of a rate is the sum of
//! its lines' VAT, and net + VAT == gross on every line and in every total. The city tax is one
//! line of its own (persons × nights × the rate, exact), outside VAT. A credit note of an amount
//! splits it at the invoice's VAT rate as a VAT-inclusive amount, rounded half up once.
use super::booking::{Booking, BookingStatus, BookingTime};
use super::ids::{BookingId, VendorId};
use super::money::{Currency, Money};
use super::payment::DepositStatus;
use super::tax::TaxRules;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A document's number in its vendor's gap-free sequence, shared by invoices and credit notes:
/// 1, 2, 3, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocumentNumber(u64);

impl DocumentNumber {
    pub const FIRST: Self = Self(1);

    pub fn new(n: u64) -> Option<Self> {
        (n >= 1).then_some(Self(n))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// Zero-padded to twelve digits, so keys sort in number order.
    pub fn padded(self) -> String {
        format!("{:012}", self.0)
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// One night of a stay, all its units.
    Night,
    /// A restaurant seating.
    Seating,
    /// The city tax: per person per night, outside VAT.
    CityTax,
    /// Part of an invoice's amount, credited.
    Adjustment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub kind: LineKind,
    /// The night, or the seating's local date.
    pub date: NaiveDate,
    pub description: String,
    pub quantity: u32,
    pub unit_price: Money,
    /// The VAT rate applied, in basis points; 0 for none.
    pub vat_rate_bp: u16,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

/// The VAT of one rate over a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatTotal {
    pub rate_bp: u16,
    pub net: Money,
    pub vat: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Net of the taxable lines (city tax not included).
    pub net: Money,
    pub vat: Vec<VatTotal>,
    pub city_tax: Money,
    /// Everything billed: net + VAT + city tax.
    pub gross: Money,
}

impl Totals {
    fn of(lines: &[InvoiceLine], currency: Currency) -> Self {
        let money = |minor| Money {
            amount_minor: minor,
            currency,
        };
        let mut vat: Vec<VatTotal> = Vec::new();
        let (mut net, mut city_tax, mut gross) = (0, 0, 0);
        for line in lines {
            gross += line.gross.amount_minor;
            if line.kind == LineKind::CityTax {
                city_tax += line.gross.amount_minor;
                continue;
            }
            net += line.net.amount_minor;
            match vat.iter_mut().find(|t| t.rate_bp == line.vat_rate_bp) {
                Some(total) => {
                    total.net.amount_minor += line.net.amount_minor;
                    total.vat.amount_minor += line.vat.amount_minor;
                }
                None => vat.push(VatTotal {
                    rate_bp: line.vat_rate_bp,
                    net: line.net,
                    vat: line.vat,
                }),
            }
        }
        vat.retain(|t| t.rate_bp > 0);
        Self {
            net: money(net),
            vat,
            city_tax: money(city_tax),
            gross: money(gross),
        }
    }

    pub fn vat_minor(&self) -> i64 {
        self.vat.iter().map(|t| t.vat.amount_minor).sum()
    }
}

/// Why a booking gets no invoice (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotInvoiceable {
    #[error("a booking is invoiced once it is COMPLETED; this one is {0}")]
    NotCompleted(BookingStatus),
}

/// An invoice before it has its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    pub vendor_id: VendorId,
    pub booking_id: BookingId,
    pub currency: Currency,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    /// The deposit paid online and kept by the vendor (paid − refunded).
    pub deposit_applied: Money,
    /// Taken at the desk.
    pub desk_payments: Money,
    /// Gross − deposit applied − desk payments; negative when the vendor owes the guest.
    pub balance: Money,
}

impl InvoiceDraft {
    /// The bill of a COMPLETED booking: its quote's lines (each night, or the seating) taxed by
    /// `taxes`, the city tax for its party and nights, and what it was already paid.
    pub fn for_booking(booking: &Booking, taxes: &TaxRules) -> Result<Self, NotInvoiceable> {
        if booking.status != BookingStatus::Completed {
            return Err(NotInvoiceable::NotCompleted(booking.status));
        }
        let currency = booking.quote.total.currency;
        let rate = taxes.vat.map_or(0, |v| v.rate_bp.basis_points());
        let money = |minor| Money {
            amount_minor: minor,
            currency,
        };
        let stay = matches!(booking.time, BookingTime::Stay { .. });
        let mut lines: Vec<InvoiceLine> = booking
            .quote
            .lines
            .iter()
            .map(|quoted| {
                let taxed = taxes.split(quoted.amount.amount_minor);
                let (kind, description) = if stay {
                    (LineKind::Night, format!("Night of {}", quoted.date))
                } else {
                    (LineKind::Seating, format!("Seating on {}", quoted.date))
                };
                InvoiceLine {
                    kind,
                    date: quoted.date,
                    description,
                    quantity: quoted.units,
                    unit_price: quoted.unit_price,
                    vat_rate_bp: rate,
                    net: money(taxed.net_minor),
                    vat: money(taxed.vat_minor),
                    gross: money(taxed.gross_minor),
                }
            })
            .collect();
        if let (true, Some(city_tax), Some(first)) = (stay, taxes.city_tax, lines.first()) {
            let nights = u32::try_from(lines.len()).unwrap_or(u32::MAX);
            let persons = u32::from(booking.party_size.get());
            let amount = taxes.city_tax_minor(persons, nights);
            if amount > 0 {
                lines.push(InvoiceLine {
                    kind: LineKind::CityTax,
                    date: first.date,
                    description: format!("City tax, {persons} persons x {nights} nights"),
                    quantity: persons.saturating_mul(nights),
                    unit_price: money(city_tax.per_person_night_minor()),
                    vat_rate_bp: 0,
                    net: money(amount),
                    vat: money(0),
                    gross: money(amount),
                });
            }
        }
        let totals = Totals::of(&lines, currency);
        let deposit_applied = deposit_kept(booking);
        let desk: i64 = booking
            .desk_payments
            .iter()
            .map(|p| p.amount.amount_minor)
            .sum();
        Ok(Self {
            vendor_id: booking.vendor_id,
            booking_id: booking.id,
            currency,
            balance: money(totals.gross.amount_minor - deposit_applied - desk),
            lines,
            totals,
            deposit_applied: money(deposit_applied),
            desk_payments: money(desk),
        })
    }

    pub fn issue(self, number: DocumentNumber, issued_at: DateTime<Utc>) -> Invoice {
        Invoice {
            number,
            issued_at,
            draft: self,
        }
    }
}

/// What of the online deposit the vendor keeps: its settlement's `kept`, or all of it while it
/// is paid and not settled.
fn deposit_kept(booking: &Booking) -> i64 {
    let Some(deposit) = &booking.deposit_payment else {
        return 0;
    };
    match (&deposit.settlement, deposit.status, deposit.paid) {
        (Some(settlement), _, _) => settlement.kept.amount_minor,
        (None, DepositStatus::Paid, Some(paid)) => paid.amount_minor,
        _ => 0,
    }
}

/// An issued invoice: immutable once it has its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: DocumentNumber,
    pub issued_at: DateTime<Utc>,
    #[serde(flatten)]
    pub draft: InvoiceDraft,
}

/// What a credit note reverses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditRequest {
    /// These lines of the invoice (by position, from 0), in full.
    Lines(Vec<usize>),
    /// This much of the invoice's gross, VAT included.
    Amount(i64),
}

/// The longest reason a credit note keeps.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditRefused {
    #[error("name at least one line, or an amount above zero")]
    Nothing,
    #[error("the invoice has no line {0}")]
    UnknownLine(usize),
    #[error("line {0} was credited already")]
    LineCredited(usize),
    #[error("only {remaining_minor} of the invoice is left to credit")]
    ExceedsInvoice { remaining_minor: i64 },
    #[error("give a reason of 1 to {MAX_REASON_CHARS} characters")]
    Reason,
}

/// A credit note before it has its number: negative amounts, referencing the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditDraft {
    pub vendor_id: VendorId,
    pub booking_id: BookingId,
    pub invoice_number: DocumentNumber,
    pub currency: Currency,
    pub reason: String,
    /// The invoice's lines it reverses in full, by position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credited_lines: Vec<usize>,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
}

impl CreditDraft {
    /// Reverses `request` of `invoice`, given the credit notes it already has: a line is credited
    /// at most once, and all credit notes together never exceed the invoice's gross.
    pub fn of(
        invoice: &Invoice,
        earlier: &[CreditNote],
        request: &CreditRequest,
        reason: &str,
    ) -> Result<Self, CreditRefused> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(CreditRefused::Reason);
        }
        let currency = invoice.draft.currency;
        let money = |minor| Money {
            amount_minor: minor,
            currency,
        };
        let (lines, credited_lines) = match request {
            CreditRequest::Lines(positions) => {
                if positions.is_empty() {
                    return Err(CreditRefused::Nothing);
                }
                let mut wanted: Vec<usize> = positions.clone();
                wanted.sort_unstable();
                wanted.dedup();
                let mut lines = Vec::new();
                for &at in &wanted {
                    let line = invoice
                        .draft
                        .lines
                        .get(at)
                        .ok_or(CreditRefused::UnknownLine(at))?;
                    if earlier.iter().any(|c| c.draft.credited_lines.contains(&at)) {
                        return Err(CreditRefused::LineCredited(at));
                    }
                    lines.push(InvoiceLine {
                        quantity: line.quantity,
                        unit_price: line.unit_price.with_amount(-line.unit_price.amount_minor),
                        net: line.net.with_amount(-line.net.amount_minor),
                        vat: line.vat.with_amount(-line.vat.amount_minor),
                        gross: line.gross.with_amount(-line.gross.amount_minor),
                        description: format!("Credit: {}", line.description),
                        ..line.clone()
                    });
                }
                (lines, wanted)
            }
            CreditRequest::Amount(amount) => {
                if *amount <= 0 {
                    return Err(CreditRefused::Nothing);
                }
                let rate = invoice
                    .draft
                    .lines
                    .iter()
                    .find(|l| l.kind != LineKind::CityTax)
                    .map_or(0, |l| l.vat_rate_bp);
                let vat = vat_included(*amount, rate);
                let date = invoice.issued_at.date_naive();
                let line = InvoiceLine {
                    kind: LineKind::Adjustment,
                    date,
                    description: format!("Credit on invoice {}", invoice.number),
                    quantity: 1,
                    unit_price: money(-amount),
                    vat_rate_bp: rate,
                    net: money(-(amount - vat)),
                    vat: money(-vat),
                    gross: money(-amount),
                };
                (vec![line], Vec::new())
            }
        };
        let totals = Totals::of(&lines, currency);
        let credited_before: i64 = earlier
            .iter()
            .map(|c| -c.draft.totals.gross.amount_minor)
            .sum();
        let remaining = invoice.draft.totals.gross.amount_minor - credited_before;
        if -totals.gross.amount_minor > remaining {
            return Err(CreditRefused::ExceedsInvoice {
                remaining_minor: remaining.max(0),
            });
        }
        Ok(Self {
            vendor_id: invoice.draft.vendor_id,
            booking_id: invoice.draft.booking_id,
            invoice_number: invoice.number,
            currency,
            reason: reason.to_owned(),
            credited_lines,
            lines,
            totals,
        })
    }

    pub fn issue(self, number: DocumentNumber, issued_at: DateTime<Utc>) -> CreditNote {
        CreditNote {
            number,
            issued_at,
            draft: self,
        }
    }
}

/// An issued credit note: immutable, like the invoice it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNote {
    pub number: DocumentNumber,
    pub issued_at: DateTime<Utc>,
    #[serde(flatten)]
    pub draft: CreditDraft,
}

/// The VAT inside a VAT-inclusive `gross` at `rate_bp`, rounded half up.
fn vat_included(gross: i64, rate_bp: u16) -> i64 {
    let rate = i128::from(rate_bp);
    let denominator = 10_000 + rate;
    let rounded = (i128::from(gross) * rate + denominator / 2) / denominator;
    i64::try_from(rounded).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn taxes(value: serde_json::Value) -> TaxRules {
        serde_json::from_value(value).unwrap()
    }

    /// A COMPLETED stay of `party` guests with one quote line per night at these prices.
    fn stay(party: u16, nights: &[i64]) -> Booking {
        let lines: Vec<_> = nights
            .iter()
            .enumerate()
            .map(|(i, price)| {
                json!({
                    "date": format!("2026-03-{:02}", 10 + i),
                    "unit_price": {"amount_minor": price, "currency": "EUR"},
                    "units": 1,
                    "amount": {"amount_minor": price, "currency": "EUR"},
                })
            })
            .collect();
        let total: i64 = nights.iter().sum();
        serde_json::from_value(json!({
            "id": BookingId::generate(),
            "vendor_id": VendorId::generate(),
            "resource_id": crate::domain::ids::ResourceId::generate(),
            "booked_by": "staff:x",
            "channel": "walk_in",
            "party_size": party,
            "units": 1,
            "time": {"kind": "stay", "check_in": "2026-03-10", "check_out": format!("2026-03-{:02}", 10 + nights.len())},
            "time_zone": "Europe/Berlin",
            "buckets": [],
            "arrival_at": "2026-03-10T14:00:00Z",
            "quote": {"lines": lines, "total": {"amount_minor": total, "currency": "EUR"}},
            "status": "COMPLETED",
            "version": 5,
            "created_at": "2026-03-01T00:00:00Z",
            "updated_at": "2026-03-12T09:00:00Z",
        }))
        .unwrap()
    }

    fn seating(price: i64) -> Booking {
        let mut booking = stay(4, &[price]);
        booking.time = BookingTime::Seating {
            date: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            time: chrono::NaiveTime::from_hms_opt(19, 30, 0).unwrap(),
        };
        booking
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn issued(booking: &Booking, rules: &TaxRules, number: u64) -> Invoice {
        InvoiceDraft::for_booking(booking, rules).unwrap().issue(
            DocumentNumber::new(number).unwrap(),
            at("2026-03-12T09:00:00Z"),
        )
    }

    #[test]
    fn each_night_is_a_line_with_vat_included_split_half_up_once() {
        let rules = taxes(json!({"vat": {"rate_bp": 700, "basis": "included"}}));
        let draft = InvoiceDraft::for_booking(&stay(2, &[10_000, 12_345]), &rules).unwrap();
        let vats: Vec<i64> = draft.lines.iter().map(|l| l.vat.amount_minor).collect();
        // 10000 × 7/107 = 654.2 -> 654; 12345 × 7/107 = 807.6 -> 808.
        assert_eq!(vats, vec![654, 808]);
        assert!(draft.lines.iter().all(|l| l.kind == LineKind::Night));
        assert_eq!(draft.totals.gross.amount_minor, 22_345);
        assert_eq!(draft.totals.net.amount_minor, 22_345 - 1_462);
        assert_eq!(draft.totals.vat_minor(), 1_462);
        assert_eq!(draft.totals.vat.len(), 1);
        assert_eq!(draft.totals.vat[0].rate_bp, 700);
        for line in &draft.lines {
            assert_eq!(
                line.net.amount_minor + line.vat.amount_minor,
                line.gross.amount_minor
            );
        }
    }

    #[test]
    fn vat_added_raises_each_line_and_the_total() {
        let rules = taxes(json!({"vat": {"rate_bp": 1900, "basis": "added"}}));
        let draft = InvoiceDraft::for_booking(&stay(1, &[10_005, 10_005]), &rules).unwrap();
        // 10005 × 19 % = 1900.95 -> 1901 per night, once per line.
        assert_eq!(draft.lines[0].vat.amount_minor, 1_901);
        assert_eq!(draft.lines[0].gross.amount_minor, 11_906);
        assert_eq!(draft.totals.net.amount_minor, 20_010);
        assert_eq!(draft.totals.vat_minor(), 3_802);
        assert_eq!(draft.totals.gross.amount_minor, 23_812);
        assert_eq!(draft.balance.amount_minor, 23_812);
    }

    #[test]
    fn the_city_tax_is_a_line_per_person_and_night_outside_vat() {
        let rules = taxes(json!({"vat": {"rate_bp": 700}, "city_tax": 250}));
        let draft = InvoiceDraft::for_booking(&stay(3, &[8_000, 8_000]), &rules).unwrap();
        let city = draft.lines.last().unwrap();
        assert_eq!(city.kind, LineKind::CityTax);
        assert_eq!(city.quantity, 6);
        assert_eq!(city.gross.amount_minor, 1_500);
        assert_eq!(city.vat.amount_minor, 0);
        assert_eq!(draft.totals.city_tax.amount_minor, 1_500);
        assert_eq!(draft.totals.net.amount_minor, 16_000 - 2 * 523);
        assert_eq!(draft.totals.gross.amount_minor, 17_500);
    }

    #[test]
    fn a_seating_is_one_line_and_pays_no_city_tax() {
        let rules = taxes(json!({"vat": {"rate_bp": 1900}, "city_tax": 250}));
        let draft = InvoiceDraft::for_booking(&seating(5_950), &rules).unwrap();
        assert_eq!(draft.lines.len(), 1);
        assert_eq!(draft.lines[0].kind, LineKind::Seating);
        assert_eq!(draft.lines[0].vat.amount_minor, 950);
        assert_eq!(draft.totals.city_tax.amount_minor, 0);
    }

    #[test]
    fn the_kept_deposit_and_desk_payments_come_off_the_balance_which_may_go_negative() {
        let mut booking = stay(2, &[10_000]);
        booking.deposit_payment = Some(
            serde_json::from_value(json!({
                "intent_id": "pi_1",
                "status": "KEPT",
                "paid": {"amount_minor": 3_000, "currency": "EUR"},
                "settlement": {
                    "reason": "NO_SHOW",
                    "refund": {"amount_minor": 1_000, "currency": "EUR"},
                    "kept": {"amount_minor": 2_000, "currency": "EUR"},
                    "decided_at": "2026-03-12T09:00:00Z",
                },
            }))
            .unwrap(),
        );
        let desk = |amount: i64, key: &str| {
            serde_json::from_value(json!({
                "amount": {"amount_minor": amount, "currency": "EUR"},
                "method": "cash",
                "taken_by": "staff:x",
                "taken_at": "2026-03-12T08:00:00Z",
                "idempotency_key": key,
            }))
            .unwrap()
        };
        booking.desk_payments = vec![desk(5_000, "a"), desk(1_000, "b")];
        let draft = InvoiceDraft::for_booking(&booking, &TaxRules::default()).unwrap();
        assert_eq!(draft.deposit_applied.amount_minor, 2_000);
        assert_eq!(draft.desk_payments.amount_minor, 6_000);
        assert_eq!(draft.balance.amount_minor, 2_000);

        booking.desk_payments.push(desk(4_000, "c"));
        let draft = InvoiceDraft::for_booking(&booking, &TaxRules::default()).unwrap();
        assert_eq!(draft.balance.amount_minor, -2_000);
    }

    #[test]
    fn only_a_completed_booking_is_invoiced() {
        let mut booking = stay(2, &[10_000]);
        booking.status = BookingStatus::CheckedIn;
        assert_eq!(
            InvoiceDraft::for_booking(&booking, &TaxRules::default()),
            Err(NotInvoiceable::NotCompleted(BookingStatus::CheckedIn))
        );
    }

    #[test]
    fn a_credit_note_reverses_lines_once_with_negative_amounts() {
        let rules = taxes(json!({"vat": {"rate_bp": 700}, "city_tax": 250}));
        let invoice = issued(&stay(2, &[10_000, 10_000]), &rules, 7);
        let credit = CreditDraft::of(&invoice, &[], &CreditRequest::Lines(vec![1, 1]), "noise")
            .unwrap()
            .issue(DocumentNumber::new(8).unwrap(), at("2026-03-13T09:00:00Z"));
        assert_eq!(credit.draft.invoice_number, invoice.number);
        assert_eq!(credit.draft.lines.len(), 1);
        assert_eq!(credit.draft.totals.gross.amount_minor, -10_000);
        assert_eq!(credit.draft.totals.vat_minor(), -654);
        assert_eq!(
            CreditDraft::of(
                &invoice,
                std::slice::from_ref(&credit),
                &CreditRequest::Lines(vec![1]),
                "x"
            ),
            Err(CreditRefused::LineCredited(1))
        );
        assert_eq!(
            CreditDraft::of(&invoice, &[], &CreditRequest::Lines(vec![3]), "x"),
            Err(CreditRefused::UnknownLine(3))
        );
    }

    #[test]
    fn credited_amounts_never_exceed_the_invoice_and_split_vat_half_up() {
        let rules = taxes(json!({"vat": {"rate_bp": 700}}));
        let invoice = issued(&stay(2, &[10_000]), &rules, 1);
        let part = CreditDraft::of(&invoice, &[], &CreditRequest::Amount(2_500), "late")
            .unwrap()
            .issue(DocumentNumber::new(2).unwrap(), at("2026-03-13T09:00:00Z"));
        // 2500 × 7/107 = 163.55 -> 164.
        assert_eq!(part.draft.totals.vat_minor(), -164);
        assert_eq!(part.draft.totals.net.amount_minor, -2_336);
        assert_eq!(
            CreditDraft::of(
                &invoice,
                std::slice::from_ref(&part),
                &CreditRequest::Amount(7_501),
                "x"
            ),
            Err(CreditRefused::ExceedsInvoice {
                remaining_minor: 7_500
            })
        );
        assert_eq!(
            CreditDraft::of(
                &invoice,
                std::slice::from_ref(&part),
                &CreditRequest::Lines(vec![0]),
                "x"
            ),
            Err(CreditRefused::ExceedsInvoice {
                remaining_minor: 7_500
            })
        );
        assert!(CreditDraft::of(&invoice, &[part], &CreditRequest::Amount(7_500), "x").is_ok());
        assert_eq!(
            CreditDraft::of(&invoice, &[], &CreditRequest::Amount(0), "x"),
            Err(CreditRefused::Nothing)
        );
        assert_eq!(
            CreditDraft::of(&invoice, &[], &CreditRequest::Amount(1), " "),
            Err(CreditRefused::Reason)
        );
    }

    #[test]
    fn numbers_pad_to_twelve_digits_and_start_at_one() {
        assert_eq!(DocumentNumber::new(42).unwrap().padded(), "000000000042");
        assert_eq!(DocumentNumber::new(0), None);
        assert_eq!(DocumentNumber::FIRST.next().get(), 2);
    }
}
