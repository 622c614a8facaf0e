// The set-up every component test under jsdom shares: a container in the
// document and a React root on it, fresh for each test and torn down after
// it (effects' clean-ups run before the next test starts; stubbed globals
// undone), and a button finder whose failure says what the container held.

import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, vi } from 'vitest';

// jsdom does no layout, so nothing ever resizes: an observer that is never
// called is what a real one would do there (the chat's stick-to-bottom
// list observes its content's size).
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

export interface MountPoint {
  /** This test's container (a div appended to `document.body`). */
  readonly container: HTMLDivElement;
  /** This test's root on `container`. */
  readonly root: Root;
  /** Unmounts now (a test that checks what happens after unmount). */
  unmount(): void;
  /** Unmounts and starts a new root on the same container: a second
   * render from scratch within one test. */
  remount(): Root;
  /** The button whose trimmed text is `name` (or matches it). */
  button(name: string | RegExp): HTMLButtonElement;
}

/**
 * Call once at a test file's top level. With `act` (the default) the file
 * drives React inside `act()` and React checks that it does; without it
 * the file renders directly and waits with `vi.waitFor` (CodeMirror's and
 * the query cache's asynchronous updates), and React does not ask for act.
 */
export function mountPerTest({ act: useAct = true }: { act?: boolean } = {}): MountPoint {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = useAct;
  let container: HTMLDivElement | null = null;
  let root: Root | null = null;
  const teardown = (r: Root) => (useAct ? act(() => r.unmount()) : r.unmount());

  beforeEach(() => {
    container = document.body.appendChild(document.createElement('div'));
    root = createRoot(container);
  });
  afterEach(() => {
    const r = root;
    root = null;
    if (r) teardown(r);
    container?.remove();
    container = null;
    vi.unstubAllGlobals();
  });

  const current = () => {
    if (!container) throw new Error('mountPerTest: used outside a test');
    return container;
  };
  return {
    get container() {
      return current();
    },
    get root() {
      if (!root) throw new Error('mountPerTest: the root was unmounted');
      return root;
    },
    unmount() {
      const r = root;
      root = null;
      if (r) teardown(r);
    },
    remount() {
      this.unmount();
      root = createRoot(current());
      return root;
    },
    button(name) {
      const found = [...current().querySelectorAll('button')].find((b) =>
        typeof name === 'string' ? b.textContent?.trim() === name : name.test(b.textContent ?? ''),
      );
      if (!found) throw new Error(`no button ${String(name)} in: ${current().textContent}`);
      return found;
    },
  };
}

/** Waits, inside act, until `check` stops throwing (at most `ms`). */
export async function until(check: () => void, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await act(async () => new Promise((r) => setTimeout(r, 10)));
    }
  }
}
