/** IANA time zones: a company's enforcement deadline is read in one. */

/** Does the runtime know this zone (canonical names and their aliases, such as US/Pacific)? */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The canonical zones to choose from, plus `current` (which may be an alias) so it stays selectable. */
export function timeZoneChoices(current?: string): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  const all = zones.includes('UTC') ? zones : ['UTC', ...zones];
  return current === undefined || all.includes(current) ? all : [current, ...all];
}
