//! A guest reviews their own finished stay or meal (a COMPLETED booking): 1 to 5 `stars` and an
//! optional `comment`. A booking has one review: the same review sent again answers 200 with the
//! stored one, a different one is a 409. The review and the vendor's rating that counts it are
//! one transaction, so every review is counted exactly once, however many copies race.
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::booking::BookingStatus;
use shared::domain::ids::BookingId;
use shared::domain::review::{NotReviewable, Rating, Review, ReviewComment, Stars};
use shared::engine::may_read;
use shared::http::{Problem, json, json_body, path_id, respond};
use shared::store::{BookingStore, EDIT_ATTEMPTS, ReviewStore, ReviewWriteError, jittered_pause};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    stars: Option<i64>,
    comment: Option<String>,
}

/// What the guest says, validated.
struct Verdict {
    stars: Stars,
    comment: Option<ReviewComment>,
}

impl TryFrom<ReviewBody> for Verdict {
    type Error = FieldErrors;

    fn try_from(body: ReviewBody) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let stars = errors.require("/stars", body.stars, Stars::new);
        let comment = errors.check_opt("/comment", body.comment, |c| ReviewComment::parse(&c));
        match (stars, comment) {
            (Some(stars), Some(comment)) => Ok(Self {
                stars,
                comment: comment.flatten(),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ReviewError {
    #[error("invalid request")]
    Rejected(Problem),
    #[error("no such booking")]
    NotFound,
    /// Staff of the vendor and admins see the booking but did not stay or dine.
    #[error("only the booking's guest may review it")]
    NotTheGuest,
    #[error("the booking is {0}, not COMPLETED")]
    NotCompleted(BookingStatus),
    #[error("the booking has another review")]
    AlreadyReviewed,
    #[error("other reviews of the vendor kept winning")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Problem> for ReviewError {
    fn from(problem: Problem) -> Self {
        Self::Rejected(problem)
    }
}

impl From<ReviewError> for Problem {
    fn from(err: ReviewError) -> Self {
        match err {
            ReviewError::Rejected(problem) => problem,
            ReviewError::NotFound => Problem::not_found("booking"),
            ReviewError::NotTheGuest => {
                Problem::forbidden("only the guest who stayed or dined may review a booking")
            }
            ReviewError::NotCompleted(status) => Problem::conflict(
                "not-completed",
                "The booking cannot be reviewed yet",
                format!("only a COMPLETED booking can be reviewed; this one is {status}"),
            )
            .with_extension("booking_status", serde_json::json!(status)),
            ReviewError::AlreadyReviewed => Problem::conflict(
                "already-reviewed",
                "The booking has a review already",
                "a booking is reviewed once; this one has a different review",
            ),
            ReviewError::Busy => Problem::edit_conflict(),
            ReviewError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

/// A new review, or the one an earlier identical request stored.
enum Reviewed {
    Created(Review),
    Replayed(Review),
}

pub async fn handler(
    store: &(impl BookingStore + ReviewStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(review_booking(store, &req).await)
}

async fn review_booking(
    store: &(impl BookingStore + ReviewStore),
    req: &Request,
) -> Result<Response<Body>, ReviewError> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let body: ReviewBody = json_body(req)?;
    let verdict = Verdict::try_from(body).map_err(Problem::from)?;
    let review = match review(store, &caller, id, verdict).await? {
        Reviewed::Created(review) => {
            tracing::info!(booking_id = %review.booking_id, vendor_id = %review.vendor_id, stars = review.stars.get(), "review");
            return Ok(json(StatusCode::CREATED, &review));
        }
        Reviewed::Replayed(review) => review,
    };
    let mut response = json(StatusCode::OK, &review);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(response)
}

async fn review(
    store: &(impl BookingStore + ReviewStore),
    caller: &Caller,
    id: BookingId,
    verdict: Verdict,
) -> Result<Reviewed, ReviewError> {
    let booking = store
        .booking(id)
        .await?
        .filter(|b| may_read(caller, b))
        .ok_or(ReviewError::NotFound)?;
    let Caller::Guest(guest) = caller else {
        return Err(ReviewError::NotTheGuest);
    };
    let review = Review::of(
        &booking,
        *guest,
        verdict.stars,
        verdict.comment,
        shared::clock::now(),
    )
    .map_err(|err| match err {
        NotReviewable::NotTheGuest => ReviewError::NotFound,
        NotReviewable::NotCompleted(status) => ReviewError::NotCompleted(status),
    })?;
    for attempt in 0..EDIT_ATTEMPTS {
        let rating = store.rating(review.vendor_id).await?;
        let counted = Rating::counting(rating.as_ref(), &review);
        match store.add_review(&review, &counted).await {
            Ok(()) => return Ok(Reviewed::Created(review)),
            Err(ReviewWriteError::AlreadyReviewed) => {
                return match store.review(review.vendor_id, review.booking_id).await? {
                    Some(stored) if stored.repeats(&review) => Ok(Reviewed::Replayed(stored)),
                    _ => Err(ReviewError::AlreadyReviewed),
                };
            }
            // Another guest's review of the same vendor was counted first: count on top of it.
            Err(ReviewWriteError::RatingMoved) => jittered_pause(attempt).await,
            Err(ReviewWriteError::BookingChanged) => {
                return Err(anyhow::anyhow!(
                    "booking {id} stopped being the guest's completed booking while reviewed"
                )
                .into());
            }
            Err(ReviewWriteError::Unexpected(cause)) => return Err(cause.into()),
        }
    }
    Err(ReviewError::Busy)
}
