-- Custom field definitions per workspace and entity kind (deal, contact,
-- company). Values live in each record's `custom` JSON object under `key`.

create table custom_fields (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    entity_kind text not null check (entity_kind in ('deal', 'contact', 'company')),
    key text not null,
    label text not null,
    kind text not null check (kind in ('text', 'number', 'money', 'date', 'list', 'user', 'link')),
    options jsonb not null,
    multiple boolean not null,
    required boolean not null,
    position bigint not null,
    created_at timestamptz not null
);
create unique index custom_fields_key on custom_fields (workspace_id, entity_kind, key);
