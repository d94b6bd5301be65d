-- One log of rate-limited hits for every limit a cluster must share (sign-in per
-- account and per address, password changes, incoming hooks): a hit is counted
-- before the work it pays for, under a lock per bucket, so concurrent requests
-- and other nodes see it. Replaces login_failures, which counted after the work.
create table rate_limit_hits (
    id integer primary key autoincrement,
    bucket text not null,
    created_at text not null
);
create index rate_limit_hits_bucket on rate_limit_hits (bucket, created_at);
create index rate_limit_hits_created on rate_limit_hits (created_at);
drop table login_failures;
