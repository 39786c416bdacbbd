/** Display helpers: words for enum values, durations, times with their zone, relative days. */

export function words(value: string): string {
  const spaced = value.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Under this, an action's expiry is called out ("expires soon"). */
export const SOON_MS = HOUR;

/** "2h 05m", "4m 09s", "12s"; "now" at or after zero. */
export function countdown(ms: number): string {
  if (ms <= 0) return 'now';
  const seconds = Math.ceil(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** "14:05:09 UTC": a time of day with its zone. */
export function clockTime(at: number): string {
  return timeFormat.format(at);
}

/** "Dec 6, 14:05 UTC": a date and time with its zone. */
export function dateTime(at: number): string {
  return dateTimeFormat.format(at);
}

/** "Dec 6" */
export function shortDay(at: number): string {
  return dayFormat.format(at);
}

export function ago(ms: number): string {
  if (ms < 5_000) return 'just now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < HOUR) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  const days = Math.floor(ms / DAY);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** Local midnight at the start of the day holding `at`. */
export function startOfDay(at: number): number {
  const date = new Date(at);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** "today", "yesterday", "3 days ago" by calendar days in this device's zone; always true of `now`. */
export function relativeDay(at: number, now: number): string {
  const days = Math.round((startOfDay(now) - startOfDay(at)) / DAY);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return `on ${shortDay(at)}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** Quotes text once: the bot's examples often carry their own quotes already. */
export function quoted(text: string): string {
  const bare = text.trim().replace(/^["'“”‘’„«»]+|["'“”‘’„«»]+$/g, '');
  return `“${bare}”`;
}
