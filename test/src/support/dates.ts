/**
 * The Monday after today (a UTC date, `YYYY-MM-DD`), or the day `daysAfter` days after it. Never
 * today, so every slot on it is ahead; the sandbox's weekday 09:00–17:00 availability applies.
 */
export function nextMonday(daysAfter = 0): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7) + daysAfter);
  return d.toISOString().slice(0, 10);
}
