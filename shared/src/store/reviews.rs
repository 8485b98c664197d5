//! Reviews and the rating they add up to, written together: the review (`VENDOR#<id>`,
//! `REVIEW#<booking>`) and the vendor's rating (`VENDOR#<id>`, `RATING`) in the vendors table, so
//! the rating's every version reaches the vendors stream and, through it, search.
use super::bookings::{BOOKING_SK, booking_key};
use super::dynamo::{DynamoStore, Outcome, n, s, to_item, unexplained};
use super::keys;
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{BookingId, VendorId};
use crate::domain::review::{Rating, Review};
use anyhow::Context;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use std::future::Future;

#[derive(Debug, thiserror::Error)]
pub enum ReviewWriteError {
    #[error("the booking has a review already")]
    AlreadyReviewed,
    /// Another review was counted since the rating was read: read it again.
    #[error("the rating changed since it was read")]
    RatingMoved,
    /// The booking is no longer the reviewer's completed booking.
    #[error("the booking changed since it was read")]
    BookingChanged,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<super::WriteError> for ReviewWriteError {
    fn from(err: super::WriteError) -> Self {
        Self::Unexpected(err.into())
    }
}

pub trait ReviewStore: Send + Sync {
    /// Stores the review and the rating that counts it, all or nothing: only while the booking is
    /// still the reviewer's and COMPLETED, the booking has no review yet, and the rating is still
    /// at `rating.version - 1`. So a concurrent duplicate can never be counted twice.
    fn add_review(
        &self,
        review: &Review,
        rating: &Rating,
    ) -> impl Future<Output = Result<(), ReviewWriteError>> + Send;

    fn review(
        &self,
        vendor: VendorId,
        booking: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<Review>>> + Send;

    /// `None` until the vendor's first review.
    fn rating(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = anyhow::Result<Option<Rating>>> + Send;
}

impl ReviewStore for DynamoStore {
    async fn add_review(&self, review: &Review, rating: &Rating) -> Result<(), ReviewWriteError> {
        let booking = ConditionCheck::builder()
            .table_name(&self.tables.bookings)
            .key("pk", s(booking_key(review.booking_id)))
            .key("sk", s(BOOKING_SK))
            .condition_expression("#status = :completed AND guest_id = :guest")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":completed", s(BookingStatus::Completed.as_str()))
            .expression_attribute_values(":guest", s(review.guest_id.to_string()))
            .build()
            .context("building the booking check")?;
        let vendor = keys::vendor(review.vendor_id);
        let review_put = Put::builder()
            .table_name(&self.tables.vendors)
            .set_item(Some(to_item(
                review,
                vendor.clone(),
                &keys::review(review.booking_id),
            )?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("building the review put")?;
        let rating_put = Put::builder()
            .table_name(&self.tables.vendors)
            .set_item(Some(to_item(rating, vendor, keys::RATING)?));
        let rating_put = match rating.version.checked_sub(1).filter(|v| *v > 0) {
            None => rating_put.condition_expression("attribute_not_exists(pk)"),
            Some(previous) => rating_put
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", n(previous)),
        }
        .build()
        .context("building the rating put")?;
        let outcome = self
            .transact(vec![
                TransactWriteItem::builder()
                    .condition_check(booking)
                    .build(),
                TransactWriteItem::builder().put(review_put).build(),
                TransactWriteItem::builder().put(rating_put).build(),
            ])
            .await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if outcome.failed(1) => Err(ReviewWriteError::AlreadyReviewed),
            _ if outcome.failed(0) => Err(ReviewWriteError::BookingChanged),
            _ if outcome.failed(2) => Err(ReviewWriteError::RatingMoved),
            Outcome::Cancelled(codes) => Err(unexplained("adding a review", &codes).into()),
        }
    }

    async fn review(&self, vendor: VendorId, booking: BookingId) -> anyhow::Result<Option<Review>> {
        self.get(
            &self.tables.vendors,
            keys::vendor(vendor),
            &keys::review(booking),
        )
        .await
    }

    async fn rating(&self, vendor: VendorId) -> anyhow::Result<Option<Rating>> {
        self.get(&self.tables.vendors, keys::vendor(vendor), keys::RATING)
            .await
    }
}
