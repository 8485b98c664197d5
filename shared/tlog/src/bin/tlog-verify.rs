//! `tlog-verify`: checks a booking receipt, or the consistency of two checkpoints, offline
//! against the log's public key. Prints each check on its own line; exits 0 only if all hold.
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tlog::{Checkpoint, ConsistencyProof, PublicKeys, Receipt, SignedNote, verify_checkpoints};

#[derive(Parser)]
#[command(
    name = "tlog-verify",
    version,
    about = "Verify booking receipts and log checkpoints offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A receipt: the checkpoint's signature, each leaf's inclusion, and the guest commitment.
    Receipt {
        /// The receipt JSON file.
        receipt: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        /// The guest identity the booking was committed to (checks every leaf's commitment).
        #[arg(long)]
        identity: Option<String>,
    },
    /// That the log at the newer checkpoint extends the log at the older one.
    Consistency {
        /// The older signed checkpoint.
        #[arg(long)]
        from: PathBuf,
        /// The newer signed checkpoint.
        #[arg(long)]
        to: PathBuf,
        /// The proof JSON: {"from": m, "to": n, "proof": ["<base64>", ...]}.
        #[arg(long)]
        proof: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        /// The log's origin (and key name); defaults to the older checkpoint's first line.
        #[arg(long)]
        origin: Option<String>,
    },
}

#[derive(clap::Args)]
struct KeyArgs {
    /// The log's public key: a JWKS or JWK (.json), a PEM public key, or SPKI DER.
    #[arg(long)]
    key: PathBuf,
    /// With a JWKS, use only the key with this `kid`.
    #[arg(long)]
    kid: Option<String>,
}

impl KeyArgs {
    fn load(&self) -> Result<PublicKeys, String> {
        let bytes = read(&self.key)?;
        PublicKeys::from_file_bytes(&bytes, self.kid.as_deref())
            .map_err(|e| format!("{}: {e}", self.key.display()))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read(path)?).map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

/// One printed check; remembers whether any failed.
#[derive(Default)]
struct Report {
    failed: bool,
}

impl Report {
    fn check<T, E: std::fmt::Display>(&mut self, what: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => {
                println!("ok    {what}");
                Some(value)
            }
            Err(err) => {
                println!("FAIL  {what}: {err}");
                self.failed = true;
                None
            }
        }
    }

    fn finish(self) -> ExitCode {
        if self.failed {
            println!("NOT VERIFIED");
            ExitCode::from(1)
        } else {
            println!("VERIFIED");
            ExitCode::SUCCESS
        }
    }
}

fn receipt(path: &Path, keys: &PublicKeys, identity: Option<&str>) -> Result<ExitCode, String> {
    let receipt: Receipt = serde_json::from_str(&read_text(path)?)
        .map_err(|e| format!("{}: not a receipt: {e}", path.display()))?;
    println!(
        "receipt for booking {} at vendor {}, log {}",
        receipt.booking_id, receipt.vendor_id, receipt.origin
    );
    let mut report = Report::default();
    let Some(checkpoint) = report.check("checkpoint signature", receipt.open_checkpoint(keys))
    else {
        return Ok(report.finish());
    };
    println!(
        "      tree size {}, root {}",
        checkpoint.size,
        checkpoint.root.to_base64()
    );
    for entry in &receipt.leaves {
        let what = format!(
            "leaf {}: included ({} hashes), booking {}{}",
            entry.index,
            entry.inclusion.len(),
            receipt.booking_id,
            if identity.is_some() {
                ", guest commitment matches"
            } else {
                ""
            }
        );
        if let Some(leaf) = report.check(&what, receipt.verify_leaf(entry, &checkpoint, identity)) {
            println!(
                "      v{} {} {} by {:?} via {} at {}",
                leaf.version,
                leaf.detail_type,
                leaf.status,
                leaf.actor,
                leaf.channel,
                leaf.occurred_at
            );
        }
    }
    if identity.is_none() {
        println!("skip  guest commitment: no --identity given");
    }
    Ok(report.finish())
}

fn consistency(
    from: &Path,
    to: &Path,
    proof: &Path,
    keys: &PublicKeys,
    origin: Option<&str>,
) -> Result<ExitCode, String> {
    let old_note = read_text(from)?;
    let new_note = read_text(to)?;
    let proof: ConsistencyProof = serde_json::from_str(&read_text(proof)?)
        .map_err(|e| format!("{}: not a consistency proof: {e}", proof.display()))?;
    let origin = match origin {
        Some(origin) => origin.to_owned(),
        None => SignedNote::parse(&old_note)
            .ok()
            .and_then(|note| Checkpoint::from_note_text(note.text()).ok())
            .map(|c| c.origin)
            .ok_or_else(|| format!("{}: not a signed checkpoint", from.display()))?,
    };
    println!("consistency of log {origin}");
    let mut report = Report::default();
    let what = format!(
        "both checkpoints signed, size {} -> {} proven append-only",
        proof.from, proof.to
    );
    if let Some((old, new)) = report.check(
        &what,
        verify_checkpoints(&old_note, &new_note, &proof, &origin, keys),
    ) {
        println!("      old root {}", old.root.to_base64());
        println!("      new root {}", new.root.to_base64());
    }
    Ok(report.finish())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Receipt {
            receipt: path,
            key,
            identity,
        } => key
            .load()
            .and_then(|keys| receipt(path, &keys, identity.as_deref())),
        Command::Consistency {
            from,
            to,
            proof,
            key,
            origin,
        } => key
            .load()
            .and_then(|keys| consistency(from, to, proof, &keys, origin.as_deref())),
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("tlog-verify: {message}");
        ExitCode::from(2)
    })
}
