//! The C2SP `tlog-checkpoint` note text: origin, decimal tree size, base64 root hash, then
//! optional extension lines. Parsing is strict so that one tree head has one text.
use crate::hash::Hash;
use crate::key::PublicKeys;
use crate::note::{NoteError, SignedNote, valid_key_name};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("a checkpoint has an origin, a size and a root hash, each on its own line")]
    TooFewLines,
    #[error("the checkpoint text must end with a newline")]
    NoFinalNewline,
    #[error("the origin must be non-empty, without spaces or '+'")]
    Origin,
    #[error("the tree size is not a decimal number without leading zeros")]
    Size,
    #[error("the root hash is not base64 of 32 bytes")]
    Root,
    #[error("extension lines must be non-empty")]
    EmptyExtension,
    #[error("the note's origin is {found}, not {expected}")]
    WrongOrigin { expected: String, found: String },
    #[error(transparent)]
    Note(#[from] NoteError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint for this log; its origin doubles as the signing key's name.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        if !valid_key_name(origin) {
            return Err(CheckpointError::Origin);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The exact bytes to sign.
    pub fn to_note_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a note text. Clients may not assume the origin's shape, so only emptiness is
    /// refused here; [`Checkpoint::new`] is stricter for the checkpoints we issue.
    pub fn from_note_text(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::NoFinalNewline)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::TooFewLines);
        };
        if origin.is_empty() {
            return Err(CheckpointError::Origin);
        }
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::EmptyExtension);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: Hash::from_base64(root).map_err(|_| CheckpointError::Root)?,
            extensions,
        })
    }

    /// Parses a signed checkpoint and verifies it was signed by a key in `keys` named after
    /// `origin` (the log the reader expects).
    pub fn open(note: &str, origin: &str, keys: &PublicKeys) -> Result<Self, CheckpointError> {
        let note = SignedNote::parse(note)?;
        let checkpoint = Self::from_note_text(note.text())?;
        if checkpoint.origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        note.verify(origin, keys)?;
        Ok(checkpoint)
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let digits_only = !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (line.len() > 1 && line.starts_with('0')) {
        return Err(CheckpointError::Size);
    }
    line.parse().map_err(|_| CheckpointError::Size)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn the_spec_example_parses_and_formats_back_to_the_same_text() {
        let checkpoint = Checkpoint::from_note_text(SPEC_EXAMPLE).unwrap();
        assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size, 20_852_163);
        assert_eq!(checkpoint.to_note_text(), SPEC_EXAMPLE);
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases = [
            (format!("log\n5\n{root}"), CheckpointError::NoFinalNewline),
            ("log\n5\n".to_owned(), CheckpointError::TooFewLines),
            (format!("\n5\n{root}\n"), CheckpointError::Origin),
            (format!("log\n05\n{root}\n"), CheckpointError::Size),
            (format!("log\n+5\n{root}\n"), CheckpointError::Size),
            (
                format!("log\n99999999999999999999\n{root}\n"),
                CheckpointError::Size,
            ),
            ("log\n5\nV3JvbmdSb290\n".to_owned(), CheckpointError::Root),
            (
                format!("log\n5\n{root}\n\n"),
                CheckpointError::EmptyExtension,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Checkpoint::from_note_text(&text), Err(want), "{text:?}");
        }
    }

    #[test]
    fn extension_lines_are_kept_in_order() {
        let text = format!("{SPEC_EXAMPLE}one\ntwo\n");
        let checkpoint = Checkpoint::from_note_text(&text).unwrap();
        assert_eq!(checkpoint.extensions, vec!["one", "two"]);
        assert_eq!(checkpoint.to_note_text(), text);
    }

    #[test]
    fn an_origin_with_a_space_cannot_be_issued() {
        let root = crate::hash::empty_root();
        assert_eq!(
            Checkpoint::new("a log", 0, root),
            Err(CheckpointError::Origin)
        );
        assert!(Checkpoint::new("reservations.example/vendor/v1", 0, root).is_ok());
    }
}
