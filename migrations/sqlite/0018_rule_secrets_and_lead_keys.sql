-- A stage rule's call_webhook is signed like outgoing webhooks, under a secret of
-- its own (shown when the rule is created). Rules made before get a fresh one.
alter table stage_rules add column secret text not null default '';
update stage_rules set secret = 'whsec_' || lower(hex(randomblob(32)));

-- A lead hook may send visitors on to a thank-you page after a plain form post.
alter table chat_hooks add column redirect_url text;

-- Idempotency keys of website leads: the same key (a resubmitted form, a retried
-- fetch) answers with the lead it made the first time, on every node. A row
-- without a deal is a claim in progress.
create table lead_keys (
    hook_id blob not null references chat_hooks(id) on delete cascade,
    idem_key text not null,
    workspace_id blob not null references workspaces(id) on delete cascade,
    contact_id blob,
    contact_reused boolean,
    deal_id blob,
    created_at text not null,
    primary key (hook_id, idem_key)
);
