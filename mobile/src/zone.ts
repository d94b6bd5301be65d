// Due times typed on the phone mean the user's own zone (their profile's, not
// the phone's: a Moscow manager on a trip still plans in Moscow time). Pure.

const pad = (n: number) => String(n).padStart(2, '0');

/** Minutes `zone` is ahead of UTC at the moment `utcMs`. */
export function zoneOffsetMinutes(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/**
 * What POST /tasks takes as `due_at` for a date and an optional HH:MM typed in
 * `zone`: null without a date, the bare date without a time, else RFC 3339
 * with that zone's offset on that day.
 */
export function dueInZone(date: string, time: string, zone: string | undefined): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  if (!/^\d{2}:\d{2}$/.test(time)) return date;
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let off = 0;
  if (zone) {
    try {
      // The offset at the wall time read as UTC, then at the moment it gives
      // (they differ only next to a DST switch).
      off = zoneOffsetMinutes(zone, wall);
      off = zoneOffsetMinutes(zone, wall - off * 60_000);
    } catch {
      off = -new Date(wall).getTimezoneOffset();
    }
  } else off = -new Date(wall - 0).getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${date}T${time}:00${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** Today's date (YYYY-MM-DD) in `zone`. */
export function todayIn(zone: string | undefined, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  }
}
