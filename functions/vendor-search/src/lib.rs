//! Finds hotels and restaurants that have a fitting room or table type free when asked, with its
//! price. Public. Where: `city` + `country`, or `lat` + `lon` (+ `radius_km`, default 5, at most
//! 200). When: `check_in` + `check_out` (hotels) or `date` + `time` (restaurants, each
//! restaurant's local time), and `party_size`. Optional: `facilities`, `cuisines`, `amenities`
//! (comma-separated; every facility and amenity, any cuisine), `name` (words that start words of
//! the vendor's name), `sort` (`distance`, the default
//! near a point; `price`, the default in a city; or `rating`, best reviewed first), `limit` (1 to
//! 50, default 20), `cursor`.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::availability::{self, parsed};
use shared::domain::booking::BookingTime;
use shared::domain::geo::MAX_RADIUS_KM;
use shared::domain::vendor::{CountryCode, GeoPoint, VendorKind};
use shared::domain::{FieldErrors, Invalid};
use shared::http::{Problem, json, query_param, respond};
use shared::search::{self, Area, SearchError, SearchIndex, SearchQuery, SortBy};
use shared::store::BookingStore;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 50;
const DEFAULT_RADIUS_KM: f64 = 5.0;
/// How many values a list filter may have.
const MAX_VALUES: usize = 20;
const MAX_NAME_WORDS: usize = 8;

pub async fn handler(
    index: &impl SearchIndex,
    counters: &impl BookingStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(find(index, counters, &req).await)
}

async fn find(
    index: &impl SearchIndex,
    counters: &impl BookingStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let query = search_query(req)?;
    let page = search::search(index, counters, &query, shared::clock::now())
        .await
        .map_err(|err| match err {
            SearchError::BadCursor => {
                Problem::parameter("cursor", "is not a cursor from this search")
            }
            SearchError::Unexpected(cause) => Problem::internal(&cause),
        })?;
    let mut response = json(StatusCode::OK, &page);
    // Good for a moment only: a booking can take the last unit at any time.
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=5"),
    );
    Ok(response)
}

/// Words of a vendor's name, e.g. `grand hot` (each must start a word of the name).
fn name_words(raw: &str) -> Result<Vec<String>, Invalid> {
    if raw.chars().count() > 100 {
        return Err(Invalid::new("must be at most 100 characters"));
    }
    let words = search::name_words(raw);
    if words.is_empty() {
        return Err(Invalid::new("must contain a letter or digit"));
    }
    if words.len() > MAX_NAME_WORDS {
        return Err(Invalid::new(format!(
            "must be at most {MAX_NAME_WORDS} words"
        )));
    }
    Ok(words)
}

/// A comma-separated list of lowercase words, e.g. `spa,wifi`.
fn words(raw: &str) -> Result<Vec<String>, Invalid> {
    let values: Vec<String> = raw
        .split(',')
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > MAX_VALUES || values.iter().any(|v| v.len() > 50) {
        return Err(Invalid::new(format!(
            "must be at most {MAX_VALUES} comma-separated values of up to 50 characters"
        )));
    }
    Ok(values)
}

fn search_query(req: &Request) -> Result<SearchQuery, Problem> {
    let mut errors = FieldErrors::query();
    let party = availability::party(req, &mut errors);
    let when = availability::booking_time(req, &mut errors);
    let area = area(req, &mut errors);
    let kind = errors.check_opt("kind", query_param(req, "kind"), VendorKind::parse);
    let list = |name: &str, errors: &mut FieldErrors| {
        errors
            .check_opt(name, query_param(req, name), words)
            .map(Option::unwrap_or_default)
    };
    let facilities = list("facilities", &mut errors);
    let cuisines = list("cuisines", &mut errors);
    let amenities = list("amenities", &mut errors);
    let name = errors
        .check_opt("name", query_param(req, "name"), name_words)
        .map(Option::unwrap_or_default);
    let sort = errors.check_opt("sort", query_param(req, "sort"), |v| match v {
        "distance" => Ok(SortBy::Distance),
        "price" => Ok(SortBy::Price),
        "rating" => Ok(SortBy::Rating),
        _ => Err(Invalid::new("must be distance, price or rating")),
    });
    let limit = errors.check_opt("limit", query_param(req, "limit"), |v| {
        parsed::<usize>(v, "a number")
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| Invalid::new(format!("must be between 1 and {MAX_LIMIT}")))
    });
    if let (Some(Some(kind)), Some(when)) = (kind, when) {
        let implied = match when {
            BookingTime::Stay { .. } => VendorKind::Hotel,
            BookingTime::Seating { .. } => VendorKind::Restaurant,
        };
        if kind != implied {
            errors.push(
                "kind",
                "hotels take check_in and check_out, restaurants date and time",
            );
        }
    }
    let (
        Some(party),
        Some(when),
        Some(area),
        Some(facilities),
        Some(cuisines),
        Some(amenities),
        Some(name),
        Some(sort),
        Some(limit),
    ) = (
        party, when, area, facilities, cuisines, amenities, name, sort, limit,
    )
    else {
        return Err(errors.into());
    };
    let sort = sort.unwrap_or(match area {
        Area::Near { .. } => SortBy::Distance,
        Area::City { .. } => SortBy::Price,
    });
    if sort == SortBy::Distance && matches!(area, Area::City { .. }) {
        errors.push("sort", "distance needs lat and lon to measure from");
    }
    errors.finish()?;
    Ok(SearchQuery {
        area,
        when,
        party,
        facilities,
        cuisines,
        amenities,
        name,
        sort,
        limit: limit.unwrap_or(DEFAULT_LIMIT),
        cursor: query_param(req, "cursor").map(str::to_owned),
    })
}

/// `city` + `country`, or `lat` + `lon` (+ `radius_km`); not both.
fn area(req: &Request, errors: &mut FieldErrors) -> Option<Area> {
    let number = |name: &str, errors: &mut FieldErrors| {
        errors.check_opt(name, query_param(req, name), |v| {
            parsed::<f64>(v, "a number").and_then(|n| {
                n.is_finite()
                    .then_some(n)
                    .ok_or_else(|| Invalid::new("must be a number"))
            })
        })
    };
    let (lat, lon) = (number("lat", errors)?, number("lon", errors)?);
    let radius = errors.check_opt("radius_km", query_param(req, "radius_km"), |v| {
        parsed::<f64>(v, "a number")
            .ok()
            .filter(|r| *r > 0.0 && *r <= MAX_RADIUS_KM)
            .ok_or_else(|| Invalid::new(format!("must be more than 0 and at most {MAX_RADIUS_KM}")))
    })?;
    let city = query_param(req, "city").map(str::trim);
    let country = errors.check_opt("country", query_param(req, "country"), |v| {
        CountryCode::parse(v)
    })?;
    match (lat, lon, city, country) {
        (Some(lat), Some(lon), None, None) => {
            let point = errors.check("lat", GeoPoint::new(lat, lon))?;
            Some(Area::Near {
                point,
                radius_km: radius.unwrap_or(DEFAULT_RADIUS_KM),
            })
        }
        (None, None, Some(city), Some(country)) if !city.is_empty() && city.len() <= 100 => {
            if radius.is_some() {
                errors.push("radius_km", "goes with lat and lon, not a city");
                return None;
            }
            Some(Area::City {
                city_key: format!("{}#{}", country.as_str(), city.to_lowercase()),
            })
        }
        (None, None, Some(_), Some(_)) => {
            errors.push("city", "must be 1 to 100 characters");
            None
        }
        (Some(_), None, ..) => {
            errors.push("lon", "is required with lat");
            None
        }
        (None, Some(_), ..) => {
            errors.push("lat", "is required with lon");
            None
        }
        (None, None, Some(_), None) => {
            errors.push(
                "country",
                "is required with city (an ISO 3166 code such as DE)",
            );
            None
        }
        (None, None, None, Some(_)) => {
            errors.push("city", "is required with country");
            None
        }
        (None, None, None, None) => {
            errors.push("city", "say where: city and country, or lat and lon");
            None
        }
        _ => {
            for name in ["lat", "lon"] {
                errors.push(
                    name,
                    "search by city and country, or by lat and lon, not both",
                );
            }
            None
        }
    }
}
