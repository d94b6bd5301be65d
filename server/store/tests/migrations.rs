//! Both engines must have the same migrations, numbered the same way, so a
//! feature never lands on one database only.

use std::collections::BTreeSet;
use std::path::Path;

fn names(engine: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(engine);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect()
}

#[test]
fn sqlite_and_postgres_migrations_pair_up() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres must hold the same files");
    for name in &sqlite {
        let (number, rest) = name.split_once('_').expect("NNNN_name.sql");
        assert!(
            number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()),
            "{name}: four-digit number first"
        );
        assert!(
            rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
            "{name}: lowercase name"
        );
    }
}
