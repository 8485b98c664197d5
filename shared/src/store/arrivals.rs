//! A vendor's live bookings by arrival time: what the night audit reads (gsi2, never a scan).
use super::archive::POSITION_TIME;
use super::dynamo::{DynamoStore, s};
use super::memory::MemoryStore;
use crate::domain::booking::Booking;
use crate::domain::ids::VendorId;
use chrono::{DateTime, Utc};
use std::future::Future;

pub trait ArrivingBookings: Send + Sync {
    /// The vendor's live (not archived) bookings arriving in `[from, to)`, in order of arrival.
    fn arriving(
        &self,
        vendor: VendorId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Vec<Booking>>> + Send;
}

impl ArrivingBookings for DynamoStore {
    async fn arriving(
        &self,
        vendor: VendorId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Booking>> {
        // Positions are `<arrival>#<id>`; '#' sorts before every digit, so `<to>#` bounds `to`
        // out and `<from>#` bounds `from` in.
        let lower = format!("{}#", from.format(POSITION_TIME));
        let upper = format!("{}#", to.format(POSITION_TIME));
        let query = self
            .client
            .query()
            .table_name(&self.tables.bookings)
            .index_name("gsi2")
            .key_condition_expression("gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(format!("VENDOR#{vendor}")))
            .expression_attribute_values(":from", s(lower))
            .expression_attribute_values(":to", s(upper));
        let mut found = self
            .queried_bookings(query, "gsi2 by arrival", None)
            .await?;
        found.retain(|booking| booking.arrival_at < to);
        Ok(found)
    }
}

impl ArrivingBookings for MemoryStore {
    async fn arriving(
        &self,
        vendor: VendorId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Booking>> {
        let mut found: Vec<Booking> = self
            .bookings_of(vendor)
            .into_iter()
            .filter(|b| (from..to).contains(&b.arrival_at))
            .collect();
        found.sort_by_key(|b| (b.arrival_at, b.id.to_string()));
        Ok(found)
    }
}
