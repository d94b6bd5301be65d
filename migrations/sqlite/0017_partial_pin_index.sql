-- Pins are looked up only among pinned messages (`pinned_at is not null`), but the
-- index held an entry for every message, nearly all with a null pin. That cost
-- every send one more B-tree insert in the middle of the tree (BENCHMARKS.md,
-- section 1: such splits also make the SQLite writer scan its page cache at
-- commit). A partial index serves the same query.
drop index messages_pinned;
create index messages_pinned on messages (chat_id, pinned_at) where pinned_at is not null;
