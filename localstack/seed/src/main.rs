//! `cargo run --release -p seed -- --preset demo`: writes a data set into the local stack (the
//! tables named by `localstack/local.sh env`), with a progress bar; run it again to resume.
use clap::Parser;
use seed::{Dataset, Preset, Seeder};

#[derive(Parser)]
#[command(about = "Seeds hotels and restaurants into the local stack (resumable)")]
struct Args {
    /// test (500 vendors), demo (5,000) or full (500,000 vendors, about 10M rooms and tables).
    #[arg(long, default_value = "demo", value_parser = ["test", "demo", "full"])]
    preset: String,
    /// Overrides the preset's number of vendors.
    #[arg(long)]
    vendors: Option<u64>,
    /// Another seed gives another data set of the same shape.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Batches of 100 vendors written at once.
    #[arg(long, default_value_t = 8)]
    parallel: usize,
    /// Start from the first vendor, forgetting an earlier run's progress.
    #[arg(long)]
    restart: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let preset = Preset::named(&args.preset).unwrap_or(seed::PRESETS[1]);
    let set = Dataset::of(preset, args.seed, args.vendors);
    let sdk = shared::aws::sdk_config().await;
    let seeder = Seeder::from_env(&sdk, args.parallel)?;
    if args.restart {
        seeder.restart(&set).await?;
    }
    let report = seeder.seed_with_progress(&set).await?;
    if report.resumed_at > 0 {
        println!("resumed at vendor {}", report.resumed_at);
    }
    println!(
        "data set {:?}: {} vendors in {} places; wrote {} vendors ({} rooms and tables) in {:.1} s",
        set.name,
        set.vendors,
        set.places().len(),
        report.vendors,
        report.units,
        report.took.as_secs_f64()
    );
    Ok(())
}
