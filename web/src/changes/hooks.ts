import { useDesktop, useHostEvents, useQuery } from '../desktop-context';
import type { TurnChanges } from '../desktop/types';

/** The query key of a turn's changes; `['changes', sessionId]` is every
 * turn of a session. */
export const changesKey = (sessionId: string, turnId: string) => ['changes', sessionId, turnId] as const;

/** What a finished turn changed (`null` turn: nothing is asked). Shared by
 * every component that shows it: one request per turn. */
export function useTurnChanges(sessionId: string, turnId: string | null) {
  return useQuery<TurnChanges>(turnId === null ? null : changesKey(sessionId, turnId), (api) =>
    api.changes.ofTurn(sessionId, turnId!),
  );
}

/** Reads a session's turn changes again when the host says the session
 * changed (a turn ended, or another window worked in it). */
export function useChangesFollowSession(sessionId: string): void {
  const { queries } = useDesktop();
  useHostEvents(
    (e) => e.type === 'session.updated' && e.session_id === sessionId,
    () => queries.invalidate(['changes', sessionId]),
  );
}
