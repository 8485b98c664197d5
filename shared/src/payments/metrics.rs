//! Payment metrics as CloudWatch embedded metric format (EMF) log lines: Lambda's log stream
//! turns each into a data point, with no API call and no extra permission. The CDK stack alarms
//! on them (namespace `Reservations/Payments`, dimension `Service=payments`).
use chrono::Utc;

pub const NAMESPACE: &str = "Reservations/Payments";
/// A booking's refund failed for good and was left to staff (`REFUND_FAILED`).
pub const REFUNDS_FAILED: &str = "RefundsFailed";
/// Bookings a reconciliation run could not repair.
pub const RECONCILE_FAILURES: &str = "ReconcileFailures";

/// The EMF document for one count.
pub fn document(metric: &str, count: u64) -> serde_json::Value {
    serde_json::json!({
        "_aws": {
            "Timestamp": Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Service"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "Service": "payments",
        metric: count,
    })
}

/// Writes one count to stdout, on a line of its own (the JSON log formatter would wrap it, and
/// CloudWatch reads EMF only from a line that is the document itself).
pub fn count(metric: &str, count: u64) {
    println!("{}", document(metric, count));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_an_emf_document_naming_its_metric_and_dimension() {
        let doc = document(REFUNDS_FAILED, 2);

        let declared = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        assert_eq!(declared["Metrics"][0]["Name"], REFUNDS_FAILED);
        assert_eq!(declared["Dimensions"], serde_json::json!([["Service"]]));
        assert_eq!(doc["Service"], "payments");
        assert_eq!(doc[REFUNDS_FAILED], 2);
        assert!(doc["_aws"]["Timestamp"].is_i64());
    }
}
