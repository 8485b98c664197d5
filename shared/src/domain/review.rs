//! Guests' reviews of a finished stay or meal, and the rating they add up to for a vendor.
use super::Invalid;
use super::booking::{Booking, BookingStatus};
use super::ids::{BookingId, UserId, VendorId};
use super::text::bounded;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One to five stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Stars(u8);

impl Stars {
    pub const MAX: u8 = 5;

    pub fn new(stars: i64) -> Result<Self, Invalid> {
        u8::try_from(stars)
            .ok()
            .filter(|s| (1..=Self::MAX).contains(s))
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be a whole number from 1 to {}", Self::MAX)))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Stars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a guest writes with their stars: trimmed, up to 2000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReviewComment(String);

impl ReviewComment {
    pub const MAX_CHARS: usize = 2000;

    /// `None` for a comment that is only whitespace: nothing was said.
    pub fn parse(raw: &str) -> Result<Option<Self>, Invalid> {
        let text = bounded(raw, 0, Self::MAX_CHARS)?;
        Ok((!text.is_empty()).then_some(Self(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A guest's review of one of their bookings; a booking has at most one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub booking_id: BookingId,
    pub vendor_id: VendorId,
    pub guest_id: UserId,
    pub stars: Stars,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<ReviewComment>,
    pub created_at: DateTime<Utc>,
}

/// Why a booking cannot be reviewed by this guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotReviewable {
    #[error("only the booking's own guest may review it")]
    NotTheGuest,
    #[error("only a COMPLETED booking can be reviewed; this one is {0}")]
    NotCompleted(BookingStatus),
}

impl Review {
    /// The guest's review of `booking`: theirs, and finished (a stay checked out, a meal eaten).
    pub fn of(
        booking: &Booking,
        guest: UserId,
        stars: Stars,
        comment: Option<ReviewComment>,
        now: DateTime<Utc>,
    ) -> Result<Self, NotReviewable> {
        if booking.guest_id != Some(guest) {
            return Err(NotReviewable::NotTheGuest);
        }
        if booking.status != BookingStatus::Completed {
            return Err(NotReviewable::NotCompleted(booking.status));
        }
        Ok(Self {
            booking_id: booking.id,
            vendor_id: booking.vendor_id,
            guest_id: guest,
            stars,
            comment,
            created_at: now,
        })
    }

    /// The same review sent again (a retry): same guest, stars and words.
    pub fn repeats(&self, other: &Review) -> bool {
        self.booking_id == other.booking_id
            && self.guest_id == other.guest_id
            && self.stars == other.stars
            && self.comment == other.comment
    }
}

/// A vendor's rating: every review's stars added up, and how many there are. Each review moves
/// `version` up by one, so every version is a fact for the event backbone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub vendor_id: VendorId,
    pub stars_total: u64,
    pub count: u64,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl Rating {
    /// The rating once `review` is counted into `previous` (none before the vendor's first
    /// review). Its time never goes back, even if this clock is behind the last writer's, so
    /// whatever is stamped with it (a search listing) sees each version as the newer one.
    pub fn counting(previous: Option<&Rating>, review: &Review) -> Self {
        let stars = u64::from(review.stars.get());
        match previous {
            None => Self {
                vendor_id: review.vendor_id,
                stars_total: stars,
                count: 1,
                version: 1,
                updated_at: review.created_at,
            },
            Some(previous) => Self {
                vendor_id: previous.vendor_id,
                stars_total: previous.stars_total + stars,
                count: previous.count + 1,
                version: previous.version + 1,
                updated_at: review.created_at.max(previous.updated_at),
            },
        }
    }

    /// What guests see: the average to one decimal and the count; `None` before any review.
    pub fn summary(&self) -> Option<RatingSummary> {
        if self.count == 0 {
            return None;
        }
        // Tenths, rounded half up, in integers so 4.45 never becomes 4.4 by float error.
        let tenths = (self.stars_total * 20 + self.count) / (2 * self.count);
        Some(RatingSummary {
            average: tenths as f64 / 10.0,
            count: self.count,
        })
    }
}

/// A vendor's average stars (to one decimal) over `count` reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatingSummary {
    pub average: f64,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::fixtures::{hold, next};

    fn completed() -> Booking {
        next(&hold(), |b| b.status = BookingStatus::Completed)
    }

    fn guest_of(booking: &Booking) -> UserId {
        booking.guest_id.unwrap()
    }

    #[test]
    fn stars_are_whole_numbers_from_one_to_five() {
        assert_eq!(Stars::new(1).unwrap().get(), 1);
        assert_eq!(Stars::new(5).unwrap().get(), 5);
        for bad in [0, 6, -1, 256, i64::MAX] {
            assert!(Stars::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_comment_is_trimmed_bounded_and_blank_means_none() {
        assert_eq!(
            ReviewComment::parse("  Quiet room, great breakfast.\n")
                .unwrap()
                .unwrap()
                .as_str(),
            "Quiet room, great breakfast."
        );
        assert_eq!(ReviewComment::parse("   \n ").unwrap(), None);
        assert!(ReviewComment::parse(&"é".repeat(2000)).unwrap().is_some());
        assert!(ReviewComment::parse(&"é".repeat(2001)).is_err());
        assert!(ReviewComment::parse("bell\u{7}").is_err());
    }

    #[test]
    fn only_the_guest_of_a_completed_booking_may_review_it() {
        let booking = completed();
        let stars = Stars::new(4).unwrap();
        let stranger = UserId::parse("0195a1b2-0000-7000-8000-0000000000d9").unwrap();
        let confirmed = next(&hold(), |b| b.status = BookingStatus::Confirmed);

        let review = Review::of(&booking, guest_of(&booking), stars, None, Utc::now()).unwrap();

        assert_eq!(review.vendor_id, booking.vendor_id);
        assert_eq!(
            Review::of(&booking, stranger, stars, None, Utc::now()),
            Err(NotReviewable::NotTheGuest)
        );
        assert_eq!(
            Review::of(&confirmed, guest_of(&confirmed), stars, None, Utc::now()),
            Err(NotReviewable::NotCompleted(BookingStatus::Confirmed))
        );
        let front_desk = next(&booking, |b| b.guest_id = None);
        assert_eq!(
            Review::of(&front_desk, guest_of(&booking), stars, None, Utc::now()),
            Err(NotReviewable::NotTheGuest)
        );
    }

    #[test]
    fn a_retry_repeats_the_review_but_other_stars_or_words_do_not() {
        let booking = completed();
        let guest = guest_of(&booking);
        let comment = ReviewComment::parse("Lovely").unwrap();
        let first = Review::of(
            &booking,
            guest,
            Stars::new(5).unwrap(),
            comment.clone(),
            Utc::now(),
        )
        .unwrap();
        let later = Utc::now() + chrono::Duration::seconds(5);

        let again = Review::of(&booking, guest, Stars::new(5).unwrap(), comment, later).unwrap();
        let fewer = Review::of(&booking, guest, Stars::new(3).unwrap(), None, later).unwrap();

        assert!(first.repeats(&again));
        assert!(!first.repeats(&fewer));
    }

    #[test]
    fn counting_a_review_adds_its_stars_moves_the_version_and_never_goes_back_in_time() {
        let booking = completed();
        let at = Utc::now();
        let review = |stars, at| Review {
            created_at: at,
            ..Review::of(
                &booking,
                guest_of(&booking),
                Stars::new(stars).unwrap(),
                None,
                at,
            )
            .unwrap()
        };

        let first = Rating::counting(None, &review(4, at));
        let second = Rating::counting(Some(&first), &review(5, at + chrono::Duration::seconds(1)));
        let behind = Rating::counting(Some(&second), &review(1, at));

        assert_eq!((first.stars_total, first.count, first.version), (4, 1, 1));
        assert_eq!(
            (second.stars_total, second.count, second.version),
            (9, 2, 2)
        );
        assert_eq!(second.vendor_id, booking.vendor_id);
        assert_eq!(behind.version, 3);
        assert_eq!(behind.updated_at, second.updated_at);
    }

    #[test]
    fn the_summary_is_the_average_to_one_decimal_rounded_half_up() {
        let rating = |stars_total, count| Rating {
            vendor_id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
            stars_total,
            count,
            version: count,
            updated_at: Utc::now(),
        };

        assert_eq!(rating(0, 0).summary(), None);
        let average = |total, count| rating(total, count).summary().unwrap().average;
        assert_eq!(average(5, 1), 5.0);
        assert_eq!(average(9, 2), 4.5);
        assert_eq!(average(13, 3), 4.3); // 4.333...
        assert_eq!(average(14, 3), 4.7); // 4.666...
        assert_eq!(average(89, 20), 4.5); // 4.45 exactly: half up
        assert_eq!(average(3, 3), 1.0);
        assert_eq!(rating(14, 3).summary().unwrap().count, 3);
    }
}
