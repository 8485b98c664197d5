//! Other channels selling the same inventory (issue 22): booking sites, channel managers and the
//! hotel's own system, connected by a vendor's manager, authenticated with OAuth 2.0 client
//! credentials (`oauth`, tokens in `auth::channel`), reading availability and rates (`ari`) and
//! sending their reservations (`import`).
mod account;
pub mod allotment;
pub mod ari;
pub mod events;
pub mod import;
pub mod manage;
pub mod memory;
pub mod oauth;
pub mod secret;
mod store;

pub use account::{
    ChannelAccount, ChannelId, ChannelKind, ChannelStatus, ChannelView, ClientSecret,
    SECRET_GRACE_HOURS, StoredSecret, WebhookUrl,
};
pub use store::{
    ATTEMPT_WINDOW_MINUTES, ChannelStore, ClientBudget, DynamoChannels, stream_account,
};
