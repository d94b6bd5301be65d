// A placeholder that fits its box: the full text where there is room for it,
// a shorter one where there is not (a phone), so a hint is never cut off
// mid-word. The full text stays the field's accessible name.
import { useLayoutEffect, useState, type RefObject } from 'react';

let canvas: HTMLCanvasElement | null = null;

/** How wide `text` is in the font `el` draws its text (and placeholder) in. */
export function textWidth(text: string, el: Element): number {
  const cs = getComputedStyle(el);
  canvas ??= document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  if (!ctx) return 0;
  ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  return ctx.measureText(text).width;
}

/** The room for text inside `el`: its width less padding. */
export function roomFor(el: HTMLElement): number {
  const cs = getComputedStyle(el);
  return el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
}

/** `full` while it fits on one line of `ref`'s box, else `short`; re-judged as the box resizes. */
export function useFitting(ref: RefObject<HTMLElement | null>, full: string, short: string): string {
  const [fits, setFits] = useState(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const judge = () => {
      const room = roomFor(el);
      // A box with no room yet (hidden, not laid out) is judged when it gets some.
      if (room > 0) setFits(textWidth(full, el) <= room);
    };
    judge();
    if (typeof ResizeObserver === 'undefined') return;
    const seen = new ResizeObserver(judge);
    seen.observe(el);
    return () => seen.disconnect();
  }, [ref, full]);
  return fits ? full : short;
}
