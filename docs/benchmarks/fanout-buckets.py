#!/usr/bin/env python3
"""Buckets `perf script` samples of an artel node (stdin) by what they were doing:
the first bucket (in list order) any frame of the sample matches. Prints shares.
Used by docs/benchmarks/fanout-profile.md."""
import sys, collections
CATS = [
  ("socket write (sendto syscall, incl. loopback receive in softirq)", ["__send", "__sys_sendto", "__libc_write"]),
  ("socket read poll (SplitStream::poll_next)", ["SplitStream<S> as futures_core::stream::Stream>::poll_next", "WebSocketStream<T> as futures_core::stream::Stream>::poll_next"]),
  ("socket read syscall", ["__recv", "__sys_recvfrom", "__libc_read", "sys_read"]),
  ("heartbeat Interval poll", ["Interval::poll_tick"]),
  ("overflow Notify (poll/drop)", ["notify::Notified", "NotifiedProject"]),
  ("SQLite (commit, queries)", ["sqlite3", "sqlx_sqlite"]),
  ("hub dispatch (route, queue to sockets)", ["hub::Hub::dispatch", "hub::send", "Member::send"]),
  ("frame encode (serde_json)", ["serde_json"]),
  ("ws frame write (feed/flush into tungstenite buffer)", ["Sink<tungstenite", "SplitSink", "format_into_buf"]),
  ("conn deliver (on_outbound etc)", ["conn::Conn::on_outbound", "deliver_in_order", "deliver_next", "on_outbound_batch"]),
  ("conn task other (select!, loop)", ["conn::serve", "conn::Conn::run"]),
  ("client frame handling / send path", ["send_loop", "send_one", "committer", "messaging::"]),
  ("malloc/free", ["malloc", "_int_free", "cfree", "unlink_chunk"]),
  ("tokio scheduler / park", ["tokio::runtime", "futex", "schedule", "epoll"]),
]
stacks=[]; cur=[]
for line in sys.stdin:
    line=line.rstrip("\n")
    if not line.strip():
        if cur: stacks.append(cur); cur=[]
        continue
    if line.startswith((" ","\t")):
        parts=line.strip().split(None,1)
        if len(parts)==2: cur.append(parts[1])
    else:
        if cur: stacks.append(cur)
        cur=[]
if cur: stacks.append(cur)
count=collections.Counter()
for st in stacks:
    joined=st  # leaf first
    cat="other"
    for name,keys in CATS:
        if any(k in f for f in joined for k in keys):
            cat=name; break
    count[cat]+=1
n=len(stacks)
print(f"samples: {n}")
for c,k in count.most_common():
    print(f"{100*k/n:6.1f}%  {c}")
