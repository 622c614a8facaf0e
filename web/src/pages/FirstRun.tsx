import { useState } from 'react';
import { ErrorLine } from '../components/Banners';
import type { LocalServer } from '../desktop/api';
import type { ProviderId } from '../desktop/types';
import { useDesktop, useQuery } from '../desktop-context';
import { useAction } from '../hooks';

const KEY_PROVIDERS: { id: ProviderId; label: string; hint: string }[] = [
  { id: 'openrouter', label: 'OpenRouter', hint: 'openrouter.ai/keys' },
  { id: 'ai-gateway', label: 'Vercel AI Gateway', hint: 'vercel.com → AI Gateway → API keys' },
];

const KIND_NAMES: Record<string, string> = {
  ollama: 'Ollama',
  'llama.cpp': 'llama.cpp',
  llamacpp: 'llama.cpp',
  'lm-studio': 'LM Studio',
  lmstudio: 'LM Studio',
  vllm: 'vLLM',
};

/** With no provider available: a short guided start. Paste a key, or use
 * an OpenAI-compatible server already running on this machine. */
export function FirstRun() {
  const { api, queries } = useDesktop();
  const [provider, setProvider] = useState<ProviderId>('openrouter');
  const [key, setKey] = useState('');
  const local = useQuery(['local-models'], (api) => api.localModels());
  const done = () => {
    queries.invalidate(['providers']);
    queries.invalidate(['secrets']);
  };
  const { act, actionError } = useAction(done);

  async function configureLocal(server: LocalServer, model: string | undefined) {
    await api.providers.update('custom', { base_url: server.base_url, ...(model ? { default_model: model } : {}) });
  }

  return (
    <section className="first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">Connect a model to start</h2>
      <p className="muted">No AI provider is set up yet. Pick one way; you can change it later in Settings.</p>
      <ol>
        <li>
          <strong>Paste an API key</strong>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const k = key.trim();
              setKey(''); // the key is not kept past the request
              if (k) void act(() => api.secrets.set(provider, k));
            }}
          >
            <label htmlFor="first-run-provider" className="sr-only">
              Provider
            </label>
            <select id="first-run-provider" value={provider} onChange={(e) => setProvider(e.target.value as ProviderId)}>
              {KEY_PROVIDERS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
            <input
              type="password"
              autoComplete="off"
              spellCheck={false}
              aria-label={`${KEY_PROVIDERS.find((p) => p.id === provider)?.label} API key`}
              placeholder="Paste your API key"
              value={key}
              onChange={(e) => setKey(e.target.value)}
            />
            <button type="submit" className="primary" disabled={!key.trim()}>
              Save key
            </button>
          </form>
          <div className="muted">Get one at {KEY_PROVIDERS.find((p) => p.id === provider)?.hint}. It is kept in the system keyring.</div>
        </li>
        <li>
          <strong>Or use a local server</strong>{' '}
          <button type="button" className="quiet" onClick={local.reload}>
            Look again
          </button>
          {local.error ? (
            <ErrorLine error={local.error} />
          ) : !local.data ? (
            <div className="muted" role="status">
              Looking for Ollama, llama.cpp, LM Studio and vLLM on this machine…
            </div>
          ) : local.data.length === 0 ? (
            <div className="muted" role="status">
              None found on this machine (Ollama 11434, llama.cpp 8080, LM Studio 1234, vLLM 8000). Start one and
              look again.
            </div>
          ) : (
            <ul className="local-servers" aria-label="Local servers found">
              {local.data.map((s) => (
                <LocalServerRow key={s.base_url} server={s} onUse={(model) => void act(() => configureLocal(s, model))} />
              ))}
            </ul>
          )}
        </li>
      </ol>
      <ErrorLine error={actionError} />
    </section>
  );
}

function LocalServerRow({ server, onUse }: { server: LocalServer; onUse: (model: string | undefined) => void }) {
  const [model, setModel] = useState(server.models[0]?.id ?? '');
  const name = KIND_NAMES[server.kind.toLowerCase()] ?? server.kind;
  return (
    <li>
      <strong>{name}</strong> <span className="code muted">{server.base_url}</span>
      {server.models.length > 0 && (
        <select aria-label={`Model on ${name}`} value={model} onChange={(e) => setModel(e.target.value)}>
          {server.models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name ?? m.id}
            </option>
          ))}
        </select>
      )}
      <button type="button" className="primary" onClick={() => onUse(model || undefined)}>
        Use {name}
      </button>
    </li>
  );
}
