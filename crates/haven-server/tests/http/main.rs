//! In-process HTTP tests of the server. Each test runs once per database as
//! its own test: `cargo test --test http -- <name>::sqlite` runs one alone.

/// `name::sqlite` and `name::postgres`, each calling `name(db)`.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(haven_store::testing::sqlite().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(haven_store::testing::postgres().await).await;
            }
        }
    };
}

mod account;
mod admin;
mod audit;
mod cases;
mod directory;
mod funds;
mod interviews;
mod notices;
mod record;
mod referrals;
mod relief;
mod support;
mod web;
