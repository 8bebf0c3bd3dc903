//! How a command's error becomes its exit status and its one line of text.

use crate::build::BuildError;

/// Problems in the postmortems or the theme.
pub const CONTENT: u8 = 1;
/// The invocation or the machine: a bad root or option, an output kb must not replace or
/// cannot write, a port in use.
pub const USAGE: u8 = 2;

/// The exit status a command ends with for `e`: the one mapping every command uses.
pub fn exit_status(e: &(dyn std::error::Error + 'static)) -> u8 {
    match e.downcast_ref::<BuildError>() {
        Some(BuildError::Content(_)) => CONTENT,
        _ => USAGE,
    }
}

/// `e` and its sources, `: ` between them ("cannot write public: Read-only file system").
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::OutputError;

    #[test]
    fn statuses_and_chains() {
        let write = BuildError::Output(OutputError::Io {
            path: "public".into(),
            source: std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem),
        });
        assert_eq!(exit_status(&write), USAGE);
        assert_eq!(
            chain(&write),
            "cannot write public: read-only filesystem or storage medium"
        );
        assert_eq!(exit_status(&BuildError::Content(Vec::new())), CONTENT);
        assert_eq!(exit_status(&BuildError::Usage("x".into())), USAGE);
    }
}
