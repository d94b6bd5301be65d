// The time-zone picker's choices. The browser's list of zones has no "UTC" and
// no Etc/* zones, so a user whose zone is one of those would see the first
// entry (Africa/Abidjan) selected and save it by accident: their own zone is
// always offered, UTC is offered first, and Etc/* names read as UTC offsets.

export interface ZoneOption {
  value: string;
  label: string;
}

function browserZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? ['Europe/Moscow', 'Europe/London'];
  } catch {
    return ['Europe/Moscow', 'Europe/London'];
  }
}

/** "UTC" for UTC and its Etc aliases; "UTC−03:00" for Etc/GMT+3 (POSIX signs are inverted). */
export function zoneLabel(zone: string): string {
  if (/^(Etc\/)?(UTC|UCT|GMT|Universal|Zulu|Greenwich)(0|\+0|-0)?$/i.test(zone)) return 'UTC';
  const m = /^Etc\/GMT([+-])(\d{1,2})$/.exec(zone);
  if (m) {
    const sign = m[1] === '+' ? '−' : '+';
    return `UTC${sign}${m[2]!.padStart(2, '0')}:00`;
  }
  return zone;
}

/** UTC first, the browser's zones, and `current` wherever it is missing from them. */
export function zoneOptions(current: string, zones: string[] = browserZones()): ZoneOption[] {
  const values = ['UTC', ...zones.filter((z) => z !== 'UTC')];
  if (current && !values.includes(current)) values.splice(1, 0, current);
  return values.map((value) => ({ value, label: zoneLabel(value) }));
}
