//! C2SP signed notes: a text ending in a newline, a blank line, then signature lines
//! `— <key name> base64(key ID || signature)`. Keys not known to the verifier are ignored; a
//! known key's bad signature rejects the whole note; at least one known key must have signed.
use crate::key::{KeyId, PublicKeys};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Verifier;

const DASH: &str = "\u{2014} ";
/// The spec asks verifiers to accept at least 16 signatures; beyond this a note is refused.
const MAX_SIGNATURES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note contains a control character other than newline")]
    ControlCharacter,
    #[error("the note text must end with a newline, followed by a blank line and signatures")]
    NoSignatureBlock,
    #[error("the note has no signatures")]
    NoSignatures,
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("signature line {0} is malformed")]
    MalformedSignature(usize),
    #[error("a key name must be non-empty, without spaces or '+'")]
    KeyName,
    #[error("the signature by {name} (key {id}) does not verify")]
    BadSignature { name: String, id: KeyId },
    #[error("no signature by a trusted key named {0}")]
    NoTrustedSignature(String),
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub id: KeyId,
    pub signature: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

pub(crate) fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

impl SignedNote {
    /// Adds a signature made elsewhere (e.g. by KMS: a DER-encoded ECDSA P-256/SHA-256
    /// signature over exactly `text`). The note is not checked: verify it as a reader would.
    pub fn assemble(
        text: &str,
        key_name: &str,
        key_id: KeyId,
        der_signature: &[u8],
    ) -> Result<Self, NoteError> {
        if !valid_key_name(key_name) {
            return Err(NoteError::KeyName);
        }
        if !text.ends_with('\n') {
            return Err(NoteError::NoSignatureBlock);
        }
        if has_control(text) {
            return Err(NoteError::ControlCharacter);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures: vec![NoteSignature {
                name: key_name.to_owned(),
                id: key_id,
                signature: der_signature.to_vec(),
            }],
        })
    }

    /// Adds another signature line (a cosigner, or a second key during rotation).
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<(), NoteError> {
        if !valid_key_name(&signature.name) {
            return Err(NoteError::KeyName);
        }
        self.signatures.push(signature);
        Ok(())
    }

    pub fn parse(note: &str) -> Result<Self, NoteError> {
        if has_control(note) {
            return Err(NoteError::ControlCharacter);
        }
        let body = note.strip_suffix('\n').ok_or(NoteError::NoSignatureBlock)?;
        let split = body.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let text = &note[..split + 1];
        let lines: Vec<&str> = body[split + 2..].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let mut signatures = Vec::with_capacity(lines.len());
        for (n, line) in lines.iter().enumerate() {
            signatures.push(parse_signature(line).ok_or(NoteError::MalformedSignature(n + 1))?);
        }
        if signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, final newline included.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Verifies the signatures by keys named `key_name` whose ID is in `keys`; returns the IDs
    /// of the keys that signed. Other signatures are ignored, as the spec requires.
    pub fn verify(&self, key_name: &str, keys: &PublicKeys) -> Result<Vec<KeyId>, NoteError> {
        let mut verified = Vec::new();
        for sig in self.signatures.iter().filter(|s| s.name == key_name) {
            let mut known = keys.by_id(sig.id).peekable();
            if known.peek().is_none() {
                continue;
            }
            let parsed = Signature::from_der(&sig.signature).ok();
            let good = parsed.is_some_and(|parsed| {
                known.any(|k| {
                    k.verifying_key()
                        .verify(self.text.as_bytes(), &parsed)
                        .is_ok()
                })
            });
            if !good {
                return Err(NoteError::BadSignature {
                    name: sig.name.clone(),
                    id: sig.id,
                });
            }
            verified.push(sig.id);
        }
        if verified.is_empty() {
            return Err(NoteError::NoTrustedSignature(key_name.to_owned()));
        }
        Ok(verified)
    }
}

impl std::fmt::Display for SignedNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.text)?;
        for sig in &self.signatures {
            let mut bytes = sig.id.0.to_vec();
            bytes.extend_from_slice(&sig.signature);
            writeln!(f, "{DASH}{} {}", sig.name, STANDARD.encode(bytes))?;
        }
        Ok(())
    }
}

fn has_control(text: &str) -> bool {
    text.chars().any(|c| c != '\n' && c < ' ')
}

fn parse_signature(line: &str) -> Option<NoteSignature> {
    let rest = line.strip_prefix(DASH)?;
    let (name, encoded) = rest.split_once(' ')?;
    if !valid_key_name(name) {
        return None;
    }
    let bytes = STANDARD.decode(encoded).ok()?;
    if bytes.len() < 5 {
        return None;
    }
    let (id, signature) = bytes.split_at(4);
    Some(NoteSignature {
        name: name.to_owned(),
        id: KeyId(<[u8; 4]>::try_from(id).ok()?),
        signature: signature.to_vec(),
    })
}
