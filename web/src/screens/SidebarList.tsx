// The rows of one sidebar section. A long section (someone in a thousand chats)
// renders only the rows near the visible part of the sidebar: rendering them
// all made the first load spend hundreds of milliseconds on links nobody sees.
import { useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

/** Sections with at least this many rows render a window of them; shorter ones all. */
export const WINDOW_FROM = 100;
/** A windowed row's height (a sidebar link is a little under it). */
export const ROW_HEIGHT = 32;

const listStyle = { listStyle: 'none', margin: 0, padding: 0 } as const;

interface Props<T> {
  items: T[];
  keyOf: (item: T) => string;
  render: (item: T) => ReactNode;
  /** The sidebar's scrolling element, which every section's window follows. */
  scroller: RefObject<HTMLElement | null>;
}

export function SidebarList<T>(props: Props<T>) {
  if (props.items.length >= WINDOW_FROM) return <WindowedList {...props} />;
  return (
    <ul style={listStyle}>
      {props.items.map((item) => (
        <li key={props.keyOf(item)}>{props.render(item)}</li>
      ))}
    </ul>
  );
}

function WindowedList<T>({ items, keyOf, render, scroller }: Props<T>) {
  const list = useRef<HTMLUListElement>(null);
  // Where this list starts in the sidebar's scrolled content (sections above
  // it, headings): the window is computed from the shared scroll position.
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    const el = list.current;
    const sc = scroller.current;
    if (!el || !sc) return;
    const at = el.getBoundingClientRect().top - sc.getBoundingClientRect().top + sc.scrollTop;
    setMargin((m) => (Math.abs(m - at) < 1 ? m : at));
  });
  const virtual = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => (items[i] ? keyOf(items[i]) : i),
    overscan: 20,
    scrollMargin: margin,
  });
  return (
    <ul ref={list} style={{ ...listStyle, position: 'relative', height: virtual.getTotalSize() }}>
      {virtual.getVirtualItems().map((row) => {
        const item = items[row.index];
        if (item === undefined) return null;
        return (
          <li
            key={row.key}
            style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: ROW_HEIGHT, transform: `translateY(${row.start - margin}px)` }}
          >
            {render(item)}
          </li>
        );
      })}
    </ul>
  );
}
