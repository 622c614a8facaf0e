import { useRef, useState } from 'react';

/** A vertical splitter between two panes: drag it, or focus it and use the
 * arrow keys (Shift: bigger steps), Home and End. `value` is the width of
 * the pane it sizes; `side` says on which side that pane is. */
export function Splitter({
  label,
  value,
  min,
  max,
  side,
  onChange,
  controls,
}: {
  label: string;
  value: number;
  min: number;
  max: number;
  side: 'left' | 'right';
  onChange: (value: number) => void;
  /** The id of the pane it sizes. */
  controls?: string;
}) {
  const start = useRef<{ x: number; value: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  const clamp = (v: number) => Math.round(Math.min(max, Math.max(min, v)));
  const sign = side === 'left' ? 1 : -1;
  return (
    <div
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      aria-controls={controls}
      tabIndex={0}
      className={dragging ? 'splitter dragging' : 'splitter'}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.currentTarget.setPointerCapture?.(e.pointerId);
        start.current = { x: e.clientX, value };
        setDragging(true);
      }}
      onPointerMove={(e) => {
        if (start.current) onChange(clamp(start.current.value + sign * (e.clientX - start.current.x)));
      }}
      onPointerUp={() => {
        start.current = null;
        setDragging(false);
      }}
      onPointerCancel={() => {
        start.current = null;
        setDragging(false);
      }}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 64 : 16;
        let next: number | null = null;
        if (e.key === 'ArrowLeft') next = value - sign * step;
        else if (e.key === 'ArrowRight') next = value + sign * step;
        else if (e.key === 'Home') next = min;
        else if (e.key === 'End') next = max;
        if (next !== null) {
          e.preventDefault();
          onChange(clamp(next));
        }
      }}
    />
  );
}
