import { useState } from 'react';
import { ErrorLine } from '../components/Banners';
import type { ProviderId, ProviderStatus, SecretPresence } from '../desktop/types';
import { useDesktop, useQuery } from '../desktop-context';
import { useAction } from '../hooks';

const PROVIDERS: ProviderId[] = ['openrouter', 'ai-gateway', 'custom'];

/** Keys are write-only: this page shows whether one is stored, and where,
 * never the key itself. */
export function ProviderSettings() {
  const { queries } = useDesktop();
  const secrets = useQuery(['secrets'], (api) => api.secrets.list());
  const providers = useQuery(['providers'], (api) => api.providers.list());
  // A key or a setting changes what both say (`has_key`, `available`).
  const reload = () => {
    queries.invalidate(['secrets']);
    queries.invalidate(['providers']);
  };
  return (
    <div>
      <ErrorLine error={secrets.error ?? providers.error} />
      {PROVIDERS.map((p) => (
        <ProviderRow
          key={p}
          provider={p}
          presence={secrets.data?.find((s) => s.provider === p)}
          status={providers.data?.find((s) => s.provider === p)}
          onChange={reload}
        />
      ))}
    </div>
  );
}

function ProviderRow({
  provider,
  presence,
  status,
  onChange,
}: {
  provider: ProviderId;
  presence?: SecretPresence;
  status?: ProviderStatus;
  onChange: () => void;
}) {
  const { api } = useDesktop();
  const [key, setKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [model, setModel] = useState('');

  const { act, actionError: error } = useAction(onChange);
  // The default model is typed or picked from the provider's list (when it
  // is available: the host caches the list).
  const models = useQuery(status?.available ? ['models', provider] : null, (api) => api.providers.models(provider));
  const listId = `default-models-${provider}`;

  return (
    <div className="provider">
      <h3>
        {provider}{' '}
        <span className={status?.available ? 'badge ok' : 'badge'}>{status?.available ? 'available' : 'not available'}</span>
      </h3>
      <div>
        Key:{' '}
        {presence?.present ? (
          <>
            stored{presence.store ? ` (${presence.store === 'keyring' ? 'system keyring' : 'auth.json'})` : ''}{' '}
            <button type="button" onClick={() => void act(() => api.secrets.remove(provider))}>
              Remove key
            </button>
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const k = key;
          setKey(''); // never keep the key around longer than the request
          if (k) void act(() => api.secrets.set(provider, k));
        }}
      >
        <input
          type="password"
          autoComplete="off"
          spellCheck={false}
          aria-label={`${provider} API key`}
          placeholder={presence?.present ? 'Replace key' : 'API key'}
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <button type="submit" disabled={!key}>
          Save key
        </button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          // Only the fields typed in: the others keep their value (a
          // default model saved alone kept the base URL, the timeouts too).
          const url = baseUrl.trim();
          const name = model.trim();
          void act(() =>
            api.providers.update(provider, {
              ...(url ? { base_url: url } : {}),
              ...(name ? { default_model: name } : {}),
            }),
          );
        }}
      >
        <input
          aria-label={`${provider} base URL`}
          placeholder={status?.base_url || (provider === 'custom' ? 'http://127.0.0.1:11434/v1' : 'base URL')}
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
        />
        <input
          aria-label={`${provider} default model`}
          placeholder={status?.default_model || 'default model'}
          list={listId}
          spellCheck={false}
          value={model}
          onChange={(e) => setModel(e.target.value)}
        />
        <datalist id={listId}>
          {models.data?.models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name ?? undefined}
            </option>
          ))}
        </datalist>
        <button type="submit" disabled={!baseUrl.trim() && !model.trim()}>
          Save settings
        </button>
      </form>
      <ErrorLine error={error} />
    </div>
  );
}
