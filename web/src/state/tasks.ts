// Task due dates between the API and the form's date and time inputs: a
// date-only task is that calendar date (the server keeps it at 00:00 UTC); a
// timed one is shown and entered in the browser's time zone and sent with its
// offset, so the server stores the moment meant. Pure, unit-tested.

export interface DueInput {
  /** YYYY-MM-DD, or '' for no due date. */
  date: string;
  /** HH:MM, or '' for a date-only task. */
  time: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "YYYY-MM-DDTHH:MM" of a moment in the local time zone (datetime-local's format). */
export function localInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function dueInput(task: { due_at?: string | null; due_has_time: boolean }): DueInput {
  if (!task.due_at) return { date: '', time: '' };
  if (!task.due_has_time) return { date: task.due_at.slice(0, 10), time: '' };
  const [date = '', time = ''] = localInput(new Date(task.due_at)).split('T');
  return { date, time };
}

/** What PATCH /tasks/{id} takes as due_at: null, a date, or RFC 3339 with the local offset. */
export function dueValue(d: DueInput): string | null {
  if (!d.date) return null;
  if (!d.time) return d.date;
  const local = new Date(`${d.date}T${d.time}:00`);
  if (Number.isNaN(local.getTime())) return d.date;
  const off = -local.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.date}T${d.time}:00${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}
