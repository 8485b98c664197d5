//! Shared set-up: the two vendors, their rooms and tables, the staff's and guests' sessions,
//! and the backbone that carries the facts to the reports.
use crate::ledger::{Booked, Counts, Ledger};
use crate::{CITY_TAX, DAYS, DOUBLES, SEATS, SUITES, TABLES, VAT_BP};
use api_tests::{Account, Api, PASSWORD, merged, resource_body};
use chrono::{Duration, NaiveDate};
use local_gateway::{Backbone, Deps, consumers, streams};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::domain::ids::VendorId;
use shared::reports::DynamoReports;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub(crate) fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {value}"))
}

/// One vendor: its people, the bookings the test made and the ledger they add up to.
pub(crate) struct Shop {
    pub(crate) kind: &'static str,
    pub(crate) vendor: VendorId,
    pub(crate) manager: Account,
    pub(crate) desk: Account,
    pub(crate) bookings: Vec<Booked>,
    pub(crate) ledger: Ledger,
    /// Each closed day's figures as the audit closed them.
    pub(crate) closed_with: BTreeMap<NaiveDate, Counts>,
    /// Invoice and credit note numbers taken.
    pub(crate) numbers: Vec<u64>,
    /// The stays' invoices added up: net room revenue, its VAT, city tax.
    pub(crate) invoiced: (i64, i64, i64),
    pub(crate) capacity: i64,
}

/// Tokens by email, with the clock move they were issued after (a moved clock expires them).
#[derive(Default)]
pub(crate) struct Sessions(HashMap<String, (i64, String)>);

impl Sessions {
    pub(crate) async fn token(
        &mut self,
        api: &Api,
        who: &Account,
        staff: bool,
        moves: i64,
    ) -> String {
        if let Some((issued, token)) = self.0.get(&who.email)
            && *issued == moves
        {
            return token.clone();
        }
        let path = if staff {
            "/vendor/login"
        } else {
            "/user/login"
        };
        let token = api.login(path, &who.email, PASSWORD).await;
        self.0.insert(who.email.clone(), (moves, token.clone()));
        token
    }
}

pub(crate) async fn open(
    api: &Arc<Api>,
    kind: &'static str,
    zone: &str,
    day0: NaiveDate,
) -> (Shop, Vec<String>) {
    let manager = api.vendor_with(kind, json!({ "time_zone": zone })).await;
    let taxes = api
        .put(
            &format!("/vendor/{}", manager.vendor()),
            manager.token(),
            &json!({"taxes": {"vat": {"rate_bp": VAT_BP, "basis": "included"}, "city_tax": CITY_TAX}}),
        )
        .await;
    assert_eq!(taxes.status, StatusCode::OK, "{taxes:#?}");
    let desk = api.staff_as(&manager, "desk").await;
    let resources = if kind == "hotel" {
        let double = api
            .resource(
                &manager,
                &merged(
                    resource_body("Double", 2, DOUBLES, 10_000),
                    &json!({"deposit": {"kind": "none"},
                            "price_rules": [{"from": day0, "to": day0 + Duration::days(DAYS + 10),
                                             "weekdays": ["Sat", "Sun"], "amount_minor": 13_000}]}),
                ),
            )
            .await;
        // 20 % down; free to cancel until 48 h before arrival, then 10 % of the stay is kept.
        let suite = api
            .resource(
                &manager,
                &merged(
                    resource_body("Suite", 2, SUITES, 20_000),
                    &json!({"cancellation": {"free_until_hours": 48,
                                             "late_fee": {"kind": "percent", "percent": 10}}}),
                ),
            )
            .await;
        vec![double, suite]
    } else {
        vec![
            api.resource(
                &manager,
                &merged(
                    resource_body("Window", SEATS, TABLES, 2_000),
                    &json!({"deposit": {"kind": "none"},
                            "seating": {"slot_minutes": 30, "seating_minutes": 90}}),
                ),
            )
            .await,
        ]
    };
    let capacity = if kind == "hotel" {
        DOUBLES + SUITES
    } else {
        TABLES * SEATS
    };
    let shop = Shop {
        kind,
        vendor: VendorId::parse(manager.vendor()).expect("a vendor id"),
        manager,
        desk,
        bookings: Vec::new(),
        ledger: Ledger::default(),
        closed_with: BTreeMap::new(),
        numbers: Vec::new(),
        invoiced: (0, 0, 0),
        capacity,
    };
    (shop, resources)
}

/// The month's script: who does what on which day.
pub(crate) struct Month {
    pub(crate) api: Arc<Api>,
    pub(crate) day0: NaiveDate,
    pub(crate) today: i64,
    /// How often business time was moved: a token lives 15 minutes of it, so each move needs
    /// fresh ones.
    pub(crate) moves: i64,
    pub(crate) zone: shared::domain::vendor::TimeZone,
    pub(crate) sessions: Sessions,
    pub(crate) guests: Vec<Account>,
    pub(crate) reports: DynamoReports,
    pub(crate) store: shared::store::DynamoStore,
    pub(crate) stripe: shared::payments::StripeSettings,
}

/// The publisher on the bookings stream and the reports queue feeding its consumer.
pub(crate) async fn backbone(api: &Api) -> Backbone {
    let deps = Arc::new(
        Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    );
    let mut backbone = Backbone::default();
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    let bookings = std::env::var("BOOKINGS_TABLE").expect("the table's name is set");
    backbone
        .stream("outbox-publisher", &bookings, publisher)
        .await
        .expect("the stream opens");
    let consumer = consumers(deps)
        .remove("reports")
        .expect("the consumer is registered");
    let queue_url =
        std::env::var("REPORTS_QUEUE_URL").expect("the queue's URL is set (local.sh env)");
    backbone.queue("reports", &queue_url, consumer).await;
    backbone
}
