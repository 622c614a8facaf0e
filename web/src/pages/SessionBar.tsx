import { useEffect, useState } from 'react';
import type { ModelInfo } from '../desktop/api';
import { isHostError } from '../desktop/errors';
import type { ProviderId, Session, Usage } from '../desktop/types';
import { useDesktop, useQuery } from '../desktop-context';
import { errorText } from '../hooks';

const PROVIDER_NAMES: Record<ProviderId, string> = {
  openrouter: 'OpenRouter',
  'ai-gateway': 'AI Gateway',
  custom: 'Custom',
};

const remembered = (p: string) => `models:${p}`;

/** The last list the provider gave, kept for when it is down. */
export function lastKnownModels(provider: string): ModelInfo[] {
  try {
    const v = JSON.parse(localStorage.getItem(remembered(provider)) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as ModelInfo[]).filter((m) => typeof m?.id === 'string') : [];
  } catch {
    return [];
  }
}

function remember(provider: string, models: ModelInfo[]) {
  try {
    localStorage.setItem(remembered(provider), JSON.stringify(models.slice(0, 2000)));
  } catch {
    // storage full or off: the list is only a convenience
  }
}

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const DOLLARS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** US dollars as the provider reported them: under a cent with up to four
 * significant digits (`$0.0031`, `$0.000125`), otherwise in cents
 * (`$0.42`, `$1,234.50`). */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd < 0) return '';
  if (usd === 0 || usd >= 0.01) return DOLLARS.format(usd);
  // Decimals down to the fourth significant digit, trailing zeros dropped.
  const decimals = 3 - Math.floor(Math.log10(usd));
  const text = usd.toFixed(decimals).replace(/0+$/, '');
  // Rounding can reach a cent (0.0099999 → 0.0100): cents then.
  return Number(text) >= 0.01 ? DOLLARS.format(Number(text)) : `$${text}`;
}

/** Above a session's chat: its provider and model (stored on the session;
 * the next turns use them) and the tokens it has used, with their cost
 * when the provider reported one. It is read again after each turn: the
 * host's `session.updated` event (sent once the turn's usage is stored)
 * and the chat's `onTurnEnd` invalidate `['sessions']`. */
export function SessionBar({ sessionId }: { sessionId: string }) {
  const session = useQuery(['sessions', 'one', sessionId], (api) => api.sessions.get(sessionId));
  const providers = useQuery(['providers'], (api) => api.providers.list());
  if (!session.data) return session.error ? <div className="session-bar error-line">{errorText(session.error)}</div> : null;
  const available = providers.data?.filter((p) => p.available).map((p) => p.provider as ProviderId) ?? [];
  return <ModelPicker key={session.data.id} session={session.data} available={available} />;
}

function ModelPicker({ session, available }: { session: Session; available: ProviderId[] }) {
  const { api, queries } = useDesktop();
  const provider = ((session.provider as ProviderId | null) ?? available[0] ?? null) as ProviderId | null;
  const models = useQuery(provider === null ? null : ['models', provider], (api) => api.providers.models(provider!));
  const [saveError, setSaveError] = useState<unknown>(null);
  useEffect(() => {
    if (provider && models.data && models.data.models.length > 0 && !models.data.stale) remember(provider, models.data.models);
  }, [provider, models.data]);

  const list = models.data?.models.length ? models.data.models : provider ? lastKnownModels(provider) : [];
  const current = session.model ?? '';
  const options = current && !list.some((m) => m.id === current) ? [{ id: current }, ...list] : list;
  const down = models.error
    ? isHostError(models.error)
      ? models.error.code
      : errorText(models.error)
    : (models.data?.error?.code ?? null);

  async function save(patch: { provider?: ProviderId; model?: string }) {
    setSaveError(null);
    try {
      await api.sessions.update(session.id, patch);
      queries.invalidate(['sessions', 'one', session.id]);
    } catch (e) {
      setSaveError(e);
    }
  }

  const usage = session.usage;
  const total = usage.input_tokens + usage.output_tokens;
  const providerChoices = provider && !available.includes(provider) ? [provider, ...available] : available;
  return (
    <div className="session-bar" aria-label="Session model and usage" role="group">
      <div className="model-field">
        <label htmlFor="session-provider" className="sr-only">
          Provider
        </label>
        <select
          id="session-provider"
          value={provider ?? ''}
          disabled={providerChoices.length === 0}
          onChange={(e) => void save({ provider: e.target.value as ProviderId })}
        >
          {providerChoices.length === 0 && <option value="">No provider</option>}
          {providerChoices.map((p) => (
            <option key={p} value={p}>
              {PROVIDER_NAMES[p] ?? p}
            </option>
          ))}
        </select>
        <label htmlFor="session-model" className="sr-only">
          Model
        </label>
        <select
          id="session-model"
          value={current}
          disabled={provider === null}
          onChange={(e) => void save({ ...(provider ? { provider } : {}), model: e.target.value })}
        >
          <option value="">Provider default</option>
          {options.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name ? `${m.name} (${m.id})` : m.id}
            </option>
          ))}
        </select>
      </div>
      <span className="usage" title={`${usage.input_tokens} input + ${usage.output_tokens} output tokens`}>
        {formatTokens(total)} tokens
        <span className="sr-only">
          {' '}
          ({usage.input_tokens} in, {usage.output_tokens} out)
        </span>
      </span>
      <SessionCost usage={usage} />
      {(down || models.data?.stale) && (
        <span className="model-status muted" role="status">
          {down
            ? `Provider unavailable (${down})${list.length ? ': showing the last known models' : ''}.`
            : 'Showing the last known model list.'}
        </span>
      )}
      {saveError !== null && <span className="model-status error-line">{errorText(saveError)}</span>}
    </div>
  );
}

/** The session's cost when any turn reported one. A partial sum (some
 * turns used tokens without a cost) is a lower bound and says so. */
function SessionCost({ usage }: { usage: Usage }) {
  const cost = usage.cost;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) return null;
  const partial = usage.cost_partial === true;
  return (
    <span
      className="usage session-cost"
      title={partial ? `At least ${formatCost(cost)}: some turns reported no cost` : 'Cost reported by the provider'}
    >
      {partial ? `≥ ${formatCost(cost)}` : formatCost(cost)}
      {partial && <span className="sr-only"> (at least: some turns reported no cost)</span>}
    </span>
  );
}
