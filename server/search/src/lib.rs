//! artel-search: the two `SearchIndex` backends. `EmbeddedSearch` keeps a
//! tantivy index in the data directory (single node); `MeiliSearch` talks to a
//! Meilisearch server (cluster). Both analyse text the same way (`analysis`).

pub mod analysis;
pub mod embedded;
pub mod meili;

pub use embedded::EmbeddedSearch;
pub use meili::MeiliSearch;
